"""A separate process appending to a log (run by test_store_contract.py).

    python append_writer.py DB_URL TAG N

Appends N batches (of 1, 2, 3, 1, … submissions) through ``SqlStore.write()``
and prints the leaf indices it was given, one per line.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from actas.adapters.elections import load_builtin
from actas.adapters.store import open_store
from actas.adapters.tlog import Log
from actas.core.model import Source, Submission, SubmissionKind


def main() -> None:
    url, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(url)
    with tempfile.TemporaryDirectory() as keys:
        log = Log(store, load_builtin("ve-2024"), "", Path(keys))
        seqs: list[int] = []
        for j in range(n):
            batch = [
                Submission(
                    kind=SubmissionKind.RECORD,
                    source=Source(tag, "f.csv", "ab" * 32, 1000 * j + b),
                    received_at="2024-07-29T04:00:00.000000Z",
                    raw=f"row {1000 * j + b}".encode(),
                )
                for b in range(1 + j % 3)
            ]
            with store.write() as conn:
                seqs += log.append(conn, batch)
    store.close()
    sys.stdout.write("".join(f"{s}\n" for s in seqs))


if __name__ == "__main__":
    main()
