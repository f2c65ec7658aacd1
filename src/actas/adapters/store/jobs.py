"""The job queue's side of the database: procrastinate's connection, schema and job rows.

The queue (:mod:`actas.app.photos.queue`) runs on procrastinate 3 over the store's
PostgreSQL database. What touches that database directly lives here: the libpq URL
(:func:`conninfo`), creating procrastinate's tables once (:func:`ensure_schema`), the
connector and pool the queue's App uses, the jobs counted and listed by ``actas jobs``,
putting failed jobs back, and the latest job and recorded errors of a task's arguments
(what an upload's pending state shows). Job errors are written by
:meth:`actas.adapters.store.SqlStore.add_job_error`.

psycopg, psycopg_pool and procrastinate are the ``postgres`` extra: they are imported
inside the functions that need them, so this module imports without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, text

from actas.adapters.store import schema
from actas.core.errors import InputError

if TYPE_CHECKING:
    import procrastinate
    import psycopg_pool

__all__ = [
    "connection_pool",
    "connector",
    "conninfo",
    "ensure_schema",
    "job_rows",
    "last_errors",
    "latest_jobs",
    "retry_failed_jobs",
]

_SCHEMA_LOCK = 0x41637471  # advisory lock: one process applies the queue schema


def conninfo(database_url: str) -> str:
    """The libpq URL of the store's database; the queue needs PostgreSQL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    raise InputError(
        "the job queue needs PostgreSQL: set ACTAS_DATABASE_URL=postgresql://… "
        "(or 'actas init --db postgresql://…')"
    )


def ensure_schema(database_url: str) -> None:
    """Create procrastinate's tables in the store's database unless they exist."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if row is None or row[0] is None:
                conn.execute(SchemaManager.get_schema())
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def connector(database_url: str) -> procrastinate.PsycopgConnector:
    """procrastinate's connector to the store's database (a worker's, or ``actas enqueue``'s)."""
    import procrastinate

    return procrastinate.PsycopgConnector(conninfo=conninfo(database_url))


def connection_pool(database_url: str, max_size: int = 4) -> psycopg_pool.ConnectionPool:
    """A small pool, not yet opened, for a web process that only defers jobs."""
    import psycopg_pool

    return psycopg_pool.ConnectionPool(
        conninfo(database_url),
        min_size=1,
        max_size=max_size,
        open=False,
        check=psycopg_pool.ConnectionPool.check_connection,
    )


def job_rows(
    database_url: str, failed_limit: int
) -> tuple[list[tuple[str, str, int]], list[tuple[int, str, str, int]]]:
    """``(task, status, count)`` of every job, by task then status; and ``(job_id, task,
    args as JSON text, attempts)`` of the first ``failed_limit`` failed jobs."""
    import psycopg

    with psycopg.connect(conninfo(database_url)) as conn:
        counts = conn.execute(
            "SELECT task_name, status::text, count(*) FROM procrastinate_jobs"
            " GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        failed = conn.execute(
            "SELECT id, task_name, args::text, attempts FROM procrastinate_jobs"
            " WHERE status = 'failed' ORDER BY id LIMIT %s",
            (failed_limit,),
        ).fetchall()
    return (
        [(str(task), str(status), int(n)) for task, status, n in counts],
        [(int(job_id), str(task), str(args), int(n)) for job_id, task, args, n in failed],
    )


def retry_failed_jobs(database_url: str, job_ids: Sequence[int] | None = None) -> int:
    """Queue failed jobs again (every one, or those of ``job_ids`` that failed); how many."""
    import psycopg

    sql = (
        "SELECT procrastinate_retry_job_v2(id, now(), NULL, NULL, NULL)"
        " FROM procrastinate_jobs WHERE status = 'failed'"
    )
    with psycopg.connect(conninfo(database_url), autocommit=True) as conn:
        if job_ids is None:
            rows = conn.execute(sql).fetchall()
        else:
            rows = conn.execute(sql + " AND id = ANY(%s)", ([int(i) for i in job_ids],)).fetchall()
    return len(rows)


def latest_jobs(conn: Connection, task: str, shas: Sequence[str]) -> dict[str, tuple[int, str]]:
    """For each photo of ``shas``, the ``(job_id, status)`` of the latest ``task`` job whose
    ``sha256`` argument names it; empty off PostgreSQL or without the queue's tables."""
    if not shas or conn.dialect.name != "postgresql":
        return {}
    if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
        return {}
    rows = conn.execute(
        text(
            "SELECT args->>'sha256', id, status::text FROM procrastinate_jobs"
            " WHERE task_name = :task AND args->>'sha256' = ANY(:shas) ORDER BY id"
        ),
        {"task": task, "shas": list(shas)},
    ).all()
    last: dict[str, tuple[int, str]] = {}
    for sha, job_id, status in rows:  # ordered by id: the latest wins
        last[str(sha)] = (int(job_id), str(status))
    return last


def last_errors(conn: Connection, job_ids: Sequence[int]) -> dict[int, str]:
    """The error recorded for the last failed attempt of each of ``job_ids`` that has one."""
    if not job_ids:
        return {}
    c = schema.job_errors.c
    errors: dict[int, str] = {}
    q = select(c.job_id, c.error).where(c.job_id.in_(list(job_ids))).order_by(c.id)
    for job_id, error in conn.execute(q):
        errors[int(job_id)] = str(error)  # ordered by id: the last attempt's
    return errors
