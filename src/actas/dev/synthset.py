"""Write a set of synthetic acta photos and their ground truth to a folder (I/O).

:func:`actas.dev.synth.render` is pure; this module is the part that writes files:
one JPEG per :class:`SheetSpec` and ``truth.jsonl``, one JSON object per photo
(the :class:`~actas.dev.synth.Truth` plus the file name), in spec order. Rendering
can run in a process pool; the output does not depend on the number of workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from actas.core.model import Election
from actas.dev.degradation import Degradation
from actas.dev.synth import Truth, render

__all__ = ["SheetSpec", "generate_set", "read_truths"]

TRUTH_FILE = "truth.jsonl"


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """One sheet to render: its table, counts, seed and photo conditions."""

    table_id: str
    options: tuple[int, ...]
    null: int
    seed: int
    degradations: tuple[Degradation, ...] = ()
    with_qr: bool = True
    size: tuple[int, int] = (1500, 2000)

    @property
    def file_name(self) -> str:
        return f"{self.table_id}_{self.seed}.jpg"


def _render_one(args: tuple[Election, SheetSpec]) -> tuple[bytes, Truth]:
    election, spec = args
    return render(
        election,
        spec.table_id,
        spec.options,
        spec.null,
        seed=spec.seed,
        degradations=spec.degradations,
        with_qr=spec.with_qr,
        size=spec.size,
    )


def generate_set(
    election: Election, specs: Sequence[SheetSpec], out_dir: Path, *, workers: int = 1
) -> list[Truth]:
    """Render every spec into ``out_dir`` (created if needed) and write ``truth.jsonl``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(election, s) for s in specs]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results: Iterator[tuple[bytes, Truth]] = pool.map(_render_one, jobs, chunksize=4)
            return _write(out_dir, specs, results)
    return _write(out_dir, specs, map(_render_one, jobs))


def _write(
    out_dir: Path, specs: Sequence[SheetSpec], results: Iterator[tuple[bytes, Truth]]
) -> list[Truth]:
    truths: list[Truth] = []
    tmp = out_dir / (TRUTH_FILE + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for spec, (data, truth) in zip(specs, results, strict=True):
            (out_dir / spec.file_name).write_bytes(data)
            fh.write(json.dumps({"file": spec.file_name, **truth.to_json()}) + "\n")
            truths.append(truth)
    tmp.replace(out_dir / TRUTH_FILE)  # the manifest appears only once every photo exists
    return truths


def read_truths(out_dir: Path) -> list[tuple[Path, Truth]]:
    """The photos of a generated set with their truth, in the order written."""
    out = []
    with (out_dir / TRUTH_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                data = json.loads(line)
                out.append((out_dir / str(data.pop("file")), Truth.from_json(data)))
    return out
