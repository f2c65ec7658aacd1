"""Import and tally speed (issue: core).

    .venv/bin/python benchmarks/bench_import.py [--tables 1000000]

1. Imports V1 (24,532 rows) into a fresh SQLite store through the real pipeline
   (parse, rules, leaf encoding, Merkle append, reconciliation, tally) and prints
   rows/s, against a baseline measured in the same run: reading the same file with
   the csv module alone (the floor any importer pays).
2. Times a from-scratch tally of every level (read table results + aggregate + store
   region JSON) for V1 and for a generated election of N tables (Indonesia-scale by
   default); the generated table results are bulk-inserted directly (the tally does
   not care where they came from), against a baseline of a plain Python dict tally.
3. Times reading one region's results after an import (mean over many reads).

Goals on a 2-core machine: >= 100,000 rows/s; tally of all levels over 1M tables < 3 s;
a region's results readable in < 50 ms.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from actas.service import Service  # noqa: E402
from actas.settings import Settings  # noqa: E402
from actas.store import schema  # noqa: E402
from actas.store.sql import bulk_insert, pack_votes  # noqa: E402

V1 = REPO / ".." / "shared" / "data" / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"


def clock() -> str:
    return "2024-07-29T04:00:00.000000Z"


def baseline_csv(path: Path) -> float:
    t = time.perf_counter()
    data = path.read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) > 1
    return time.perf_counter() - t


def bench_v1(tmp: Path) -> Service:
    svc = Service.init(Settings.from_env(env={}, home=tmp / "v1"), "ve-2024", clock=clock)
    base = baseline_csv(V1)
    t = time.perf_counter()
    summary = svc.import_file(V1)
    dt = time.perf_counter() - t
    rate = summary.read / dt
    print(f"V1 import: {summary.read:,} rows in {dt:.2f} s = {rate:,.0f} rows/s (goal >= 100,000)")
    print(
        f"  baseline csv-only read: {base * 1000:.0f} ms = {summary.read / base:,.0f} rows/s; ratio {dt / base:.1f}x"
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


def bench_million(tmp: Path, n: int) -> None:
    svc = Service.init(Settings.from_env(env={}, home=tmp / "big"), "ve-2024", clock=clock)
    rnd = random.Random(7)
    k = len(svc.election.candidates)
    rows = []
    i = 0
    for state in range(1, 25):
        for mun in range(1, 31):
            for par in range(1, 15):
                for centre in range(1, 31):
                    for mesa in range(1, 11):
                        if i >= n:
                            break
                        votes = [rnd.randint(0, 300) for _ in range(k)]
                        rows.append(
                            {
                                "table_id": f"{state:02d}{mun:02d}{par:02d}{centre:03d}.{mesa:02d}",
                                "status": "single",
                                "registered": 700,
                                "null_votes": 3,
                                "votes": pack_votes(votes),
                                "counts": None,
                                "counts_list": votes,
                                "seqs": str(i),
                                "agreeing": 1,
                                "channels": "bench",
                                "differing": "",
                            }
                        )
                        i += 1
    with svc.store.write() as conn:
        for j in range(0, len(rows), 50_000):
            chunk = [
                {k: v for k, v in r.items() if k != "counts_list"} for r in rows[j : j + 50_000]
            ]
            bulk_insert(conn, schema.table_results, chunk)
    t = time.perf_counter()
    svc.retally()
    dt = time.perf_counter() - t
    print(
        f"{len(rows):,}-table tally of all levels from scratch (read + aggregate + store): {dt:.2f} s (goal < 3 s)"
    )
    # baseline: a plain Python dict tally of the national level only
    t = time.perf_counter()
    total = [0] * k
    for r in rows:
        for c, v in enumerate(r["counts_list"]):
            total[c] += v
    base = time.perf_counter() - t
    print(
        f"  baseline: pure-Python national sum only: {base:.2f} s; ratio all-levels/baseline {dt / base:.2f}"
    )
    t = time.perf_counter()
    svc.results(region="01")
    print(f"  region read with {len(rows):,} tables: {(time.perf_counter() - t) * 1000:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1_000_000)
    args = ap.parse_args()
    if not V1.exists():
        sys.exit(f"missing {V1}")
    with tempfile.TemporaryDirectory() as d:
        bench_v1(Path(d))
        bench_million(Path(d), args.tables)


if __name__ == "__main__":
    main()
