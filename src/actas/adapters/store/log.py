"""The log's tables: submissions with their leaf bytes, findings, Merkle nodes, checkpoints.

Appending is one transaction holding the submissions, their leaf bytes, the new
Merkle nodes and the findings: after a crash there is never a submission without its
leaf or a leaf without its submission. Appends run inside :meth:`Database.write`,
the log's single sequencer, so leaf indices are strictly ordered and gap-free.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select

from actas.adapters.store import people_schema
from actas.adapters.store import schema as s
from actas.adapters.store.bulk import insert_rows, matching
from actas.adapters.store.engine import Database
from actas.adapters.store.nodes import LOW_LEVELS, NodeReader
from actas.adapters.store.rows import counts_json, finding_from, logged_from
from actas.core.errors import NotFound
from actas.core.log import merkle
from actas.core.log.entry import LoggedSubmission
from actas.core.model import Finding, Submission

__all__ = ["LogTables"]

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
_FINDING_COLS = ("seq", "table_id", "code", "severity", "message", "fields")


class LogTables(Database):
    """The append-only log in SQL: what :class:`actas.adapters.tlog.Log` stands on."""

    # ----------------------------------------------------------------- appending

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
                    counts_json(sub.counts),
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

    # ----------------------------------------------------------------- reading

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
                found.setdefault(int(f.seq), []).append(finding_from(f))
            for r in rows:
                yield logged_from(r, found.get(int(r.seq), []))
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
                found.setdefault(int(f.seq), []).append(finding_from(f))
        return [logged_from(r, found.get(int(r.seq), [])) for r in rows]

    def submission(self, seq: int, conn: Connection) -> LoggedSubmission:
        row = conn.execute(select(s.submissions).where(s.submissions.c.seq == seq)).first()
        if row is None:
            raise NotFound(f"no leaf {seq}")
        fs = [
            finding_from(f)
            for f in conn.execute(
                select(s.findings).where(s.findings.c.seq == seq).order_by(s.findings.c.id)
            )
        ]
        return logged_from(row, fs)

    def seqs_by_blob(self, blob_sha256: str, conn: Connection) -> list[int]:
        return [
            int(x)
            for x in conn.execute(
                select(s.submissions.c.seq).where(s.submissions.c.blob_sha256 == blob_sha256)
            ).scalars()
        ]

    def disclosed_entries(self, conn: Connection) -> set[int]:
        """Leaf indices of the transcription entries that may be published in full
        (their photo is settled: :func:`people_schema.disclosed_entries`)."""
        return people_schema.disclosed_entries(conn)

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

    def set_checkpoint_note(self, size: int, note: str) -> None:
        with self.write() as conn:
            conn.execute(
                s.checkpoints.update().where(s.checkpoints.c.size == size).values(note=note)
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
        """Record a file received (channel, name, sha256, received_at, rows_read, ...)."""
        conn.execute(insert(s.sources).values(**row))

    def list_sources(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(s.sources).order_by(s.sources.c.id))
            ]
