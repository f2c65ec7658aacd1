"""``actas ingest``, ``enqueue``, ``worker`` and ``jobs``: photos, in one process or queued.

``ingest`` decodes in a local process pool (SQLite or PostgreSQL); the other three
are the job queue on PostgreSQL (:mod:`actas.app.photos.queue`, :mod:`actas.app.photos.workers`), which
needs the ``postgres`` extra: without it they say what to install.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from actas.adapters.extras import require
from actas.cli.support import HomeOpt, JsonOpt, err, friendly, out, print_json, service, settings

__all__ = ["register"]


@friendly
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Photo files or folders (JPEG, PNG, WebP, HEIC).")
    ],
    workers: Annotated[
        int | None, typer.Option(help="Decoding processes (default: all cores).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Photos committed per transaction.")] = 64,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest acta photos: store, decode the QR, log each photo; resumable and idempotent."""
    from actas.app.photos.ingest import ingest_paths

    with (
        service(home) as svc,
        Progress(
            TextColumn("[bold]photos"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=err,
            disable=as_json or not err.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("photos", total=None, rate="")
        started = time.perf_counter()

        def advance(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{rate:.1f} images/s")

        summary = ingest_paths(
            svc, paths, workers=workers, progress=advance, batch_size=max(1, batch)
        )
    if as_json:
        print_json(summary.to_json())
        return
    out.print(
        f"{summary.photos} photos in {summary.seconds:.1f} s ({summary.per_second:.1f}/s): "
        f"{summary.decoded} decoded, {summary.unreadable} without a readable QR, "
        f"{summary.broken} broken, {summary.rejected} not stored, {summary.duplicates} already in"
    )
    for problem in summary.problems[:50]:
        out.print(f"  {problem}", markup=False, highlight=False)


@friendly
def enqueue(
    paths: Annotated[list[Path], typer.Argument(help="Photo files or folders.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store photos in the blob store and queue their decoding for 'actas worker' (PostgreSQL)."""
    require("postgres", "actas enqueue (the job queue)")
    from actas.app.photos.queue import enqueue_paths

    summary = enqueue_paths(settings(home), paths)
    if as_json:
        print_json(summary.to_json())
        return
    out.print(
        f"{summary.photos} photos: {summary.enqueued} queued, {summary.duplicates} already in, "
        f"{summary.rejected} not stored ({summary.seconds:.1f} s)"
    )


@friendly
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes (one job each).")] = 1,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Queues to take jobs from: photos, signer (default: all)."),
    ] = None,
    burst: Annotated[bool, typer.Option(help="Stop when no job is left.")] = False,
    stalled_after: Annotated[
        float, typer.Option(help="Seconds without a heartbeat before a worker counts as dead.")
    ] = 30.0,
    home: HomeOpt = None,
) -> None:
    """Take jobs from the queue: decode photos, retally, sign checkpoints (signer only)."""
    require("postgres", "actas worker (the job queue)")
    import logging

    from actas.app.photos.queue import QueueOptions
    from actas.app.photos.workers import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options = QueueOptions(heartbeat=max(stalled_after / 3, 0.2), stalled_after=stalled_after)
    run_worker(
        settings(home), concurrency=concurrency, queues=queue, wait=not burst, options=options
    )


@friendly
def jobs(
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Queue the failed jobs again.")
    ] = False,
    retry: Annotated[
        list[int] | None,
        typer.Option(help="Queue this failed job again (repeatable), e.g. a failed upload's."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Queued, running, done and failed jobs; failed ones with the error of each attempt."""
    require("postgres", "actas jobs (the job queue)")
    from actas.app.photos import workers

    config = settings(home)
    if retry_failed:
        out.print(f"{workers.retry_failed(config)} failed jobs queued again")
    elif retry:
        out.print(f"{workers.retry_failed(config, retry)} failed jobs queued again")
    status = workers.job_status(config)
    if as_json:
        print_json(status)
        return
    for task, counts in status["tasks"].items():
        out.print(f"{task}: " + ", ".join(f"{s} {n:,}" for s, n in counts.items()), markup=False)
    for job in status["failed"]:
        last = job["errors"][-1]["error"] if job["errors"] else "(no error recorded)"
        out.print(f"failed job {job['job_id']} {job['args']}: {last}", markup=False)


def register(app: typer.Typer) -> None:
    for command in (ingest, enqueue, worker, jobs):
        app.command()(command)
