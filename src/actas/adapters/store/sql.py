"""The SQL store: SQLAlchemy Core over SQLite (default) or PostgreSQL.

Appending to the log is one transaction holding the submissions, their leaf
bytes, the new Merkle nodes and the findings: after a crash there is never a
submission without its leaf or a leaf without its submission. Appends are
serialised (SQLite ``BEGIN IMMEDIATE``; PostgreSQL transaction-level advisory
lock), so leaf indices are strictly ordered and gap-free.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from actas.adapters.store import arrays
from actas.adapters.store import schema as s
from actas.adapters.store.bulk import insert_rows, matching
from actas.adapters.store.nodes import LOW_LEVELS, NodeReader
from actas.core.errors import NotFound, StoreError
from actas.core.log import merkle
from actas.core.model import Counts, Finding, Submission, TableId
from actas.core.results.reconcile import Status, TableResult, Version
from actas.core.results.tally import Registry, TableArrays

__all__ = ["LoggedSubmission", "SqlStore", "fold_name"]

_LOCK_ID = 0x41637461  # "Acta": advisory lock key for the log sequencer on PostgreSQL
_MIGRATE_LOCK_ID = 0x4163746D  # "Actm": one process at a time migrates a PostgreSQL store


def fold_name(name: str) -> str:
    """Lower-case, accent-free form of a name for searching (``PEÑA`` -> ``pena``)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True, slots=True)
class LoggedSubmission:
    """A submission as stored: its leaf index and hash, what was read and judged."""

    seq: int
    kind: str
    channel: str
    table_id: str | None
    received_at: str
    blob_sha256: str
    actor: str
    counts: Counts | None
    leaf: bytes
    raw: bytes
    findings: tuple[Finding, ...]

    @property
    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.leaf)


_SUBMISSION_COLS = (
    "seq",
    "identity",
    "kind",
    "channel",
    "table_id",
    "received_at",
    "blob_sha256",
    "actor",
    "counts",
    "n_errors",
    "leaf",
    "raw",
)
_RESULT_COLS = (
    "table_id",
    "status",
    "registered",
    "null_votes",
    "votes",
    "counts",
    "seqs",
    "agreeing",
    "channels",
    "differing",
)
_FINDING_COLS = ("seq", "table_id", "code", "severity", "message", "fields")


def _counts_json(c: Counts | None) -> str | None:
    return None if c is None else c.canonical_json()


def _counts_from(text_: str | None) -> Counts | None:
    return None if text_ is None else Counts.from_json(json.loads(text_))


def _finding(row: Any) -> Finding:
    from actas.core.model import Severity

    fields = tuple(f for f in (row.fields or "").split(",") if f)
    return Finding(row.code, Severity(row.severity), row.message, row.table_id, fields)


def pack_votes(votes: Sequence[int]) -> bytes:
    """Per-candidate votes as little-endian int64s: read back in bulk by numpy."""
    return struct.pack(f"<{len(votes)}q", *votes)


