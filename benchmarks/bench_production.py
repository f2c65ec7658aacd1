"""Production figures (issue: PostgreSQL, S3-compatible photo storage and a worker queue).

    ACTAS_TEST_POSTGRES_URL=postgresql://actas@127.0.0.1:54329/postgres \\
        .venv/bin/python benchmarks/bench_production.py [--photos 2000] [--workers 1,2,4]
        [--tables 1000000] [--repeat 3] [--only ingest,import,query]

1. Photo ingest through the queue: N synthetic actas (900 × 1200, rendered once into
   ``--cache``) enqueued into a fresh PostgreSQL database, then ``actas worker
   --concurrency W --burst`` for each W; images/s from the first job started to the
   last one finished (procrastinate's events), and the scaling ratio against 1 worker.
   Every photo must be logged once (checked).
2. V1 import into PostgreSQL and into SQLite, interleaved ``--repeat`` times; median
   rows/s of each and the ratio PostgreSQL / SQLite (goal >= 50 %).
3. Results query on PostgreSQL with ``--tables`` table results (bulk-inserted directly,
   as benchmarks/bench_import.py does): the from-scratch tally, then reading one
   region's results (goal < 50 ms).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))

import psycopg  # noqa: E402
from generated import table_result_rows  # noqa: E402

from actas.adapters.store import schema  # noqa: E402
from actas.adapters.store.bulk import bulk_insert  # noqa: E402
from actas.app.photos import queue  # noqa: E402
from actas.app.service import Service  # noqa: E402
from actas.app.settings import Settings  # noqa: E402
from photoset import render_set  # noqa: E402

V1 = REPO / ".." / "shared" / "data" / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
ACTAS = str(Path(sys.executable).with_name("actas"))


def clock() -> str:
    return "2024-07-29T04:00:00.000000Z"


@contextmanager
def database(admin: str) -> Iterator[str]:
    name = f"actas_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server: live processes, plus the postmaster's
    reaped children (backends of closed connections)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        if comm != "postgres":
            continue
        fields = text[text.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if _is_postmaster(fields):
            total += (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return total


def _is_postmaster(fields: list[str]) -> bool:
    try:
        parent = Path(f"/proc/{fields[1]}/stat").read_text()
    except OSError:
        return True
    return parent[parent.index("(") + 1 : parent.rindex(")")] != "postgres"


# --------------------------------------------------------------------------- 1. photo ingest


def bench_ingest(admin: str, photos: list[Path], workers: list[int], tmp: Path) -> None:
    print(f"\n== photo ingest through the queue: {len(photos):,} photos ({load()})")
    rates: dict[int, float] = {}
    for w in workers:
        with database(admin) as url:
            home = tmp / f"ingest-{w}"
            settings = Settings.from_env(env={"ACTAS_DATABASE_URL": url}, home=home)
            Service.init(settings, "ve-2024").close()
            t = time.perf_counter()
            summary = queue.enqueue_paths(settings, photos)
            enq = time.perf_counter() - t
            env = {**os.environ, "ACTAS_HOME": str(home), "ACTAS_DATABASE_URL": url}
            cpu0, pg0 = children_cpu(), postgres_cpu()
            t = time.perf_counter()
            subprocess.run(
                [ACTAS, "worker", "--concurrency", str(w), "--burst", "--queue", "photos"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wall = time.perf_counter() - t
            cpu, pg = children_cpu() - cpu0, postgres_cpu() - pg0
            with psycopg.connect(queue.conninfo(url)) as c:
                row = c.execute(
                    "SELECT extract(epoch FROM max(e.at) FILTER (WHERE e.type = 'succeeded')"
                    " - min(e.at) FILTER (WHERE e.type = 'started'))"
                    " FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id"
                    " WHERE j.task_name = %s",
                    (queue.DECODE,),
                ).fetchone()
                [(logged,)] = c.execute("SELECT count(DISTINCT blob_sha256) FROM submissions")
                [(leaves,)] = c.execute("SELECT count(*) FROM submissions")
            assert row is not None
            busy = float(row[0])
            assert logged == leaves == len(photos), (logged, leaves)
            rates[w] = len(photos) / busy
            print(
                f"{w} worker(s): {rates[w]:.1f} images/s over {busy:.1f} s of decoding "
                f"(wall {wall:.1f} s incl. start-up; enqueue {enq:.1f} s for "
                f"{summary.enqueued:,} photos); every photo logged once"
            )
            print(
                f"  CPU per photo: workers {1000 * cpu / len(photos):.0f} ms, PostgreSQL "
                f"{1000 * pg / len(photos):.0f} ms; cores used on average "
                f"{(cpu + pg) / wall:.2f} of {os.cpu_count()} ({load()})"
            )
    base = rates.get(1)
    if base:
        for w, r in rates.items():
            if w != 1:
                print(f"  scaling {w} workers / 1 worker: {r / base:.2f}x")


# --------------------------------------------------------------------------- 2. V1 import


def import_once(env: dict[str, str], home: Path) -> float:
    svc = Service.init(Settings.from_env(env=env, home=home), "ve-2024", clock=clock)
    try:
        t = time.perf_counter()
        summary = svc.import_file(V1)
        dt = time.perf_counter() - t
        assert summary.loaded == 24532
        return summary.read / dt
    finally:
        svc.close()


def bench_import(admin: str, repeat: int, tmp: Path) -> None:
    print(f"\n== V1 import, PostgreSQL vs SQLite, {repeat} interleaved runs each ({load()})")
    pg: list[float] = []
    lite: list[float] = []
    for i in range(repeat):
        lite.append(import_once({}, tmp / f"lite-{i}"))
        with database(admin) as url:
            pg.append(import_once({"ACTAS_DATABASE_URL": url}, tmp / f"pg-{i}"))
        print(f"  run {i + 1}: SQLite {lite[-1]:,.0f} rows/s, PostgreSQL {pg[-1]:,.0f} rows/s")
    a, b = statistics.median(pg), statistics.median(lite)
    print(
        f"V1 import median: PostgreSQL {a:,.0f} rows/s, SQLite {b:,.0f} rows/s; "
        f"ratio {100 * a / b:.0f} % (goal >= 50 %)"
    )


# --------------------------------------------------------------------------- 3. results query


def bench_query(admin: str, n: int, tmp: Path) -> None:
    print(f"\n== results query on PostgreSQL with {n:,} tables ({load()})")
    with database(admin) as url:
        svc = Service.init(
            Settings.from_env(env={"ACTAS_DATABASE_URL": url}, home=tmp / "query"),
            "ve-2024",
            clock=clock,
        )
        try:
            k = len(svc.election.candidates)
            t = time.perf_counter()
            rows = table_result_rows(n, k)
            for r in rows:
                del r["votes_list"]
            with svc.store.write() as conn:
                for j in range(0, len(rows), 50_000):
                    bulk_insert(conn, schema.table_results, rows[j : j + 50_000])
            print(
                f"bulk insert (COPY) of {len(rows):,} table results: {time.perf_counter() - t:.1f} s"
            )
            del rows
            t = time.perf_counter()
            svc.retally()
            print(f"tally of all levels from scratch: {time.perf_counter() - t:.2f} s")
            for label, call in (
                ("national", lambda: svc.results()),
                ("one state", lambda: svc.results(region="01")),
                ("one parish", lambda: svc.results(region="010101")),
                ("every state", lambda: svc.results("state")),
                ("a state's municipalities", lambda: svc.children("01")),
            ):
                times = []
                for _ in range(50):
                    t = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - t)
                print(
                    f"  {label}: median {1000 * statistics.median(times):.2f} ms, "
                    f"max {1000 * max(times):.2f} ms (goal < 50 ms)"
                )
        finally:
            svc.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=2000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--tables", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="ingest,import,query")
    ap.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "actas-bench-photos"
    )
    args = ap.parse_args()
    admin = os.environ.get("ACTAS_TEST_POSTGRES_URL")
    if not admin:
        sys.exit("set ACTAS_TEST_POSTGRES_URL (a PostgreSQL server where databases can be created)")
    only = set(args.only.split(","))
    print(f"{os.cpu_count()} cores; {load()}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "ingest" in only:
            t = time.perf_counter()
            photos = render_set(args.cache, args.photos)
            print(
                f"{len(photos):,} synthetic photos ready in {args.cache} ({time.perf_counter() - t:.0f} s)"
            )
            bench_ingest(admin, photos, [int(w) for w in args.workers.split(",")], tmp)
        if "import" in only:
            if not V1.exists():
                sys.exit(f"missing {V1}")
            bench_import(admin, args.repeat, tmp)
        if "query" in only:
            bench_query(admin, args.tables, tmp)


if __name__ == "__main__":
    main()
