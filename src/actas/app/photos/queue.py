"""A durable job queue on PostgreSQL (procrastinate 3): photo decoding and checkpoints.

    actas enqueue PHOTOS…            store each photo in the blob store, enqueue its decoding
    actas worker [--concurrency N]   decode on any number of machines (actas.app.photos.workers)
    actas jobs                       what is queued, running, done and failed (actas.app.photos.workers)

Web servers and ``actas enqueue`` only store bytes and insert jobs: they stay
stateless. Workers share nothing but PostgreSQL and the blob store.

Tasks (queue ``photos`` unless said otherwise):

- ``decode_photo(sha256, name, claimed_table)`` reads the photo from the blob store,
  runs :func:`actas.adapters.photo.reader.read_photo` and :meth:`actas.app.photos.ingest.Ingestor.write`: one
  transaction for submission, leaf and photo row, under the log's sequencer.
  Idempotent by photo SHA-256: a photo already logged is skipped, so a job run twice
  (a retry, a stalled job picked up again) logs the photo once.
- ``retally()`` recomputes the region results. Deferred after each decode with a
  queueing lock (at most one waiting) and a lock (at most one running).
- ``publish_checkpoint()`` (queue ``signer``) retallies, then signs a checkpoint. Only
  the signer host, which alone holds the key file, runs a worker on that queue.
- ``retry_stalled_jobs()`` (periodic, every 5 s) re-queues jobs of dead workers.
- ``prune_jobs()`` (periodic, hourly) deletes jobs that succeeded over 48 h ago.

Failures: a failing job is retried with exponential backoff (2, 4, 8, 16, 32 s by
default); after the last attempt it stays in procrastinate's ``failed`` state — the
dead letters — and the error of every attempt is in the ``job_errors`` table.

Killed workers (procrastinate 3.x has no automatic stalled-job retry): every worker
writes a heartbeat to ``procrastinate_workers`` every ``heartbeat`` seconds, and each
running job records its worker's id. A worker killed with SIGKILL stops beating;
its jobs stay ``doing``. ``retry_stalled_jobs`` calls
``job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)`` — jobs in
``doing`` whose worker's heartbeat is older than that, or whose worker row was
pruned (a starting worker deletes workers silent for ``stalled_after``, and the
foreign key sets the jobs' ``worker_id`` to NULL) — and ``retry_job``s them; a job
that has used up its attempts this way (a photo that kills its worker) is marked
``failed`` instead.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions
from procrastinate import jobs as pq_jobs
from procrastinate import types as pq_types

from actas.adapters.blobs import BlobStore, open_blobs
from actas.adapters.photo.imaging import Limits
from actas.adapters.photo.reader import find_photos, read_photo
from actas.adapters.store import jobs, open_store
from actas.adapters.store.jobs import conninfo
from actas.app.photos.ingest import Ingestor, IngestSummary
from actas.app.photos.tasks import CHECKPOINT, DECODE, PHOTOS, PRUNE, RETALLY, RETRY_STALLED, SIGNER
from actas.app.service import Service, utcnow
from actas.app.settings import Settings
from actas.core.errors import InputError, StoreError

__all__ = [
    "EnqueueSummary",
    "QueueOptions",
    "app_with_runtime",
    "conninfo",
    "enqueue_paths",
    "enqueue_photo",
    "ensure_schema",
    "make_app",
    "queue_transcription",
    "request_checkpoint",
]

_DEFER_BATCH = 500

log = logging.getLogger("actas.app.photos.queue")


@dataclass(frozen=True)
class QueueOptions:
    """How jobs are retried and how soon a silent worker counts as dead."""

    max_attempts: int = 5  # retries after the first run
    backoff: int = 2  # exponential: the n-th retry waits backoff ** n seconds
    heartbeat: float = 10.0  # seconds between a worker's heartbeats
    stalled_after: float = 30.0  # a worker silent this long is dead; its jobs are retried
    checkpoint_cron: str = "*/5 * * * *"  # when workers defer publish_checkpoint
    keep_done_hours: int = 48  # succeeded jobs are deleted after this long (hourly)
    stalled_cron: str = "* * * * * */5"  # when workers defer retry_stalled_jobs (seconds last)


def ensure_schema(settings: Settings) -> None:
    """Create procrastinate's tables in the store's database unless they exist."""
    jobs.ensure_schema(settings.database_url)


def queue_transcription(svc: Service, sha256: str, seq: int, table_id: str | None) -> None:
    """Put a decoded photo without a readable QR in the transcription queue (a worker's
    call, as the web path does at once when it decodes itself)."""
    from actas.app.people.accounts import People
    from actas.app.people.transcription import Transcription

    # queueing needs no pseudonym: no server secret is read (workers do not hold it)
    tasks = Transcription(People(svc, secret=b""))
    with svc.store.write() as conn:
        tasks.enqueue(conn, sha256, seq, table_id, "no_qr")


class _Runtime:
    """What one worker process holds: the service, the blob store, an Ingestor."""

    def __init__(self, settings: Settings, options: QueueOptions) -> None:
        self.settings = settings
        self.options = options
        self._lock = threading.Lock()
        self._svc: Service | None = None
        self._blobs: BlobStore | None = None
        self._ingestor: tuple[float, Ingestor] | None = None

    def service(self) -> Service:
        with self._lock:
            if self._svc is None:
                self._svc = Service.open(self.settings)
            return self._svc

    def blobs(self) -> BlobStore:
        with self._lock:
            if self._blobs is None:
                self._blobs = open_blobs(self.settings.blobs, self.settings.s3_endpoint)
            return self._blobs

    def ingestor(self, received_at: str) -> Ingestor:
        """An Ingestor for this receipt time (the registry is re-read once a minute)."""
        svc, blobs = self.service(), self.blobs()
        with self._lock:
            now = time.monotonic()
            if self._ingestor is None or now - self._ingestor[0] > 60:
                self._ingestor = (now, Ingestor(svc, blobs, received_at))
            ing = copy.copy(self._ingestor[1])
        ing.received_at = received_at
        return ing

    def decode(
        self,
        sha256: str,
        name: str,
        claimed: str | None,
        received_at: str,
        actor: str,
        channel: str,
    ) -> dict[str, Any]:
        svc = self.service()
        with svc.store.read() as conn:
            if svc.store.known_identities([f"blob:{sha256}"], conn):
                return {"sha256": sha256, "duplicate": True}
        data = self.blobs().get(sha256)  # NotFound / damaged: the job fails and is retried
        ing = self.ingestor(received_at or svc.clock())
        reading = read_photo(data, name, ing.fmt, Limits(max_bytes=svc.settings.max_upload))
        [(_, seq, sub)] = ing.write([(reading, data, claimed)], IngestSummary(), actor, channel)
        if actor and seq is not None and sub is not None and sub.counts is None:
            # a person's upload without a readable QR: volunteers transcribe it
            queue_transcription(svc, sha256, seq, sub.table_id)
        return {
            "sha256": sha256,
            "duplicate": seq is None,
            "seq": seq,
            "table_id": None if sub is None else sub.table_id,
        }

    def close(self) -> None:
        with self._lock:
            if self._svc is not None:
                self._svc.close()
                self._svc = None

    def record_error(self, job: pq_jobs.Job, exc: BaseException) -> None:
        try:
            self.service().store.add_job_error(
                job_id=int(job.id or 0),
                task=job.task_name,
                args=json.dumps(job.task_kwargs, sort_keys=True, default=str),
                attempt=job.attempts + 1,
                error=f"{type(exc).__name__}: {exc}",
                at=utcnow(),
            )
        except Exception:  # the error is also in the worker's log; never mask the first
            log.exception("cannot record the error of job %s", job.id)


def make_app(settings: Settings, options: QueueOptions | None = None) -> procrastinate.App:
    """The procrastinate App over the store's database, with Actas' tasks."""
    return app_with_runtime(settings, options or QueueOptions())[0]


def app_with_runtime(
    settings: Settings, options: QueueOptions
) -> tuple[procrastinate.App, _Runtime]:
    """The App and what its tasks hold in this process (a worker closes it at exit)."""
    app = procrastinate.App(connector=jobs.connector(settings.database_url))
    rt = _Runtime(settings, options)
    retry = procrastinate.RetryStrategy(
        max_attempts=options.max_attempts, exponential_wait=options.backoff
    )

    def recorded(context: procrastinate.JobContext, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            assert context.job is not None
            rt.record_error(context.job, exc)
            raise

    @app.task(name=DECODE, queue=PHOTOS, retry=retry, pass_context=True)
    def decode_photo(
        context: procrastinate.JobContext,
        sha256: str,
        name: str,
        claimed_table: str | None = None,
        received_at: str = "",
        actor: str = "",
        channel: str = "photo",
    ) -> dict[str, Any]:
        out: dict[str, Any] = recorded(
            context,
            lambda: rt.decode(sha256, name, claimed_table, received_at, actor, channel),
        )
        if not out["duplicate"]:
            _defer_once(app, RETALLY)
        return out

    @app.task(
        name=RETALLY,
        queue=PHOTOS,
        retry=retry,
        pass_context=True,
        queueing_lock=RETALLY,
        lock=RETALLY,
    )
    def retally(context: procrastinate.JobContext) -> None:
        recorded(context, lambda: rt.service().retally())

    @app.periodic(cron=options.checkpoint_cron, periodic_id="checkpoint")
    @app.task(
        name=CHECKPOINT,
        queue=SIGNER,
        retry=retry,
        pass_context=True,
        queueing_lock=CHECKPOINT,
        lock=CHECKPOINT,
    )
    def publish_checkpoint(context: procrastinate.JobContext, timestamp: int = 0) -> str:
        def run() -> str:
            svc = rt.service()
            svc.retally()
            return svc.log.publish_checkpoint(svc.clock())

        note: str = recorded(context, run)
        return note

    @app.periodic(cron=options.stalled_cron, periodic_id="stalled")
    @app.task(
        name=RETRY_STALLED,
        queue=PHOTOS,
        priority=100,
        queueing_lock=RETRY_STALLED,  # no lock: one stuck with a dead worker would block all
    )
    async def retry_stalled_jobs(timestamp: int = 0) -> int:
        return await _retry_stalled(app, rt, options)

    @app.periodic(cron="7 * * * *", periodic_id="prune")
    @app.task(name=PRUNE, queue=PHOTOS, queueing_lock=PRUNE)
    async def prune_jobs(timestamp: int = 0) -> None:
        """Delete succeeded jobs (failed ones stay: they are the dead letters)."""
        await app.job_manager.delete_old_jobs(nb_hours=options.keep_done_hours)

    del decode_photo, retally, publish_checkpoint, retry_stalled_jobs, prune_jobs
    return app, rt


async def _retry_stalled(app: procrastinate.App, rt: _Runtime, options: QueueOptions) -> int:
    manager = app.job_manager
    await manager.prune_stalled_workers(options.stalled_after)
    done = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=options.stalled_after):
        try:
            if job.attempts >= options.max_attempts:
                rt.record_error(job, RuntimeError("the worker died while running the job"))
                await manager.finish_job(job, pq_jobs.Status.FAILED, delete_job=False)
            else:
                await manager.retry_job(job)
            done += 1
            log.warning("job %s of a dead worker re-queued (attempt %s)", job.id, job.attempts)
        except pq_exceptions.ConnectorException:  # another worker got there first
            continue
    return done


def _defer_once(app: procrastinate.App, task: str) -> None:
    with contextlib.suppress(pq_exceptions.AlreadyEnqueued):
        app.configure_task(task, queueing_lock=task).defer()


def request_checkpoint(app: procrastinate.App) -> None:
    """Ask the signer for a checkpoint now (at most one request waits)."""
    _defer_once(app, CHECKPOINT)


# --------------------------------------------------------------------------- enqueueing


@dataclass
class EnqueueSummary:
    photos: int = 0
    enqueued: int = 0
    duplicates: int = 0  # already in the log
    rejected: int = 0  # empty or over the size limit: not stored
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def enqueue_photo(
    app: procrastinate.App,
    blobs: BlobStore,
    data: bytes,
    name: str,
    *,
    claimed_table: str | None = None,
    received_at: str = "",
    actor: str = "",
    channel: str = "photo",
) -> str:
    """Store one photo, then enqueue its decoding (the stateless web path). Returns its hash."""
    sha = blobs.put(data)  # the bytes are safe before any job names them
    app.configure_task(DECODE).defer(
        sha256=sha,
        name=name[:200],
        claimed_table=claimed_table,
        received_at=received_at or utcnow(),
        actor=actor,
        channel=channel,
    )
    return sha


def enqueue_paths(
    settings: Settings,
    paths: Sequence[Path],
    *,
    app: procrastinate.App | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EnqueueSummary:
    """Store every photo under ``paths`` in the blob store and enqueue its decoding.

    Photos already in the log are skipped; enqueuing twice is harmless (decoding is
    idempotent by SHA-256)."""
    t0 = time.perf_counter()
    conninfo(settings.database_url)  # the queue needs PostgreSQL: say so before any work
    files = find_photos(paths)
    store = open_store(settings.database_url)
    if store.get_meta("election") is None:
        store.close()
        raise StoreError("no election in this database; run 'actas init' first")
    blobs = open_blobs(settings.blobs, settings.s3_endpoint)
    own = app is None
    app = app or make_app(settings)
    ensure_schema(settings)
    summary = EnqueueSummary()
    received = utcnow()
    try:
        if own:
            app.open()
        with ThreadPoolExecutor(8) as pool:  # uploads are I/O: overlap them
            for i in range(0, len(files), _DEFER_BATCH):
                chunk = files[i : i + _DEFER_BATCH]
                stored: dict[str, str] = {}
                for path, sha in zip(
                    chunk,
                    pool.map(lambda p: _store(p, blobs, settings.max_upload), chunk),
                    strict=True,
                ):
                    summary.photos += 1
                    if sha is None:
                        summary.rejected += 1
                        summary.problems.append(f"{path}: empty or over the size limit")
                    elif sha in stored:
                        summary.duplicates += 1
                    else:
                        stored[sha] = path.name[:200]
                with store.read() as conn:
                    known = store.known_identities([f"blob:{s}" for s in stored], conn)
                fresh = [(s, n) for s, n in stored.items() if f"blob:{s}" not in known]
                summary.duplicates += len(stored) - len(fresh)
                if fresh:
                    jobs: list[pq_types.JSONDict] = [
                        {"sha256": s, "name": n, "claimed_table": None, "received_at": received}
                        for s, n in fresh
                    ]
                    app.configure_task(DECODE).batch_defer(*jobs)
                summary.enqueued += len(fresh)
                if progress:
                    progress(summary.photos, len(files))
    finally:
        if own:
            app.close()
        store.close()
    summary.seconds = time.perf_counter() - t0
    return summary


def _store(path: Path, blobs: BlobStore, max_bytes: int) -> str | None:
    """Put one file in the blob store; None when it is empty or too large."""
    try:
        size = path.stat().st_size
        if not size or size > max_bytes:
            return None
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return blobs.put(data)
