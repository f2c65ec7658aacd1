"""Import and tally speed (issue: core).

    .venv/bin/python benchmarks/bench_import.py [--tables 1000000] [--import-rows 1000000]

1. Imports V1 (24,532 rows) into a fresh SQLite store through the real pipeline
   (parse, rules, leaf encoding, Merkle append, reconciliation, tally) and prints
   rows/s, wall and CPU, against baselines measured in the same run: reading the
   same file with the csv module alone; the *storage floor* (every row the import
   wrote, re-inserted with bare sqlite3 into the same tables and indexes: what one
   stored leaf per row costs SQLite's single writer before any Python), the same for
   a leaner schema without the leaf bytes, and a *Python floor* (split, integers,
   SHA-256 of each row, leaf text and its hash: nothing checked or stored). It then
   sets the floors against the time the 100,000 rows/s goal allows.
2. Imports a generated file of ``--import-rows`` rows in V1's layout (default a
   million: Indonesia-scale) and prints its rate: does it hold as the store grows?
3. Times a from-scratch tally of every level (read table results + aggregate + store
   region JSON) for V1 and for a generated election of N tables (``--tables``); the
   generated table results are bulk-inserted directly (the tally does not care where
   they came from). Prints wall and CPU (process) time, the best of three, with the
   load average: the machine may be shared. Each timed run starts from an empty
   region table, so every region is written; once more with nothing changed (no
   region rewritten) shows what a re-tally after a small import costs. Baselines in
   the same run: the same retally the way it was done before the bulk reads (rows
   fetched one by one, a RegionTally packed per region), and a plain Python sum of
   the national votes. Then again with a registry of every table (expected tables
   and registered voters per region). ``--tally-only`` skips steps 1 and 2;
   ``--database-url URL`` runs step 3 in that (empty) database, e.g. PostgreSQL.
4. Times reading one region's results after an import (mean over many reads).

Goals on a 2-core machine: >= 100,000 rows/s; tally of all levels over 1M tables < 3 s;
a region's results readable in < 50 ms.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from generated import results_csv, table_result_rows  # noqa: E402

from actas.adapters.store import arrays as store_arrays  # noqa: E402
from actas.adapters.store import schema  # noqa: E402
from actas.adapters.store.bulk import bulk_insert, insert_rows  # noqa: E402
from actas.app.service import Service  # noqa: E402
from actas.app.settings import Settings  # noqa: E402
from actas.core.results.tally import pack, tally_all  # noqa: E402

V1 = REPO / ".." / "shared" / "data" / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"


def clock() -> str:
    return "2024-07-29T04:00:00.000000Z"


def baseline_csv(path: Path) -> float:
    t = time.perf_counter()
    data = path.read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) > 1
    return time.perf_counter() - t


FLOOR_TABLES = ("submissions", "nodes", "findings", "table_results")


def storage_floor(db: Path, fresh: Path, lean: bool = False) -> float:
    """CPU time to insert the rows an import wrote (every submission, Merkle node,
    finding and table result) into empty copies of the same tables and indexes, with
    bare sqlite3: what any importer writing one leaf per row pays to SQLite alone,
    before parsing, checking or hashing anything. SQLite has one writer at a time,
    so no second core shortens it. ``lean``: the same rows as a leaner schema would
    store them, without the leaf bytes (rebuilt from the other columns when asked)."""
    src = sqlite3.connect(db)
    marks = ",".join("?" * len(FLOOR_TABLES))
    ddl = [
        sql
        for (sql,) in src.execute(
            f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
            "AND sql IS NOT NULL ORDER BY type DESC",
            FLOOR_TABLES,
        )
    ]
    data = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in FLOOR_TABLES}
    src.close()
    if lean:
        leaf = [c[1] for c in sqlite3.connect(db).execute("PRAGMA table_info(submissions)")]
        at = leaf.index("leaf")
        data["submissions"] = [(*r[:at], b"", *r[at + 1 :]) for r in data["submissions"]]
    out = sqlite3.connect(fresh)
    out.execute("PRAGMA journal_mode=WAL")
    out.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        out.execute(sql)
    c = time.process_time()
    with out:
        for table, rows in data.items():
            if rows:
                out.executemany(
                    f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows
                )
    took = time.process_time() - c
    out.close()
    return took


def python_floor(path: Path) -> float:
    """CPU time of the least Python any importer that logs one leaf per row does per
    row: split the CSV, turn the counts into integers, hash the raw bytes, write a leaf
    (JSON text around them) and hash it. No checks, no objects, nothing stored."""
    c = time.process_time()
    data = path.read_bytes()
    raws = data.split(b"\r\n")[1:]
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    next(rows)
    hashes = []
    for raw, fields in zip(raws, rows, strict=False):  # raws ends with the empty last line
        numbers = list(map(int, fields[8:21]))
        leaf = (
            f'{{"raw":"{base64.b64encode(raw).decode()}","raw_len":{len(raw)},'
            f'"raw_sha256":"{hashlib.sha256(raw).hexdigest()}","votes":{numbers}}}'
        )
        hashes.append(hashlib.sha256(b"\0" + leaf.encode()).digest())
    assert len(hashes) > 1
    return time.process_time() - c


def bench_v1(tmp: Path) -> Service:
    svc = Service.init(Settings.from_env(env={}, home=tmp / "v1"), "ve-2024", clock=clock)
    base = baseline_csv(V1)
    t, c = time.perf_counter(), time.process_time()
    summary = svc.import_file(V1)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    rate = summary.read / dt
    print(
        f"V1 import: {summary.read:,} rows in {dt:.2f} s wall = {rate:,.0f} rows/s, "
        f"{cpu:.2f} s CPU = {summary.read / cpu:,.0f} rows/s (goal >= 100,000); load {load()}"
    )
    print(
        f"  baseline csv-only read: {base * 1000:.0f} ms = {summary.read / base:,.0f} rows/s; "
        f"ratio {dt / base:.1f}x"
    )
    floor = storage_floor(tmp / "v1" / "actas.db", tmp / "floor.db")
    print(
        f"  baseline storage floor (the same submission, Merkle node, finding and table "
        f"result rows, re-inserted with bare sqlite3 into the same tables and indexes; one "
        f"writer): {floor:.2f} s CPU = {summary.read / floor:,.0f} rows/s; ratio "
        f"{cpu / floor:.1f}x"
    )
    lean = storage_floor(tmp / "v1" / "actas.db", tmp / "lean.db", lean=True)
    print(
        f"  baseline storage floor of a leaner schema (the same rows without the leaf "
        f"bytes): {lean:.2f} s CPU = {summary.read / lean:,.0f} rows/s"
    )
    py = python_floor(V1)
    print(
        f"  baseline Python floor (split, integers, SHA-256 of the row, leaf text, leaf "
        f"hash; nothing checked or stored): {py:.2f} s CPU = {summary.read / py:,.0f} rows/s"
    )
    budget = summary.read / 100_000
    print(
        f"  the goal leaves {budget:.3f} s for {summary.read:,} rows; the storage floor alone "
        f"(one writer: no second core helps) is {floor / budget:.1f}x that, the leaner "
        f"schema's {lean / budget:.1f}x; with one stored leaf per row, importers here reach "
        f"at most {summary.read / max(floor, py):,.0f} rows/s (leaner schema: "
        f"{summary.read / max(lean, py):,.0f}) even with the Python on the second core"
    )
    t = time.perf_counter()
    svc.retally()
    print(f"V1 tally of all levels from scratch: {time.perf_counter() - t:.3f} s")
    reads = []
    codes = ["", "01", "21", "2113", "211303", "211303002"]
    for _ in range(50):
        for code in codes:
            t = time.perf_counter()
            svc.results(region=code)
            reads.append(time.perf_counter() - t)
    print(
        f"region read after import: mean {statistics.mean(reads) * 1000:.2f} ms, "
        f"max {max(reads) * 1000:.2f} ms (goal < 50 ms)"
    )
    return svc


def bench_generated_import(tmp: Path, n: int) -> None:
    """Import a generated results file of ``n`` rows (V1's layout): does the rate hold
    when the store is forty times V1's size?"""
    path = tmp / "generated.csv"
    rows = results_csv(path, n)
    svc = Service.init(Settings.from_env(env={}, home=tmp / "gen"), "ve-2024", clock=clock)
    t, c = time.perf_counter(), time.process_time()
    summary = svc.import_file(path)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    assert summary.loaded == rows, summary
    print(
        f"generated import: {rows:,} rows in {dt:.1f} s wall = {rows / dt:,.0f} rows/s, "
        f"{cpu:.1f} s CPU = {rows / cpu:,.0f} rows/s; load {load()}"
    )
    svc.close()
    path.unlink()


def bench_million(tmp: Path, n: int, database_url: str = "") -> None:
    env = {"ACTAS_DATABASE_URL": database_url} if database_url else {}
    svc = Service.init(Settings.from_env(env=env, home=tmp / "big"), "ve-2024", clock=clock)
    print(f"store: {svc.store.engine.dialect.name}")
    k = len(svc.election.candidates)
    rows = table_result_rows(n, k)
    with svc.store.write() as conn:
        for j in range(0, len(rows), 50_000):
            chunk = [
                {k: v for k, v in r.items() if k != "votes_list"} for r in rows[j : j + 50_000]
            ]
            bulk_insert(conn, schema.table_results, chunk)
    n = len(rows)
    wall, cpu = best(svc.retally, before=lambda: clear_regions(svc))
    print(
        f"{n:,}-table tally of all levels from scratch (read + aggregate + store every "
        f"region), best of {REPEAT}: {wall:.2f} s wall, {cpu:.2f} s CPU (goal < 3 s); "
        f"load {load()}"
    )
    same_wall, same_cpu = best(svc.retally)
    print(
        f"  again, nothing changed (no region rewritten): {same_wall:.2f} s wall, "
        f"{same_cpu:.2f} s CPU"
    )
    # baselines in the same run: the same work the way it was done before the bulk
    # reads (rows one by one, a RegionTally per region), and a pure-Python national sum
    base_wall, base_cpu = best(lambda: retally_rows(svc), before=lambda: clear_regions(svc))
    print(
        f"  baseline: rows one by one + RegionTally per region: {base_wall:.2f} s wall, "
        f"{base_cpu:.2f} s CPU; ratio {cpu / base_cpu:.2f} (CPU)"
    )
    vote_lists: list[list[int]] = [r["votes_list"] for r in rows]
    c = time.process_time()
    total = [0] * k
    for votes in vote_lists:
        for j, v in enumerate(votes):
            total[j] += v
    base = time.process_time() - c
    print(
        f"  baseline: pure-Python national sum only: {base:.2f} s CPU; ratio all-levels/baseline "
        f"{cpu / base:.2f}"
    )
    t = time.perf_counter()
    svc.results(region="01")
    print(f"  region read with {n:,} tables: {(time.perf_counter() - t) * 1000:.2f} ms")
    # with a registry of every table (expected tables per region, registered voters)
    with svc.store.write() as conn:
        registry = [(r["table_id"], None if i % 50 == 0 else 700) for i, r in enumerate(rows)]
        for j in range(0, n, 50_000):
            insert_rows(conn, schema.registry, ("table_id", "registered"), registry[j : j + 50_000])
    wall, cpu = best(svc.retally, before=lambda: clear_regions(svc))
    print(f"  with a registry of {n:,} tables: {wall:.2f} s wall, {cpu:.2f} s CPU; load {load()}")


REPEAT = 3


def best(
    f: Callable[[], object], before: Callable[[], object] | None = None
) -> tuple[float, float]:
    """Least wall and least CPU (process) time of REPEAT runs (``before`` untimed)."""
    walls, cpus = [], []
    for _ in range(REPEAT):
        if before is not None:
            before()
        t, c = time.perf_counter(), time.process_time()
        f()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def clear_regions(svc: Service) -> None:
    """Empty region_results, so that a re-tally writes every region."""
    with svc.store.write() as conn:
        conn.execute(schema.region_results.delete())


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def retally_rows(svc: Service) -> None:
    """``Service.retally`` as it was: table results fetched one row at a time, a
    RegionTally built and packed per region (the tally itself is today's)."""
    k = len(svc.election.candidates)
    with svc.store.read() as conn:
        tables = store_arrays._table_rows(conn, k)
        names = svc.store.region_names(conn)
    levels = tally_all(svc.election, tables)
    packed = [
        (r.code, level, names.get(r.code, ""), pack(r))
        for level, regions in levels.items()
        for r in regions
    ]
    with svc.store.write() as conn:
        svc.store.put_region_results(conn, packed)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1_000_000)
    ap.add_argument("--tally-only", action="store_true", help="skip the imports")
    ap.add_argument(
        "--import-rows",
        type=int,
        default=1_000_000,
        help="rows of the generated file to import (0: none)",
    )
    ap.add_argument(
        "--database-url",
        default="",
        help="an empty database for the N-table tally (e.g. postgresql://…); default SQLite",
    )
    args = ap.parse_args()
    if not V1.exists() and not args.tally_only:
        sys.exit(f"missing {V1}")
    with tempfile.TemporaryDirectory() as d:
        if not args.tally_only:
            bench_v1(Path(d))
            if args.import_rows:
                bench_generated_import(Path(d), args.import_rows)
        bench_million(Path(d), args.tables, args.database_url)


if __name__ == "__main__":
    main()
