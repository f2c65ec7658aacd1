"""Uploaded photos decoded by the queue: the receipt leaf, the job, the pending state.

With ``ACTAS_QUEUE=on`` (PostgreSQL only) a web process never decodes. An upload

1. puts the photo in the blob store (its bytes are safe before anything names them);
2. defers a ``decode_photo`` job carrying the receipt time, the witness's actor id and
   the claimed table (:func:`actas.app.photos.queue.enqueue_photo`);
3. appends an EVENT leaf ``photo.received`` — raw = canonical JSON ``{"event",
   "photo" (SHA-256), "name", "size", "claimed_table", "actor", "nonce"}`` — which is
   the witness's receipt, with its leaf index and hash at once.

A worker then decodes the photo and appends its PHOTO leaf (the QR payload) exactly as
``actas enqueue`` does; a photo without a readable QR joins the transcription queue.
Until then the receipt is *pending*: :func:`pending` lists the receipts of a table
whose photo has no PHOTO leaf yet, which the table page, its JSON twin and
``actas table`` show. A receipt whose decode job failed for good (procrastinate's
``failed`` state, after its retries) is listed with ``status: "failed"``, the job's
id and its last error made public by :func:`public_error` (the exception's class and
first line, paths and URLs blanked); ``actas jobs --retry JOB_ID`` queues it again.

Sending a photo again while it is pending answers with its receipt instead of a new
one (:func:`find_receipt`: the receipts of the claimed table, or of unclaimed
uploads, whose photo has that SHA-256), as a photo already decoded answers with its
PHOTO leaf; the check is made again under the log's lock, so two sendings at the same
instant log one receipt. Sending it again *naming another table* is another claim and
logs its own receipt (what the witness said is evidence); the photo is decoded and
logged once either way.

The job is deferred before the receipt is logged: if logging fails the photo is
still decoded and logged (the witness sees an error and may send it again, which
adds nothing); the other order could log a receipt whose photo is never decoded.
Decoding is idempotent by SHA-256, so a photo sent twice is logged once (each
sending has its receipt). With the queue off (SQLite, the default) uploads are
decoded at once by :func:`actas.app.photos.ingest.ingest_photo`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from actas.adapters.blobs import BlobStore, open_blobs
from actas.adapters.extras import require
from actas.adapters.store import LoggedSubmission, SqlStore, jobs
from actas.adapters.store.photos import Connection, find_receipt
from actas.app.photos.tasks import DECODE
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import InputError
from actas.core.model import SubmissionKind

if TYPE_CHECKING:
    import procrastinate
    import psycopg_pool

__all__ = [
    "RECEIVED",
    "QueuedUploads",
    "decode_failures",
    "find_receipt",
    "pending",
    "pending_of",
    "public_error",
    "received_photo",
]

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
    """Receipts among ``subs`` whose photo is not decoded and logged yet.

    Each is ``{"seq", "sha256", "received_at", "status"}``; status is ``"pending"``, or
    ``"failed"`` with ``"job_id"`` and ``"error"`` when its decode job failed for good."""
    receipts = [(s, sha) for s in subs if (sha := received_photo(s)) is not None]
    if not receipts:
        return []
    logged = store.known_identities([f"blob:{sha}" for _, sha in receipts], conn)
    waiting = [(s, sha) for s, sha in receipts if f"blob:{sha}" not in logged]
    failed = decode_failures(conn, [sha for _, sha in waiting])
    out = []
    for s, sha in waiting:
        item: dict[str, Any] = {
            "seq": s.seq,
            "sha256": sha,
            "received_at": s.received_at,
            "status": "pending",
        }
        if sha in failed:
            item.update(status="failed", **failed[sha])
        out.append(item)
    return out


def pending_of(svc: Service, table_id: str) -> list[dict[str, Any]]:
    """:func:`pending` for one table (``actas table``; the web reads it with the page)."""
    with svc.store.read() as conn:
        return pending(svc.store, conn, svc.store.submissions_of(table_id, conn))


_PATH = re.compile(r"""[a-zA-Z][\w+.-]*://\S+|(?<![\w.])(?:[A-Za-z]:)?[/\\][^\s'",:;]*""")


def public_error(error: str) -> str:
    """A recorded job error fit to show anyone: its first line, without paths or URLs."""
    line = error.strip().splitlines()[0] if error.strip() else ""
    line = _PATH.sub("…", line)
    return line[:300] or "the photo could not be read"


def decode_failures(conn: Connection, shas: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Photo SHA-256 -> ``{"job_id", "error"}`` for photos whose last decode job failed
    for good (none queued or running again). Empty without the queue's tables."""
    last = jobs.latest_jobs(conn, DECODE, shas)  # the latest job of each photo decides
    failed = {sha: job_id for sha, (job_id, status) in last.items() if status == "failed"}
    if not failed:
        return {}
    errors = jobs.last_errors(conn, list(failed.values()))
    return {
        sha: {"job_id": job_id, "error": public_error(errors.get(job_id, ""))}
        for sha, job_id in failed.items()
    }


def _known(
    svc: Service, conn: Connection, sha: str, claimed_table: str | None
) -> dict[str, Any] | None:
    """The reply to a photo sent before: its PHOTO leaf once decoded, else the receipt
    already logged for it and the same claimed table (pending or failed); None if new."""
    seqs = svc.store.seqs_by_blob(sha, conn)
    if seqs:  # decoded and logged before: nothing to add
        return {"sha256": sha, "duplicate": True, "seq": seqs[0], "status": "logged"}
    receipt = find_receipt(conn, sha, claimed_table)
    if receipt is not None:  # still pending (or failed): its receipt, not another
        return {
            "sha256": sha,
            "duplicate": True,
            "seq": receipt,
            "table_id": claimed_table,
            "status": "queued",
        }
    return None


class QueuedUploads:
    """What a web process holds to queue uploads: the blob store and a small job pool."""

    def __init__(self, settings: Settings) -> None:
        require("postgres", "ACTAS_QUEUE=on (the job queue)")
        jobs.conninfo(settings.database_url)  # the queue needs PostgreSQL: say so at start
        self.settings = settings
        self.blobs: BlobStore = open_blobs(settings.blobs, settings.s3_endpoint)
        self._app: procrastinate.App | None = None
        self._pool: psycopg_pool.ConnectionPool | None = None
        self._lock = threading.Lock()

    def _jobs(self) -> procrastinate.App:
        with self._lock:
            if self._app is None:
                from actas.app.photos import queue

                jobs.ensure_schema(self.settings.database_url)
                app = queue.make_app(self.settings)
                pool = jobs.connection_pool(self.settings.database_url, max_size=4)
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
        from actas.app.people.accounts import log_action
        from actas.app.photos.queue import enqueue_photo

        if len(data) > svc.settings.max_upload:
            raise InputError(
                f"the photo is {len(data):,} bytes; the limit is {svc.settings.max_upload:,}"
            )
        if not data:
            raise InputError("the photo is empty")
        received_at = svc.clock()
        sha = self.blobs.put(data)
        with svc.store.read() as conn:
            known = _known(svc, conn, sha, claimed_table)
        if known is not None:
            return known
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
            # again under the log's lock: the same photo sent twice at once gets one receipt
            # (the second job finds the photo logged by the first and adds nothing)
            known = _known(svc, conn, sha, claimed_table)
            if known is not None:
                return known
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
