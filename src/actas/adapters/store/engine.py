"""The database under the SQL store: the engine, migrations, transactions, and meta.

SQLAlchemy Core over SQLite (default) or PostgreSQL; the dialect differences are a
few lines here. Writes are serialised (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a
transaction-level advisory lock), so the log's leaf indices are strictly ordered and
gap-free. :class:`Database` is the base of the store's parts (``log``, ``results``),
which :class:`actas.adapters.store.sql.SqlStore` puts together.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from actas.adapters.store import schema as s
from actas.core.errors import StoreError

__all__ = ["Database", "private_sqlite_file"]

_LOCK_ID = 0x41637461  # "Acta": advisory lock key for the log sequencer on PostgreSQL
_MIGRATE_LOCK_ID = 0x4163746D  # "Actm": one process at a time migrates a PostgreSQL store


class Database:
    """An open database: connections, serialised write transactions, the meta table."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                private_sqlite_file(url)
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
    def snapshot(self) -> Iterator[Connection]:
        """A read in which every statement sees the same state of the store (the
        export's: PostgreSQL ``REPEATABLE READ``; a SQLite read transaction is one)."""
        with self.read() as conn:
            if not self.is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

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


def private_sqlite_file(url: str) -> Path | None:
    """Make the SQLite file of ``url`` readable by its owner only (0600), before opening it.

    It holds password hashes and sealed entries. A new file is created 0600, so SQLite
    never makes it with the umask's 0644 (and its ``-wal`` and ``-shm`` files take the
    database's mode); an existing one, and its ``-wal``/``-shm``, lose any group or
    other bits. A file this user may not change is left as it is. ``None`` for an
    in-memory database.
    """
    try:
        name = make_url(url).database
    except (SQLAlchemyError, ValueError):
        return None
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    try:
        if path.parent.is_dir():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            if part.exists():
                mode = stat.S_IMODE(part.stat().st_mode)
                if mode & 0o077:
                    os.chmod(part, mode & 0o700)
    except OSError:
        pass  # a read-only or foreign file: opening it says what is wrong
    return path


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
