"""Running queue workers, and watching the queue: ``actas worker`` and ``actas jobs``.

``run_worker`` takes jobs of :mod:`actas.app.photos.queue` until stopped (SIGTERM/SIGINT) or,
with ``wait=False``, until none is left; ``concurrency`` N runs N processes (decoding
is CPU-bound) under a small supervisor that restarts one that dies; they stop when the
supervisor does, even when it is killed outright (:mod:`actas.adapters.lifeline`). ``job_status``
lists jobs by task and status and the failed ones (the dead letters) with the error
of each attempt; ``retry_failed`` queues them (or the ones named) again.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from actas.adapters.lifeline import die_with_parent
from actas.adapters.store import jobs, open_store
from actas.app.photos.queue import QueueOptions, app_with_runtime, ensure_schema
from actas.app.settings import Settings

__all__ = ["job_status", "retry_failed", "run_worker"]

log = logging.getLogger("actas.app.photos.workers")


def run_worker(
    settings: Settings,
    *,
    concurrency: int = 1,
    queues: Sequence[str] | None = None,
    wait: bool = True,
    options: QueueOptions | None = None,
) -> None:
    """Process jobs until stopped (SIGTERM/SIGINT), or until none is left (``wait=False``).

    ``concurrency`` N runs N worker processes (decoding is CPU-bound), each taking
    one job at a time; a process that dies is restarted while waiting."""
    options = options or QueueOptions()
    ensure_schema(settings)
    if concurrency > 1:
        _supervise(settings, concurrency, queues, wait, options)
        return
    _work(settings, list(queues) if queues else None, wait, options)


def _supervised(
    parent_pid: int,
    settings: Settings,
    queues: list[str] | None,
    wait: bool,
    options: QueueOptions,
) -> None:
    """A worker under the supervisor: stopped (SIGTERM, a clean stop) when it dies."""
    die_with_parent(parent_pid, signal.SIGTERM)
    _work(settings, queues, wait, options)


def _work(settings: Settings, queues: list[str] | None, wait: bool, options: QueueOptions) -> None:
    """One worker until a signal stops it (or, ``wait=False``, until no job is left).

    A worker whose heartbeats were late by more than ``stalled_after`` (a starved
    machine) is pruned by the next worker that starts; procrastinate then fails its
    next fetch (the worker row is gone) and the worker stops. Here it registers again
    and goes on: its unfinished job was re-queued and is idempotent.
    """
    app, rt = app_with_runtime(settings, options)
    try:
        while True:
            try:
                app.run_worker(
                    queues=queues,
                    concurrency=1,
                    wait=wait,
                    name=f"{socket.gethostname()}-{os.getpid()}",
                    update_heartbeat_interval=options.heartbeat,
                    stalled_worker_timeout=options.stalled_after,
                    delete_jobs="never",
                )
                return  # stopped by SIGTERM/SIGINT, or no job left
            except Exception:
                if not wait:
                    raise
                log.exception("the worker failed; registering again in 1 s")
                time.sleep(1)
    finally:
        rt.close()


def _supervise(
    settings: Settings,
    n: int,
    queues: Sequence[str] | None,
    wait: bool,
    options: QueueOptions,
) -> None:
    ctx = multiprocessing.get_context("spawn")
    args = (os.getpid(), settings, list(queues) if queues else None, wait, options)

    def start() -> Any:
        p = ctx.Process(target=_supervised, args=args, daemon=False)
        p.start()
        return p

    procs = [start() for _ in range(n)]
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        stopping.set()
        for p in procs:
            if p.is_alive() and p.pid:
                os.kill(p.pid, signal.SIGTERM)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while any(p.is_alive() for p in procs) or (wait and not stopping.is_set()):
            for i, p in enumerate(procs):
                if not p.is_alive() and wait and not stopping.is_set():
                    log.warning("worker process %s exited (%s); restarting", p.pid, p.exitcode)
                    procs[i] = start()
            stopping.wait(0.5)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for p in procs:
            p.join()


def job_status(settings: Settings, failed_limit: int = 50) -> dict[str, Any]:
    """Jobs by task and status, and the failed ones (dead letters) with their errors."""
    store = open_store(settings.database_url)
    try:
        counts, failed = jobs.job_rows(settings.database_url, failed_limit)
        errors = store.job_errors([job_id for job_id, _, _, _ in failed])
    finally:
        store.close()
    by_task: dict[str, dict[str, int]] = {}
    for task, status, n in counts:
        by_task.setdefault(task, {})[status] = n
    return {
        "tasks": by_task,
        "failed": [
            {
                "job_id": job_id,
                "task": task,
                "args": json.loads(args),
                "attempts": attempts,
                "errors": errors.get(job_id, []),
            }
            for job_id, task, args, attempts in failed
        ],
    }


def retry_failed(settings: Settings, job_ids: Sequence[int] | None = None) -> int:
    """Put failed jobs back in the queue (after fixing what made them fail): every one,
    or only ``job_ids`` (those that are not failed are left alone)."""
    return jobs.retry_failed_jobs(settings.database_url, job_ids)
