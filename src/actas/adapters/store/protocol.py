"""The store seam: what the log, the use cases and the export call on a store.

Two small Protocols, by what is stored, and their sum:

- :class:`LogStore`: the append-only log (submissions with their leaf bytes, Merkle
  nodes, checkpoints), the files received, and the meta table;
- :class:`ResultStore`: what is judged and counted (table results, findings, the
  registry of tables, region names and tallies);
- :class:`Store`: both, which is what :class:`~actas.adapters.store.sql.SqlStore`
  (SQLite, PostgreSQL) and :class:`~actas.adapters.store.memory.MemoryStore` (dicts
  and lists, for tests) are. ``tests/integration/test_store_contract.py`` holds them
  to the same contract.

``C`` is the store's transaction handle, opaque to callers: it comes from
``read()`` (a consistent read), ``snapshot()`` (every statement sees one state) or
``write()`` (the log's single sequencer: serialised, all or nothing), and is handed
back to the methods that take ``conn``. Methods without ``conn`` open their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from actas.core.log.entry import LoggedSubmission
from actas.core.log.merkle import NodeBatchReader
from actas.core.model import Finding, Submission
from actas.core.results.reconcile import TableResult, Version
from actas.core.results.tally import Registry, TableArrays

__all__ = ["LogStore", "ResultStore", "Store"]

C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)


class Transactions(Protocol[C_co]):
    """Opening the store's transactions."""

    def read(self) -> AbstractContextManager[C_co]: ...

    def snapshot(self) -> AbstractContextManager[C_co]: ...

    def write(self) -> AbstractContextManager[C_co]: ...


class LogStore(Transactions[C], Protocol[C]):
    """The log: leaves in order, with what was read from each, and its tree."""

    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: str, conn: C | None = None) -> None: ...

    def size(self, conn: C | None = None) -> int:
        """Leaves in the log (the next leaf's index)."""
        ...

    def known_identities(self, identities: Sequence[str], conn: C) -> set[str]:
        """Those of ``identities`` already logged (dedupe before appending)."""
        ...

    def append(
        self,
        conn: C,
        subs: Sequence[Submission],
        leaves: Sequence[bytes],
        identities: Sequence[str] | None = None,
    ) -> list[int]:
        """Append inside ``write()``; the leaf index of each, gap-free."""
        ...

    def node_reader(self, conn: C) -> NodeBatchReader:
        """The tree's perfect nodes over the leaves logged (absent beyond them)."""
        ...

    def leaves(self, start: int, end: int, conn: C) -> list[bytes]: ...

    def iter_submissions(self, conn: C, batch: int = 5000) -> Iterator[LoggedSubmission]:
        """Every submission in log order, with its findings."""
        ...

    def submissions_of(self, table_id: str, conn: C) -> list[LoggedSubmission]: ...

    def submission(self, seq: int, conn: C) -> LoggedSubmission:
        """The leaf at ``seq``; raises NotFound past the end."""
        ...

    def seqs_by_blob(self, blob_sha256: str, conn: C) -> list[int]: ...

    def disclosed_entries(self, conn: C) -> set[int]:
        """Leaf indices of the transcription entries that may be published in full."""
        ...

    def add_checkpoint(self, size: int, root: bytes, note: str, created_at: str) -> None:
        """Store a signed checkpoint; the first one of a size wins."""
        ...

    def set_checkpoint_note(self, size: int, note: str) -> None:
        """Replace the note of size ``size``: the same checkpoint with more cosignatures."""
        ...

    def checkpoint(self, size: int | None = None) -> tuple[int, bytes, str, str] | None:
        """(size, root, note, created at) of the latest checkpoint, or of ``size``."""
        ...

    def checkpoints(self) -> list[tuple[int, str, str]]: ...

    def add_source(self, conn: C, row: Mapping[str, Any]) -> None: ...

    def list_sources(self) -> list[dict[str, Any]]: ...


class ResultStore(Transactions[C], Protocol[C]):
    """What is derived from the log and the imported files, and can be recomputed."""

    def upsert_region_names(self, conn: C, names: Mapping[str, tuple[int, str]]) -> None: ...

    def region_names(
        self, conn: C | None = None, codes: Sequence[str] | None = None
    ) -> dict[str, str]: ...

    def search_regions(self, folded: str, limit: int) -> list[tuple[str, int, str]]: ...

    def upsert_registry(self, conn: C, rows: Mapping[str, int | None]) -> None: ...

    def registry(self) -> dict[str, int | None]: ...

    def versions(self, table_ids: Sequence[str], conn: C) -> dict[str, list[Version]]: ...

    def tables_with_results(self, table_ids: Sequence[str], conn: C) -> set[str]: ...

    def all_table_ids(self, conn: C) -> list[str]: ...

    def put_table_results(
        self,
        conn: C,
        results: Sequence[TableResult],
        removed: Iterable[str] = (),
        new: frozenset[str] = frozenset(),
    ) -> None: ...

    def table_result(self, table_id: str, conn: C) -> TableResult | None: ...

    def table_results(
        self, conn: C, status: str | None = None, prefix: str | None = None
    ) -> list[TableResult]: ...

    def counted_counts(self, conn: C) -> list[tuple[str, str]]: ...

    def table_arrays(self, n_candidates: int, conn: C) -> TableArrays: ...

    def registry_arrays(self, conn: C) -> Registry: ...

    def put_region_results(self, conn: C, rows: Sequence[tuple[str, int, str, str]]) -> None: ...

    def region_result(self, code: str) -> tuple[str, str] | None: ...

    def region_results(
        self, level: int, parent: str | None = None
    ) -> list[tuple[str, str, str]]: ...

    def all_region_results(self, conn: C) -> list[tuple[int, str, str, str]]: ...

    def findings(
        self,
        conn: C,
        code: str | None = None,
        severity: str | None = None,
        limit: int = 1000,
    ) -> list[tuple[int | None, Finding]]: ...

    def finding_counts(self, conn: C) -> dict[tuple[str, str], int]: ...


class Store(LogStore[C], ResultStore[C], Protocol[C]):
    """The whole store seam."""

    def close(self) -> None: ...
