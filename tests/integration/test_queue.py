"""The job queue on PostgreSQL: several workers, a killed worker, a poisoned photo.

The whole-system test decodes ``N_PHOTOS`` synthetic actas with 4 worker processes
(``actas worker``), kills one with SIGKILL while it holds a job, starts another,
and checks that every photo ends in the log exactly once and that ``actas verify``
accepts the export. 300 photos keep it near a minute on 2 shared cores; the same
run with 2,000 photos is measured by ``benchmarks/bench_production.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from actas.__main__ import app as cli
from actas.adapters.blobs import LocalBlobs
from actas.app.photos import queue, workers
from actas.app.service import Service
from actas.app.settings import Settings
from photoset import render_set

pytestmark = pytest.mark.postgres

N_PHOTOS = 300
ACTAS = str(Path(sys.executable).with_name("actas"))


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return render_set(tmp_path_factory.mktemp("actas-photos"), N_PHOTOS)


@pytest.fixture
def settings(
    new_pg_database: Callable[[], AbstractContextManager[str]], tmp_path: Path
) -> Iterator[Settings]:
    with new_pg_database() as url:
        s = Settings.from_env(env={"ACTAS_DATABASE_URL": url}, home=tmp_path / "home")
        Service.init(s, "ve-2024").close()
        queue.ensure_schema(s)
        yield s


def env_of(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ACTAS_HOME": str(settings.home),
        "ACTAS_DATABASE_URL": settings.database_url,
        "ACTAS_BLOBS": settings.blobs,
    }


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ACTAS, "worker", "--queue", "photos", "--stalled-after", "10"],
        env=env_of(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sql(settings: Settings, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(queue.conninfo(settings.database_url)) as conn:
        cur = conn.execute(query, args)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def wait_for(what: Callable[[], bool], timeout: float, message: str) -> None:
    end = time.monotonic() + timeout
    while not what():
        if time.monotonic() > end:
            pytest.fail(f"timed out: {message}")
        time.sleep(0.2)


def pending(settings: Settings) -> int:
    [(n,)] = sql(
        settings,
        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        " AND task_name IN (%s, %s)",
        queue.DECODE,
        queue.RETALLY,
    )
    return int(n)


def worker_ids(settings: Settings) -> set[int]:
    return {int(i) for (i,) in sql(settings, "SELECT id FROM procrastinate_workers")}


def start_registered(settings: Settings, procs: dict[int, subprocess.Popen[bytes]]) -> None:
    """Start a worker and wait until it registers, to know which id is which process."""
    before = worker_ids(settings)
    proc = start_worker(settings)
    wait_for(lambda: len(worker_ids(settings) - before) == 1, 60, "a worker registers")
    [wid] = worker_ids(settings) - before
    procs[wid] = proc


def held_by(settings: Settings, wid: int) -> list[int]:
    rows = sql(
        settings,
        "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = %s"
        " AND task_name = %s",
        wid,
        queue.DECODE,
    )
    return [int(r[0]) for r in rows]


def test_workers_decode_every_photo_once_despite_a_killed_worker(
    settings: Settings, photos: list[Path], tmp_path: Path
) -> None:
    procs: dict[int, subprocess.Popen[bytes]] = {}
    killed: list[int] = []
    holding: list[tuple[int, int]] = []

    def someone_holds_a_job() -> bool:
        holding[:] = [(w, j) for w in procs for j in held_by(settings, w)]
        return bool(holding)

    try:
        for _ in range(4):  # registered before any job exists: none can finish them all first
            start_registered(settings, procs)
        summary = queue.enqueue_paths(settings, photos)
        assert (summary.enqueued, summary.rejected) == (N_PHOTOS, 0)
        for _ in range(5):  # SIGKILL a worker in the middle of a job
            wait_for(someone_holds_a_job, 120, "a worker takes a job")
            victim = holding[0][0]
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            killed = held_by(settings, victim)  # what it held when it died
            start_registered(settings, procs)
            if killed:
                break
        assert killed, "no worker died holding a job"
        wait_for(lambda: pending(settings) == 0, 600, "every photo decoded")
        # the stalled-job retry itself may have been held by the dead worker: it is retried too
        wait_for(
            lambda: not sql(settings, "SELECT 1 FROM procrastinate_jobs WHERE status = 'doing'"),
            60,
            "no job left with a dead worker",
        )
    finally:
        for w in procs.values():
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in procs.values():
            w.wait(timeout=60)
    [(status, attempts)] = sql(
        settings, "SELECT status::text, attempts FROM procrastinate_jobs WHERE id = %s", killed[0]
    )
    assert status == "succeeded" and attempts == 2  # re-queued after its worker died, then done
    assert not workers.job_status(settings)["failed"]

    svc = Service.open(settings)
    try:
        with svc.store.read() as conn:
            logged = list(svc.store.iter_submissions(conn))
        assert [s.seq for s in logged] == list(range(N_PHOTOS))  # no gap, no duplicate
        assert len({s.blob_sha256 for s in logged}) == N_PHOTOS
        assert all(s.kind == "photo" and s.counts is not None for s in logged)
        [(rows,)] = sql(settings, "SELECT count(*) FROM photos")
        assert rows == N_PHOTOS
        assert svc.results()[0]["tables"]["counted"] == N_PHOTOS
        bundle = tmp_path / "bundle"
        svc.export(bundle, photos=True)
    finally:
        svc.close()
    result = CliRunner().invoke(cli, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "OK: the bundle holds" in result.output


def test_a_worker_pruned_while_alive_registers_again(
    settings: Settings, photos: list[Path]
) -> None:
    """A starved worker whose heartbeats were late gets pruned by another; it goes on."""
    procs: dict[int, subprocess.Popen[bytes]] = {}
    try:
        start_registered(settings, procs)
        [(wid, proc)] = procs.items()
        queue.enqueue_paths(settings, photos[:30])
        wait_for(lambda: bool(held_by(settings, wid)), 120, "the worker takes a job")
        sql(settings, "DELETE FROM procrastinate_workers WHERE id = %s", wid)  # as a prune does
        wait_for(lambda: pending(settings) == 0, 300, "every photo decoded")
        assert proc.poll() is None  # still running, under a new registration
        assert worker_ids(settings) - {wid}
    finally:
        for w in procs.values():
            w.send_signal(signal.SIGTERM)
            w.wait(timeout=60)
    svc = Service.open(settings)
    try:
        assert svc.log.size() == 30
    finally:
        svc.close()


def test_poisoned_photo_ends_failed_with_its_errors(settings: Settings, photos: list[Path]) -> None:
    blobs = LocalBlobs(Path(settings.blobs))
    good, bad = photos[0].read_bytes(), photos[1].read_bytes()
    options = queue.QueueOptions(max_attempts=2, backoff=1)
    app = queue.make_app(settings, options)
    queue.ensure_schema(settings)
    with app.open():
        queue.enqueue_photo(app, blobs, good, "good.jpg")
        bad_sha = queue.enqueue_photo(app, blobs, bad, "bad.jpg")
    blobs.path(bad_sha).write_bytes(b"not the photo")  # damaged in the store

    def failed() -> bool:
        workers.run_worker(settings, queues=["photos"], wait=False, options=options)
        return bool(workers.job_status(settings)["failed"])

    wait_for(failed, 120, "the poisoned photo's job fails for good")
    [job] = workers.job_status(settings)["failed"]
    assert job["args"]["sha256"] == bad_sha and job["attempts"] == 3  # first run + 2 retries
    assert [e["attempt"] for e in job["errors"]] == [1, 2, 3]
    assert all("damaged" in e["error"] for e in job["errors"])
    svc = Service.open(settings)
    try:
        assert svc.log.size() == 1  # the good photo; the poisoned one is not logged
    finally:
        svc.close()
    assert workers.retry_failed(settings) == 1
    assert not workers.job_status(settings)["failed"]


def test_backoff_is_exponential(settings: Settings) -> None:
    from datetime import UTC, datetime

    from procrastinate.jobs import Job

    strategy = queue.make_app(settings).tasks[queue.DECODE].retry_strategy
    assert strategy is not None
    waits: list[int | None] = []
    for n in range(6):
        job = Job(queue="photos", lock=None, queueing_lock=None, task_name="t", attempts=n)
        now = datetime.now(UTC)
        decision = strategy.get_retry_decision(exception=ValueError(), job=job)
        at = None if decision is None else decision.retry_at
        waits.append(None if at is None else round((at - now).total_seconds()))
    assert waits == [2, 4, 8, 16, 32, None]  # 5 retries, then the dead letters


def test_queue_needs_postgresql(tmp_path: Path) -> None:
    from actas.core.errors import InputError

    with pytest.raises(InputError, match="PostgreSQL"):
        queue.conninfo(f"sqlite:///{tmp_path / 'a.db'}")
