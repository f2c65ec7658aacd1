"""The SQL store: SQLAlchemy Core over SQLite (default) or PostgreSQL.

:class:`SqlStore` is the one object the app holds. It is put together from the parts
of the store, each a module by what it stores:

- :mod:`~actas.adapters.store.engine`: the engine, migrations, transactions, meta;
- :mod:`~actas.adapters.store.log`: submissions, leaves, Merkle nodes, checkpoints,
  sources (:class:`~actas.adapters.store.protocol.LogStore`);
- :mod:`~actas.adapters.store.results`: table results, findings, the registry, region
  names and tallies (:class:`~actas.adapters.store.protocol.ResultStore`);

and the queue's job errors below. :mod:`~actas.adapters.store.memory` is the same
seam without SQL, for tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from actas.adapters.store import schema as s
from actas.adapters.store.bulk import matching
from actas.adapters.store.log import LogTables
from actas.adapters.store.results import ResultTables
from actas.adapters.store.rows import fold_name, pack_votes
from actas.core.log.entry import LoggedSubmission

if TYPE_CHECKING:
    from actas.adapters.store.protocol import Store

__all__ = ["LoggedSubmission", "SqlStore", "fold_name", "pack_votes"]


class SqlStore(LogTables, ResultTables):
    """The one store implementation; the dialect differences are a few lines."""

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


if TYPE_CHECKING:  # mypy holds the SQL store to the seam

    def _is_a_store(store: SqlStore) -> Store[Connection]:
        return store
