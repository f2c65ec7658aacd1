"""The store seam in memory: dicts and lists, no SQL (:class:`~.protocol.Store`).

A fake for tests that need a log or results without a database, held to the same
contract as the SQL store (``tests/integration/test_store_contract.py``). It keeps
what the SQL store promises:

- ``write()`` is serialised (one writer at a time, across threads) and all or
  nothing: an exception inside it leaves the store as it was before;
- methods that take ``conn`` check that it is an open transaction of this store, and
  a writable one when they write (appending inside ``read()`` is a bug the SQL store
  would only show as a database error);
- the tree's nodes beyond the leaves logged are absent, never made up.

Reads are not isolated from a writer in another thread (take ``snapshot()`` for
that: it holds the writers back until it ends).

    store = MemoryStore()
    log = Log(store, election, "", keys_dir)        # actas.adapters.tlog
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from actas.adapters.store.rows import fold_name
from actas.core.errors import NotFound, StoreError
from actas.core.log import merkle
from actas.core.log.entry import LoggedSubmission
from actas.core.model import Counts, Finding, Submission
from actas.core.results.reconcile import Status, TableResult, Version
from actas.core.results.tally import Registry, TableArrays

if TYPE_CHECKING:
    from actas.adapters.store.protocol import Store

__all__ = ["MemoryStore", "MemoryTxn"]

_SOURCE_DEFAULTS = {"rows_read": 0, "loaded": 0, "rejected": 0, "duplicates": 0}
_SOURCE_REQUIRED = ("channel", "name", "sha256", "received_at")
_SOURCE_COLUMNS = ("id", *_SOURCE_REQUIRED, *_SOURCE_DEFAULTS)


class MemoryTxn:
    """A transaction handle of a :class:`MemoryStore` (the ``conn`` of its methods)."""

    __slots__ = ("is_open", "store", "writable")

    def __init__(self, store: MemoryStore, writable: bool) -> None:
        self.store = store
        self.writable = writable
        self.is_open = True


@dataclasses.dataclass(slots=True)
class _State:
    """Everything stored. Values are immutable; :meth:`clone` copies the containers."""

    meta: dict[str, str] = dataclasses.field(default_factory=dict)
    subs: list[LoggedSubmission] = dataclasses.field(default_factory=list)
    identities: set[str] = dataclasses.field(default_factory=set)
    checkpoints: dict[int, tuple[bytes, str, str]] = dataclasses.field(default_factory=dict)
    sources: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    regions: dict[str, tuple[int, str, str]] = dataclasses.field(default_factory=dict)
    registry: dict[str, int | None] = dataclasses.field(default_factory=dict)
    results: dict[str, TableResult] = dataclasses.field(default_factory=dict)
    region_results: dict[str, tuple[int, str, str]] = dataclasses.field(default_factory=dict)

    def clone(self) -> _State:
        return _State(
            dict(self.meta),
            list(self.subs),
            set(self.identities),
            dict(self.checkpoints),
            [dict(r) for r in self.sources],
            dict(self.regions),
            dict(self.registry),
            dict(self.results),
            dict(self.region_results),
        )


class _Nodes:
    """The tree's perfect nodes for ``merkle``: present ones only, as the SQL reader."""

    def __init__(self, nodes: merkle.MemoryNodes) -> None:
        self._nodes = nodes

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        out: dict[tuple[int, int], bytes] = {}
        for key in keys:
            try:
                out.update(self._nodes.nodes([key]))
            except NotFound:
                continue
        return out