class SqlStore:
    """The one store implementation; the dialect differences are a few lines."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = _engine(url)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open database {_redact(url)}: {exc}") from exc
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    # ----------------------------------------------------------------- lifecycle

    def migrate(self) -> None:
        """Create or upgrade the schema to the latest revision (Alembic)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self.engine.begin() as conn:
                if not self.is_sqlite:  # several workers may start at once
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK_ID})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate {_redact(self.url)}: {exc}") from exc

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A serialised write transaction (the log's single sequencer)."""
        try:
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn = conn.execution_options(immediate=True)
                with conn.begin():
                    if not self.is_sqlite:
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
                    yield conn
        except OperationalError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc

    # ----------------------------------------------------------------- meta

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.read() as conn:
            value = conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar()
        return default if value is None else str(value)

    def set_meta(self, key: str, value: str, conn: Connection | None = None) -> None:
        if conn is None:
            with self.write() as c:
                self.set_meta(key, value, c)
            return
        done = conn.execute(update(s.meta).where(s.meta.c.key == key).values(value=value))
        if not done.rowcount:
            conn.execute(insert(s.meta).values(key=key, value=value))

    # ----------------------------------------------------------------- the log

    def size(self, conn: Connection | None = None) -> int:
        if conn is None:
            with self.read() as c:
                return self.size(c)
        value = conn.execute(select(func.max(s.submissions.c.seq))).scalar()
        return 0 if value is None else int(value) + 1

    def known_identities(self, identities: Sequence[str], conn: Connection) -> set[str]:
        found: set[str] = set()
        for where in matching(conn, s.submissions.c.identity, identities):
            found.update(conn.execute(select(s.submissions.c.identity).where(where)).scalars())
        return found

    def append(
        self,
        conn: Connection,
        subs: Sequence[Submission],
        leaves: Sequence[bytes],
        identities: Sequence[str] | None = None,
    ) -> list[int]:
        """Append submissions with their leaf bytes, inside the caller's write().

        Returns the leaf index of each. The caller has removed duplicates;
        ``identities`` are the submissions' ``identity()`` when it has them.
        """
        if not subs:
            return []
        size = self.size(conn)
        frontier = merkle.Frontier.from_nodes(size, NodeReader(conn))
        hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
        _, created = frontier.extend(hashes)
        rows = []
        frows = []
        if identities is None:
            identities = [sub.identity() for sub in subs]
        for i, (sub, leaf, identity) in enumerate(zip(subs, leaves, identities, strict=True)):
            seq = size + i
            findings = sub.findings
            rows.append(
                (
                    seq,
                    identity,
                    str(sub.kind),
                    sub.source.channel,
                    sub.table_id,
                    sub.received_at,
                    sub.blob_sha256,
                    sub.actor,
                    _counts_json(sub.counts),
                    sum(1 for f in findings if f.severity == "error") if findings else 0,
                    leaf,
                    sub.raw,
                )
            )
            for f in findings:
                frows.append(
                    (
                        seq,
                        f.table_id or sub.table_id,
                        f.code,
                        str(f.severity),
                        f.message,
                        ",".join(f.fields),
                    )
                )
        insert_rows(conn, s.submissions, _SUBMISSION_COLS, rows)
        insert_rows(
            conn,
            s.nodes,
            ("level", "idx", "hash"),
            [(k[0], k[1], h) for k, h in created if k[0] >= LOW_LEVELS],
        )
        insert_rows(conn, s.findings, _FINDING_COLS, frows)
        return [size + i for i in range(len(subs))]

    def node_reader(self, conn: Connection) -> NodeReader:
        return NodeReader(conn)

    def leaves(self, start: int, end: int, conn: Connection) -> list[bytes]:
        rows = conn.execute(
            select(s.submissions.c.leaf)
            .where(s.submissions.c.seq >= start, s.submissions.c.seq < end)
            .order_by(s.submissions.c.seq)
        ).scalars()
        return [bytes(r) for r in rows]

    def iter_submissions(self, conn: Connection, batch: int = 5000) -> Iterator[LoggedSubmission]:
        """Every submission in log order, with its findings."""
        start = 0
        while True:
            rows = conn.execute(
                select(s.submissions)
                .where(s.submissions.c.seq >= start)
                .order_by(s.submissions.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            lo, hi = int(rows[0].seq), int(rows[-1].seq)
            found: dict[int, list[Finding]] = {}
            for f in conn.execute(
                select(s.findings)
                .where(s.findings.c.seq >= lo, s.findings.c.seq <= hi)
                .order_by(s.findings.c.id)
            ):
                found.setdefault(int(f.seq), []).append(_finding(f))
            for r in rows:
                yield _logged(r, found.get(int(r.seq), []))
            start = hi + 1

    def submissions_of(self, table_id: str, conn: Connection) -> list[LoggedSubmission]:
        rows = conn.execute(
            select(s.submissions)
            .where(s.submissions.c.table_id == table_id)
            .order_by(s.submissions.c.seq)
        ).all()
        seqs = [int(r.seq) for r in rows]
        found: dict[int, list[Finding]] = {}
        if seqs:
            for f in conn.execute(
                select(s.findings).where(s.findings.c.seq.in_(seqs)).order_by(s.findings.c.id)
            ):
                found.setdefault(int(f.seq), []).append(_finding(f))
        return [_logged(r, found.get(int(r.seq), [])) for r in rows]

    def submission(self, seq: int, conn: Connection) -> LoggedSubmission:
        row = conn.execute(select(s.submissions).where(s.submissions.c.seq == seq)).first()
        if row is None:
            raise NotFound(f"no leaf {seq}")
        fs = [
            _finding(f)
            for f in conn.execute(
                select(s.findings).where(s.findings.c.seq == seq).order_by(s.findings.c.id)
            )
        ]
        return _logged(row, fs)

    def seqs_by_blob(self, blob_sha256: str, conn: Connection) -> list[int]:
        return [
            int(x)
            for x in conn.execute(
                select(s.submissions.c.seq).where(s.submissions.c.blob_sha256 == blob_sha256)
            ).scalars()
        ]

    # ----------------------------------------------------------------- checkpoints

    def add_checkpoint(self, size: int, root: bytes, note: str, created_at: str) -> None:
        with self.write() as conn:
            exists = conn.execute(
                select(s.checkpoints.c.size).where(s.checkpoints.c.size == size)
            ).first()
            if exists is None:
                conn.execute(
                    insert(s.checkpoints).values(
                        size=size, root=root, note=note, created_at=created_at
                    )
                )

    def checkpoint(self, size: int | None = None) -> tuple[int, bytes, str, str] | None:
        with self.read() as conn:
            q = select(s.checkpoints)
            q = q.where(s.checkpoints.c.size == size) if size is not None else q
            row = conn.execute(q.order_by(s.checkpoints.c.size.desc()).limit(1)).first()
        if row is None:
            return None
        return int(row.size), bytes(row.root), str(row.note), str(row.created_at)

    def checkpoints(self) -> list[tuple[int, str, str]]:
        with self.read() as conn:
            rows = conn.execute(select(s.checkpoints).order_by(s.checkpoints.c.size)).all()
        return [(int(r.size), str(r.note), str(r.created_at)) for r in rows]

    # ----------------------------------------------------------------- sources

    def add_source(self, conn: Connection, row: Mapping[str, Any]) -> None:
        conn.execute(insert(s.sources).values(**row))

    def list_sources(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(s.sources).order_by(s.sources.c.id))
            ]

    # ----------------------------------------------------------------- regions, registry

    def upsert_region_names(self, conn: Connection, names: Mapping[str, tuple[int, str]]) -> None:
        """Name regions that have no name yet (the first name seen wins)."""
        if not names:
            return
        known: set[str] = set()
        for where in matching(conn, s.regions.c.code, list(names)):
            known.update(conn.execute(select(s.regions.c.code).where(where)).scalars())
        new = [
            {"code": c, "level": lvl, "name": n, "search": fold_name(n)}
            for c, (lvl, n) in names.items()
            if c not in known
        ]
        if new:
            conn.execute(insert(s.regions), new)

    def region_names(
        self, conn: Connection | None = None, codes: Sequence[str] | None = None
    ) -> dict[str, str]:
        """Code -> name of every region, or of ``codes`` only."""
        if conn is None:
            with self.read() as c:
                return self.region_names(c, codes)
        q = select(s.regions.c.code, s.regions.c.name)
        if codes is not None:
            if not codes:
                return {}
            q = q.where(s.regions.c.code.in_(list(codes)))
        return {str(c): str(n) for c, n in conn.execute(q)}

    def search_regions(self, folded: str, limit: int) -> list[tuple[str, int, str]]:
        pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.read() as conn:
            rows = conn.execute(
                select(s.regions.c.code, s.regions.c.level, s.regions.c.name)
                .where(s.regions.c.search.like(pattern, escape="\\"))
                .order_by(s.regions.c.level, s.regions.c.code)
                .limit(limit)
            ).all()
        return [(str(r.code), int(r.level), str(r.name)) for r in rows]

    def upsert_registry(self, conn: Connection, rows: Mapping[str, int | None]) -> None:
        for where in matching(conn, s.registry.c.table_id, list(rows)):
            conn.execute(delete(s.registry).where(where))
        conn.execute(
            insert(s.registry), [{"table_id": t, "registered": r} for t, r in rows.items()]
        )

    def registry(self) -> dict[str, int | None]:
        with self.read() as conn:
            return {
                str(t): (None if r is None else int(r))
                for t, r in conn.execute(select(s.registry.c.table_id, s.registry.c.registered))
            }

    # ----------------------------------------------------------------- results

    def versions(self, table_ids: Sequence[str], conn: Connection) -> dict[str, list[Version]]:
        out: dict[str, list[Version]] = {}
        c = s.submissions.c
        for where in matching(conn, c.table_id, list(table_ids)):
            rows = conn.execute(
                select(c.seq, c.table_id, c.kind, c.channel, c.counts).where(
                    where, c.counts.is_not(None)
                )
            )
            for seq, tid, kind, channel, counts in rows:
                out.setdefault(tid, []).append(
                    Version(
                        int(seq), channel, Counts.from_json(json.loads(counts)), kind == "decision"
                    )
                )
        return out

    def tables_with_results(self, table_ids: Sequence[str], conn: Connection) -> set[str]:
        found: set[str] = set()
        c = s.table_results.c
        for where in matching(conn, c.table_id, list(table_ids)):
            found.update(conn.execute(select(c.table_id).where(where)).scalars())
        return found

    def all_table_ids(self, conn: Connection) -> list[str]:
        c = s.submissions.c
        return [
            str(t)
            for t in conn.execute(
                select(c.table_id).where(c.table_id.is_not(None), c.counts.is_not(None)).distinct()
            ).scalars()
        ]

    def put_table_results(
        self,
        conn: Connection,
        results: Sequence[TableResult],
        removed: Iterable[str] = (),
        new: frozenset[str] = frozenset(),
    ) -> None:
        """Replace the results of these tables; ``new`` ones are known to have none yet."""
        ids = [r.table_id for r in results if r.table_id not in new] + list(removed)
        for where in matching(conn, s.table_results.c.table_id, ids):
            conn.execute(delete(s.table_results).where(where))
        rows = []
        for r in results:
            c = r.counts
            rows.append(
                (
                    r.table_id,
                    str(r.status),
                    -1 if c is None or c.registered is None else c.registered,
                    -1 if c is None or c.null is None else c.null,
                    b"" if c is None else pack_votes(c.votes),
                    _counts_json(c),
                    ",".join(map(str, r.seqs)),
                    r.agreeing,
                    ",".join(r.channels),
                    ",".join(r.differing),
                )
            )
        insert_rows(conn, s.table_results, _RESULT_COLS, rows)

    def table_result(self, table_id: str, conn: Connection) -> TableResult | None:
        row = conn.execute(
            select(s.table_results).where(s.table_results.c.table_id == table_id)
        ).first()
        return None if row is None else _result(row)

    def table_results(
        self, conn: Connection, status: str | None = None, prefix: str | None = None
    ) -> list[TableResult]:
        q = select(s.table_results).order_by(s.table_results.c.table_id)
        if status:
            q = q.where(s.table_results.c.status == status)
        if prefix is not None:
            q = q.where(s.table_results.c.table_id.startswith(prefix, autoescape=True))
        return [_result(r) for r in conn.execute(q)]

    def counted_counts(self, conn: Connection) -> list[tuple[str, str]]:
        """(table id, canonical Counts JSON) of every counted table, sorted by table id."""
        c = s.table_results.c
        q = (
            select(c.table_id, c.counts)
            .where(c.status != str(Status.CONFLICT), c.counts.is_not(None))
            .order_by(c.table_id)
        )
        return [(str(t), str(j)) for t, j in conn.execute(q)]

    def table_arrays(self, n_candidates: int, conn: Connection) -> TableArrays:
        """Every table result as arrays, sorted by table id (a few bulk queries)."""
        return arrays.table_arrays(conn, n_candidates)

    def registry_arrays(self, conn: Connection) -> Registry:
        """The registry as arrays: table ids and registered voters (-1 = unknown)."""
        return arrays.registry_arrays(conn)

    def put_region_results(
        self, conn: Connection, rows: Sequence[tuple[str, int, str, str]]
    ) -> None:
        """Replace every region's packed tally with ``rows``: (code, level, name, packed).

        Regions stored exactly as given are left alone, so a re-tally after a small
        import writes only the regions it changed (readers see less churn); when
        most change, everything is replaced at once.
        """
        stored = {
            str(code): (int(level), str(name), str(data))
            for code, level, name, data in conn.exec_driver_sql(
                "SELECT code, level, name, data FROM region_results"
            )
        }
        fresh = [r for r in rows if stored.get(r[0]) != (r[1], r[2], r[3])]
        keep = {r[0] for r in rows}
        gone = [code for code in stored if code not in keep]
        stale = gone + [r[0] for r in fresh if r[0] in stored]
        if 2 * len(stale) > len(stored):
            conn.execute(delete(s.region_results))
            fresh = list(rows)
        else:
            for where in matching(conn, s.region_results.c.code, stale):
                conn.execute(delete(s.region_results).where(where))
        insert_rows(conn, s.region_results, ("code", "level", "name", "data"), fresh)

    def region_result(self, code: str) -> tuple[str, str] | None:
        """(name, packed tally) of one region."""
        c = s.region_results.c
        with self.read() as conn:
            row = conn.execute(select(c.name, c.data).where(c.code == code)).first()
        return None if row is None else (str(row[0]), str(row[1]))

    def region_results(self, level: int, parent: str | None = None) -> list[tuple[str, str, str]]:
        """(code, name, packed tally) of every region at a level, optionally under a parent."""
        c = s.region_results.c
        q = select(c.code, c.name, c.data).where(c.level == level).order_by(c.code)
        if parent:
            q = q.where(c.code.startswith(parent, autoescape=True))
        with self.read() as conn:
            return [(str(a), str(b), str(d)) for a, b, d in conn.execute(q)]

    def findings(
        self,
        conn: Connection,
        code: str | None = None,
        severity: str | None = None,
        limit: int = 1000,
    ) -> list[tuple[int | None, Finding]]:
        q = select(s.findings).order_by(s.findings.c.id).limit(limit)
        if code:
            q = q.where(s.findings.c.code == code)
        if severity:
            q = q.where(s.findings.c.severity == severity)
        return [(None if r.seq is None else int(r.seq), _finding(r)) for r in conn.execute(q)]

    def finding_counts(self, conn: Connection) -> dict[tuple[str, str], int]:
        c = s.findings.c
        rows = conn.execute(select(c.code, c.severity, func.count()).group_by(c.code, c.severity))
        return {(str(a), str(b)): int(n) for a, b, n in rows}

    # ----------------------------------------------------------------- queue errors

    def add_job_error(
        self, *, job_id: int, task: str, args: str, attempt: int, error: str, at: str
    ) -> None:
        """Record the error of one failed attempt of a queued job (``actas.app.photos.queue``)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.job_errors).values(
                    job_id=job_id, task=task, args=args, attempt=attempt, error=error[:4000], at=at
                )
            )

    def job_errors(self, job_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """job id -> its recorded errors, oldest first."""
        out: dict[int, list[dict[str, Any]]] = {}
        c = s.job_errors.c
        with self.read() as conn:
            for where in matching(conn, c.job_id, list(job_ids)):
                q = select(c.job_id, c.attempt, c.error, c.at).where(where).order_by(c.id)
                for job_id, attempt, error, at in conn.execute(q):
                    out.setdefault(int(job_id), []).append(
                        {"attempt": int(attempt), "error": str(error), "at": str(at)}
                    )
        return out


def _logged(r: Any, fs: list[Finding]) -> LoggedSubmission:
    return LoggedSubmission(
        seq=int(r.seq),
        kind=str(r.kind),
        channel=str(r.channel),
        table_id=r.table_id,
        received_at=str(r.received_at),
        blob_sha256=str(r.blob_sha256),
        actor=str(r.actor),
        counts=_counts_from(r.counts),
        leaf=bytes(r.leaf),
        raw=bytes(r.raw),
        findings=tuple(fs),
    )


def _result(r: Any) -> TableResult:
    return TableResult(
        table_id=TableId(r.table_id),
        status=Status(r.status),
        counts=_counts_from(r.counts),
        seqs=tuple(int(x) for x in r.seqs.split(",") if x),
        agreeing=int(r.agreeing),
        channels=tuple(x for x in r.channels.split(",") if x),
        differing=tuple(x for x in r.differing.split(",") if x),
    )


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            # a 64 MiB page cache (the default is 2 MiB): an import inserts into indexes
            # (identity, table) in random order and would otherwise re-read pages from disk
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True)
