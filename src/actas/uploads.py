"""Uploaded photos decoded by the queue: the receipt leaf, the job, the pending state.

With ``ACTAS_QUEUE=on`` (PostgreSQL only) a web process never decodes. An upload

1. puts the photo in the blob store (its bytes are safe before anything names them);
2. defers a ``decode_photo`` job carrying the receipt time, the witness's actor id and
   the claimed table (:func:`actas.queue.enqueue_photo`);
3. appends an EVENT leaf ``photo.received`` — raw = canonical JSON ``{"event",
   "photo" (SHA-256), "name", "size", "claimed_table", "actor", "nonce"}`` — which is
   the witness's receipt, with its leaf index and hash at once.

A worker then decodes the photo and appends its PHOTO leaf (the QR payload) exactly as
``actas enqueue`` does; a photo without a readable QR joins the transcription queue.
Until then the receipt is *pending*: :func:`pending` lists the receipts of a table
whose photo has no PHOTO leaf yet, which the table page and its JSON twin show.

The job is deferred before the receipt is logged: if logging fails the photo is
still decoded and logged (the witness sees an error and may send it again, which
adds nothing); the other order could log a receipt whose photo is never decoded.
Decoding is idempotent by SHA-256, so a photo sent twice is logged once (each
sending has its receipt). With the queue off (SQLite, the default) uploads are
decoded at once by :func:`actas.ingest.ingest_photo`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from .blobs import BlobStore, open_blobs
from .errors import InputError
from .extras import require
from .model import SubmissionKind
from .service import Service
from .settings import Settings
from .store import LoggedSubmission, SqlStore

if TYPE_CHECKING:
    import procrastinate
    import psycopg_pool

__all__ = ["RECEIVED", "QueuedUploads", "pending", "queue_transcription", "received_photo"]

RECEIVED = "photo.received"


def received_photo(sub: LoggedSubmission) -> str | None:
    """The photo's SHA-256 if ``sub`` is an upload's receipt leaf, else None."""
    if sub.kind != SubmissionKind.EVENT or b'"photo.received"' not in sub.raw:
        return None
    try:
        body = json.loads(sub.raw)
    except ValueError:
        return None
    photo = body.get("photo") if isinstance(body, dict) else None
    if body.get("event") != RECEIVED or not isinstance(photo, str):
        return None
    return photo


def pending(
    store: SqlStore, conn: Connection, subs: Sequence[LoggedSubmission]
) -> list[dict[str, Any]]:
    """Receipts among ``subs`` whose photo is not decoded and logged yet."""
    receipts = [(s, sha) for s in subs if (sha := received_photo(s)) is not None]
    if not receipts:
        return []
    logged = store.known_identities([f"blob:{sha}" for _, sha in receipts], conn)
    return [
        {"seq": s.seq, "sha256": sha, "received_at": s.received_at}
        for s, sha in receipts
        if f"blob:{sha}" not in logged
    ]


def queue_transcription(svc: Service, sha256: str, seq: int, table_id: str | None) -> None:
    """Put a decoded photo without a readable QR in the transcription queue (a worker's
    call, as the web path does at once when it decodes itself)."""
    from .people.accounts import People
    from .people.transcription import Transcription

    # queueing needs no pseudonym: no server secret is read (workers do not hold it)
    tasks = Transcription(People(svc, secret=b""))
    with svc.store.write() as conn:
        tasks.enqueue(conn, sha256, seq, table_id, "no_qr")


class QueuedUploads:
    """What a web process holds to queue uploads: the blob store and a small job pool."""

    def __init__(self, settings: Settings) -> None:
        require("postgres", "ACTAS_QUEUE=on (the job queue)")
        from . import queue

        queue.conninfo(settings.database_url)  # the queue needs PostgreSQL: say so at start
        self.settings = settings
        self.blobs: BlobStore = open_blobs(settings.blobs, settings.s3_endpoint)
        self._app: procrastinate.App | None = None
        self._pool: psycopg_pool.ConnectionPool | None = None
        self._lock = threading.Lock()

    def _jobs(self) -> procrastinate.App:
        with self._lock:
            if self._app is None:
                import psycopg_pool

                from . import queue

                queue.ensure_schema(self.settings)
                app = queue.make_app(self.settings)
                pool = psycopg_pool.ConnectionPool(
                    queue.conninfo(self.settings.database_url),
                    min_size=1,
                    max_size=4,
                    open=False,
                    check=psycopg_pool.ConnectionPool.check_connection,
                )
                app.open(pool)
                pool.open(wait=True)
                self._pool = pool
                self._app = app
            return self._app

    def receive(
        self,
        svc: Service,
        data: bytes,
        name: str,
        *,
        claimed_table: str | None,
        actor: str,
    ) -> dict[str, Any]:
        """Store the photo, queue its decoding, log its receipt; the reply of an upload."""
        from .people.accounts import log_action
        from .queue import enqueue_photo

        if len(data) > svc.settings.max_upload:
            raise InputError(
                f"the photo is {len(data):,} bytes; the limit is {svc.settings.max_upload:,}"
            )
        if not data:
            raise InputError("the photo is empty")
        received_at = svc.clock()
        sha = self.blobs.put(data)
        with svc.store.read() as conn:
            seqs = svc.store.seqs_by_blob(sha, conn)
        if seqs:  # decoded and logged before: nothing to add
            return {"sha256": sha, "duplicate": True, "seq": seqs[0], "status": "logged"}
        enqueue_photo(
            self._jobs(),
            self.blobs,
            data,
            name,
            claimed_table=claimed_table,
            received_at=received_at,
            actor=actor,
            channel="photo",
        )
        body = {
            "event": RECEIVED,
            "photo": sha,
            "name": name[:200],
            "size": len(data),
            "claimed_table": claimed_table or "",
        }
        with svc.store.write() as conn:
            seq = log_action(
                svc,
                conn,
                SubmissionKind.EVENT,
                body,
                actor,
                table_id=claimed_table,
                channel="photo",
            )
        return {
            "sha256": sha,
            "duplicate": False,
            "seq": seq,
            "table_id": claimed_table,
            "status": "queued",
        }

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None
            if self._pool is not None:
                self._pool.close()
                self._pool = None