class MemoryStore:
    """A :class:`~actas.adapters.store.protocol.Store` in memory."""

    def __init__(self) -> None:
        self._state = _State()
        self._nodes = merkle.MemoryNodes()
        self._lock = threading.RLock()
        self._writing = 0
        #: leaf indices of the transcription entries that may be published in full (the
        #: SQL store derives them from the people tables, which are not faked here)
        self.disclosed: set[int] = set()

    # ----------------------------------------------------------------- transactions

    @contextmanager
    def read(self) -> Iterator[MemoryTxn]:
        txn = MemoryTxn(self, writable=False)
        try:
            yield txn
        finally:
            txn.is_open = False

    @contextmanager
    def snapshot(self) -> Iterator[MemoryTxn]:
        with self._lock, self.read() as txn:
            yield txn

    @contextmanager
    def write(self) -> Iterator[MemoryTxn]:
        with self._lock:
            before = self._state.clone() if not self._writing else None
            size = len(self._state.subs)
            txn = MemoryTxn(self, writable=True)
            self._writing += 1
            try:
                yield txn
            except BaseException:
                if before is not None:  # roll back
                    self._state = before
                    if len(before.subs) != size:
                        self._nodes = merkle.MemoryNodes(s.leaf_hash for s in before.subs)
                raise
            finally:
                self._writing -= 1
                txn.is_open = False

    def close(self) -> None:
        """Nothing to release (the data goes with the object)."""

    def _check(self, conn: MemoryTxn, write: bool = False) -> _State:
        if not isinstance(conn, MemoryTxn) or conn.store is not self:
            raise StoreError("not a transaction of this store")
        if not conn.is_open:
            raise StoreError("the transaction is over")
        if write and not conn.writable:
            raise StoreError("writing needs a write() transaction")
        return self._state

    # ----------------------------------------------------------------- meta

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        return self._state.meta.get(key, default)

    def set_meta(self, key: str, value: str, conn: MemoryTxn | None = None) -> None:
        if conn is None:
            with self.write() as c:
                self.set_meta(key, value, c)
            return
        self._check(conn, write=True).meta[key] = value

    # ----------------------------------------------------------------- the log

    def size(self, conn: MemoryTxn | None = None) -> int:
        if conn is not None:
            self._check(conn)
        return len(self._state.subs)

    def known_identities(self, identities: Sequence[str], conn: MemoryTxn) -> set[str]:
        known = self._check(conn).identities
        return {i for i in identities if i in known}

    def append(
        self,
        conn: MemoryTxn,
        subs: Sequence[Submission],
        leaves: Sequence[bytes],
        identities: Sequence[str] | None = None,
    ) -> list[int]:
        state = self._check(conn, write=True)
        if not subs:
            return []
        if identities is None:
            identities = [sub.identity() for sub in subs]
        if len(set(identities)) != len(identities) or state.identities.intersection(identities):
            raise StoreError("a submission is already in the log (the caller removes duplicates)")
        size = len(state.subs)
        new = [
            _logged(size + i, sub, leaf)
            for i, (sub, leaf) in enumerate(zip(subs, leaves, strict=True))
        ]
        state.subs.extend(new)
        state.identities.update(identities)
        self._nodes.extend(s.leaf_hash for s in new)
        return [s.seq for s in new]

    def node_reader(self, conn: MemoryTxn) -> _Nodes:
        self._check(conn)
        return _Nodes(self._nodes)

    def leaves(self, start: int, end: int, conn: MemoryTxn) -> list[bytes]:
        return [s.leaf for s in self._check(conn).subs[max(start, 0) : max(end, 0)]]

    def iter_submissions(self, conn: MemoryTxn, batch: int = 5000) -> Iterator[LoggedSubmission]:
        """Every submission in log order (``batch`` has no use here)."""
        for sub in list(self._check(conn).subs):
            self._check(conn)  # as in SQL: not read after its transaction ends
            yield sub

    def submissions_of(self, table_id: str, conn: MemoryTxn) -> list[LoggedSubmission]:
        return [s for s in self._check(conn).subs if s.table_id == table_id]

    def submission(self, seq: int, conn: MemoryTxn) -> LoggedSubmission:
        subs = self._check(conn).subs
        if not 0 <= seq < len(subs):
            raise NotFound(f"no leaf {seq}")
        return subs[seq]

    def seqs_by_blob(self, blob_sha256: str, conn: MemoryTxn) -> list[int]:
        return [s.seq for s in self._check(conn).subs if s.blob_sha256 == blob_sha256]

    def disclosed_entries(self, conn: MemoryTxn) -> set[int]:
        self._check(conn)
        return set(self.disclosed)

    # ----------------------------------------------------------------- checkpoints

    def add_checkpoint(self, size: int, root: bytes, note: str, created_at: str) -> None:
        with self.write() as conn:
            self._check(conn, write=True).checkpoints.setdefault(size, (root, note, created_at))

    def set_checkpoint_note(self, size: int, note: str) -> None:
        with self.write() as conn:
            stored = self._check(conn, write=True).checkpoints
            if size in stored:
                root, _, created_at = stored[size]
                stored[size] = (root, note, created_at)

    def checkpoint(self, size: int | None = None) -> tuple[int, bytes, str, str] | None:
        stored = self._state.checkpoints
        if size is None:
            size = max(stored, default=None)
        if size is None or size not in stored:
            return None
        return (size, *stored[size])

    def checkpoints(self) -> list[tuple[int, str, str]]:
        stored = self._state.checkpoints
        return [(n, stored[n][1], stored[n][2]) for n in sorted(stored)]

    # ----------------------------------------------------------------- sources

    def add_source(self, conn: MemoryTxn, row: Mapping[str, Any]) -> None:
        sources = self._check(conn, write=True).sources
        unknown = set(row) - set(_SOURCE_COLUMNS)
        missing = [k for k in _SOURCE_REQUIRED if row.get(k) is None]
        if unknown or missing:
            raise StoreError(f"a source row needs {missing} and has no {sorted(unknown)}")
        full = {"id": len(sources) + 1, **_SOURCE_DEFAULTS, **row}
        sources.append({k: full[k] for k in _SOURCE_COLUMNS})

    def list_sources(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._state.sources]

    # ----------------------------------------------------------------- regions, registry

    def upsert_region_names(self, conn: MemoryTxn, names: Mapping[str, tuple[int, str]]) -> None:
        regions = self._check(conn, write=True).regions
        for code, (level, name) in names.items():
            regions.setdefault(code, (level, name, fold_name(name)))

    def region_names(
        self, conn: MemoryTxn | None = None, codes: Sequence[str] | None = None
    ) -> dict[str, str]:
        if conn is not None:
            self._check(conn)
        regions = self._state.regions
        if codes is None:
            return {c: r[1] for c, r in regions.items()}
        return {c: regions[c][1] for c in codes if c in regions}

    def search_regions(self, folded: str, limit: int) -> list[tuple[str, int, str]]:
        found = sorted(
            (level, code, name)
            for code, (level, name, search) in self._state.regions.items()
            if folded in search
        )
        return [(code, level, name) for level, code, name in found[:limit]]

    def upsert_registry(self, conn: MemoryTxn, rows: Mapping[str, int | None]) -> None:
        self._check(conn, write=True).registry.update(rows)

    def registry(self) -> dict[str, int | None]:
        return dict(self._state.registry)

    # ----------------------------------------------------------------- results

    def versions(self, table_ids: Sequence[str], conn: MemoryTxn) -> dict[str, list[Version]]:
        wanted = set(table_ids)
        out: dict[str, list[Version]] = {}
        for s in self._check(conn).subs:
            if s.table_id in wanted and s.counts is not None:
                version = Version(s.seq, s.channel, s.counts, s.kind == "decision")
                out.setdefault(s.table_id, []).append(version)
        return out

    def tables_with_results(self, table_ids: Sequence[str], conn: MemoryTxn) -> set[str]:
        results = self._check(conn).results
        return {t for t in table_ids if t in results}

    def all_table_ids(self, conn: MemoryTxn) -> list[str]:
        subs = self._check(conn).subs
        ids = (s.table_id for s in subs if s.table_id is not None and s.counts is not None)
        return list(dict.fromkeys(ids))

    def put_table_results(
        self,
        conn: MemoryTxn,
        results: Sequence[TableResult],
        removed: Iterable[str] = (),
        new: frozenset[str] = frozenset(),
    ) -> None:
        stored = self._check(conn, write=True).results
        for table_id in [r.table_id for r in results if r.table_id not in new] + list(removed):
            stored.pop(table_id, None)
        for r in results:
            if r.table_id in stored:
                raise StoreError(f"table {r.table_id} already has a result (not new)")
            stored[r.table_id] = r

    def table_result(self, table_id: str, conn: MemoryTxn) -> TableResult | None:
        return self._check(conn).results.get(table_id)

    def table_results(
        self, conn: MemoryTxn, status: str | None = None, prefix: str | None = None
    ) -> list[TableResult]:
        results = self._check(conn).results
        return [
            results[t]
            for t in sorted(results)
            if (not status or results[t].status == status)
            and (prefix is None or t.startswith(prefix))
        ]

    def counted_counts(self, conn: MemoryTxn) -> list[tuple[str, str]]:
        return [
            (r.table_id, r.counts.canonical_json())
            for r in self.table_results(conn)
            if r.status != Status.CONFLICT and r.counts is not None
        ]

    def table_arrays(self, n_candidates: int, conn: MemoryTxn) -> TableArrays:
        rows = self.table_results(conn)
        votes = np.zeros((len(rows), n_candidates), np.int64)
        for i, r in enumerate(rows):
            if r.counts is not None and len(r.counts.votes) == n_candidates:
                votes[i] = r.counts.votes
        return TableArrays(
            [r.table_id for r in rows],
            np.array([r.status != Status.CONFLICT for r in rows], np.bool_),
            np.array([_known(r.counts, "registered") for r in rows], np.int64),
            np.array([_known(r.counts, "null") for r in rows], np.int64),
            votes,
        )

    def registry_arrays(self, conn: MemoryTxn) -> Registry:
        registry = self._check(conn).registry
        registered = [-1 if r is None else r for r in registry.values()]
        return Registry(list(registry), np.array(registered, np.int64))

    # ----------------------------------------------------------------- region tallies

    def put_region_results(
        self, conn: MemoryTxn, rows: Sequence[tuple[str, int, str, str]]
    ) -> None:
        state = self._check(conn, write=True)
        state.region_results = {code: (level, name, data) for code, level, name, data in rows}

    def region_result(self, code: str) -> tuple[str, str] | None:
        found = self._state.region_results.get(code)
        return None if found is None else (found[1], found[2])

    def region_results(self, level: int, parent: str | None = None) -> list[tuple[str, str, str]]:
        stored = self._state.region_results
        return [
            (code, stored[code][1], stored[code][2])
            for code in sorted(stored)
            if stored[code][0] == level and (not parent or code.startswith(parent))
        ]

    def all_region_results(self, conn: MemoryTxn) -> list[tuple[int, str, str, str]]:
        stored = self._check(conn).region_results
        return sorted((lv, code, name, data) for code, (lv, name, data) in stored.items())

    # ----------------------------------------------------------------- findings

    def findings(
        self,
        conn: MemoryTxn,
        code: str | None = None,
        severity: str | None = None,
        limit: int = 1000,
    ) -> list[tuple[int | None, Finding]]:
        out: list[tuple[int | None, Finding]] = []
        for s in self._check(conn).subs:
            for f in s.findings:
                if (not code or f.code == code) and (not severity or f.severity == severity):
                    if len(out) == limit:
                        return out
                    out.append((s.seq, f))
        return out

    def finding_counts(self, conn: MemoryTxn) -> dict[tuple[str, str], int]:
        subs = self._check(conn).subs
        return dict(Counter((f.code, str(f.severity)) for s in subs for f in s.findings))


def _known(counts: Counts | None, name: str) -> int:
    """A count of a table result for the arrays: -1 when unknown (as the SQL columns)."""
    value: int | None = None if counts is None else getattr(counts, name)
    return -1 if value is None else value


def _logged(seq: int, sub: Submission, leaf: bytes) -> LoggedSubmission:
    """The submission as the SQL store reads it back (findings take the table's id)."""
    return LoggedSubmission(
        seq=seq,
        kind=str(sub.kind),
        channel=sub.source.channel,
        table_id=sub.table_id,
        received_at=sub.received_at,
        blob_sha256=sub.blob_sha256,
        actor=sub.actor,
        counts=sub.counts,
        leaf=leaf,
        raw=sub.raw,
        findings=tuple(
            dataclasses.replace(f, table_id=f.table_id or sub.table_id) for f in sub.findings
        ),
    )


if TYPE_CHECKING:  # mypy holds the fake to the seam

    def _is_a_store(store: MemoryStore) -> Store[MemoryTxn]:
        return store
