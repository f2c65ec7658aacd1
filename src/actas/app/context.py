"""What every use case works with: the settings, the election, the store, the log,
the photo blobs and the clock. Opened once
(:meth:`Context.create` or :meth:`Context.open`), closed once.

    ctx, created = Context.create(settings, "ve-2024")   # a new data folder
    ctx = Context.open(settings)                         # afterwards
    results.results(ctx, level=0)
    ctx.close()

The use cases are functions of a context (``importing``, ``results``,
``publishing``, ``analysis``); :class:`actas.app.service.Service` is the same
context with them as methods.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from actas.adapters.blobs import BlobStore, open_blobs
from actas.adapters.elections import definition_mapping_texts, read_definition
from actas.adapters.store import SqlStore, open_store
from actas.adapters.tlog import Log
from actas.app.settings import Settings
from actas.core.definitions import parse_election
from actas.core.errors import StoreError
from actas.core.model import Election

__all__ = ["Clock", "Context", "utcnow"]

Clock = Callable[[], str]


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Context:
    """The adapters of one data folder, and its election."""

    def __init__(
        self,
        settings: Settings,
        store: SqlStore,
        election: Election,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.election = election
        self.clock = clock
        self.log = Log(store, election, settings.origin, settings.keys_dir)

    @functools.cached_property
    def blobs(self) -> BlobStore:
        """The photo store (a folder or S3), opened on first use."""
        return open_blobs(self.settings.blobs, self.settings.s3_endpoint)

    @functools.cached_property
    def mapping_texts(self) -> dict[str, str]:
        """Format name -> exact text of every import mapping of the election: the
        built-in ones and those found beside a custom definition at ``init``."""
        return definition_mapping_texts(self.election, self.store.get_meta("mappings"))

    @functools.cached_property
    def definition_hashes(self) -> tuple[str, dict[str, str]]:
        """SHA-256 of the stored election definition and of each built-in mapping's text
        (what every import event names); read once, since neither changes after init."""
        definition = self.store.get_meta("election")
        election = hashlib.sha256(definition.encode("utf-8")).hexdigest() if definition else ""
        mappings = {
            name: hashlib.sha256(text.encode("utf-8")).hexdigest()
            for name, text in self.mapping_texts.items()
        }
        return election, mappings

    def after_fork(self) -> None:
        """In a forked worker: leave the parent's database connections and blob store
        client to the parent (both are opened again on use)."""
        self.store.engine.dispose(close=False)
        self.__dict__.pop("blobs", None)

    def close(self) -> None:
        self.store.close()

    @classmethod
    def create(cls, settings: Settings, election: str, clock: Clock = utcnow) -> tuple[Self, bool]:
        """Open a data folder for ``election`` (a built-in id, a TOML file or a folder
        holding ``election.toml`` and mappings), making it
        if need be; True when the election was stored just now (its results are still
        to be tallied). Refuses a folder that holds another election."""
        given = read_definition(election)  # with the mappings beside a custom one
        text = given.text
        definition = parse_election(text, given.origin)
        settings.make_home()
        store = open_store(settings.database_url, migrate=True)
        existing = store.get_meta("election")
        if existing is not None:
            old = parse_election(existing, "stored definition")
            if old.id != definition.id:
                raise StoreError(
                    f"{settings.home} already holds election {old.id!r}; use another --home"
                )
        else:
            with store.write() as conn:
                store.set_meta("election", text, conn)
                store.set_meta("created_at", clock(), conn)
                if given.mappings:
                    store.set_meta("mappings", given.mappings_json(), conn)
                if definition.region_names:
                    store.upsert_region_names(
                        conn, {c: (0, n) for c, n in definition.region_names.items()}
                    )
        ctx = cls(settings, store, definition, clock)
        ctx.log.ensure_keys()
        return ctx, existing is None

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utcnow) -> Self:
        """The context of an existing data folder; StoreError when there is none."""
        db = settings.database_url
        if db.startswith("sqlite:///") and not Path(db[len("sqlite:///") :]).exists():
            raise StoreError(f"no Actas data in {settings.home}; run 'actas init' first")
        if settings.home.is_dir():  # a folder made before it was private
            settings.make_home()
        store = open_store(db, migrate=True)
        text = store.get_meta("election")
        if text is None:
            store.close()  # no connection left to the garbage collector
            raise StoreError(f"no election in {settings.home}; run 'actas init' first")
        return cls(settings, store, parse_election(text, "stored definition"), clock)
