"""Benchmark the offline verifier on the V1 bundle and on a generated 1,000,000-table bundle.

    .venv/bin/python benchmarks/bench_verify.py [--tables N] [--skip-v1] [--skip-big]

**V1**: imports RESULTADOS_2024_CSV_V1.csv into a fresh store (setup, not
timed against the goal), exports it and times ``verify`` of the bundle read
into memory. Goal: under 10 s.

**Generated**: N tables (default 1,000,000) in the CVZLA format. The bundle is
built directly with the core functions (``tests/bundlegen.py``: leaves, the
importer's readings, reconciliation, tally, checkpoint, MANIFEST) rather than
through the SQL importer, whose million inserts would make the setup take many
minutes; the verifier cannot tell the difference, the bytes are the same.
Goal: ``verify`` under 3 minutes.

Each bundle is verified in one process and with a pool of ``--workers``
processes (``actas verify --workers``: leaves are decoded and rows re-read in
chunks on every core). Baselines in the same run: ``verify`` with re-derivation
off (rows are not read again; the published counts are trusted and parsed
instead), and, for the Merkle step alone, the recursive ``merkle.root_from_leaf_hashes``
(what ``verify`` does) against ``MemoryNodes`` / ``Frontier`` (which keep the
nodes, as ``--previous`` needs for a consistency proof).
"""

from __future__ import annotations

import argparse
import base64
import gc
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from actas.adapters.bundle_files import parquet_columns, read_bundle  # noqa: E402
from actas.core.bundle import format as b  # noqa: E402
from actas.core.log import merkle  # noqa: E402
from actas.core.verify.procedure import VerifyReport, verify  # noqa: E402
from bundlegen import build, rows  # noqa: E402

T = TypeVar("T")
V1 = REPO.parent / "shared" / "data" / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
V1_GOAL_S = 10.0
BIG_GOAL_S = 180.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    gc.collect()
    wall, cpu = time.perf_counter(), _cpu()
    result = fn()
    return time.perf_counter() - wall, _cpu() - cpu, result


def _run(label: str, files: dict[str, bytes], goal: float, workers: int, quick: bool) -> None:
    size = sum(len(v) for v in files.values())
    print(f"\n{label}: {len(files)} files, {size / 1e6:,.0f} MB")
    wall = cpu = 0.0
    if not quick:
        wall, cpu, report = _timed(lambda: verify(files, read_parquet=parquet_columns))
        _show("verify (re-derivation on)", wall, cpu, report, goal)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            p_wall, p_cpu, report = _timed(
                lambda: verify(files, read_parquet=parquet_columns, mapper=pool.map)
            )
        _show(f"verify, {workers} processes*", p_wall, p_cpu, report, goal)
        print("  * CPU of the parent process only; the workers are not counted")
        if not quick:
            print(f"  ratio 1 process / {workers}: {wall / p_wall:.2f}x wall")
    if quick:
        return
    base_wall, base_cpu, base = _timed(
        lambda: verify(files, read_parquet=parquet_columns, rederive=False)
    )
    _show("baseline: re-derivation off", base_wall, base_cpu, base, None)
    print(f"  ratio on/off: {wall / base_wall:.2f}x wall, {cpu / base_cpu:.2f}x CPU")
    leaves = files[b.LEAVES].split(b"\n")[:-1]
    hashes = [merkle.leaf_hash(base64.b64decode(line)) for line in leaves]
    f_wall, _, f_root = _timed(lambda: merkle.MemoryNodes(hashes).frontier().root())
    n_wall, _, n_root = _timed(lambda: merkle.root_from_leaf_hashes(hashes))
    assert f_root == n_root
    print(
        f"  Merkle root of {len(hashes):,} leaves: recursive MTH (as verify) {n_wall:.2f} s, "
        f"through MemoryNodes/Frontier (as --previous) {f_wall:.2f} s"
    )


def _show(what: str, wall: float, cpu: float, report: VerifyReport, goal: float | None) -> None:
    verdict = ""
    if goal is not None:
        verdict = f"  goal < {goal:.0f} s: {'met' if wall < goal else 'MISSED'}"
    status = "ok" if report.ok else f"FAILED ({report.total_failures})"
    print(f"  {what:30s} {wall:7.1f} s wall, {cpu:7.1f} s CPU, {status}{verdict}")
    if not report.ok:
        for f in report.failures[:5]:
            print(f"    {f}")


def v1(workers: int, quick: bool) -> None:
    from actas.app.service import Service
    from actas.app.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        svc = Service.init(Settings.from_env(env={}, home=home / "home"), "ve-2024")
        t = time.perf_counter()
        svc.import_file(V1)
        svc.export(home / "bundle")
        print(f"V1 setup (import + export): {time.perf_counter() - t:.1f} s")
        svc.close()
        files = read_bundle(home / "bundle")
    _run("V1 bundle (24,533 leaves)", files, V1_GOAL_S, workers, quick)


def big(n: int, workers: int, quick: bool) -> None:
    t = time.perf_counter()
    built = build(list(rows(n)))
    print(f"\ngenerated bundle setup (core functions, no DB): {time.perf_counter() - t:.1f} s")
    files = built.files
    del built
    _run(f"generated bundle ({n + 1:,} leaves, {n:,} tables)", files, BIG_GOAL_S, workers, quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1_000_000)
    parser.add_argument("--skip-v1", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="also time a process pool")
    parser.add_argument("--quick", action="store_true", help="only the process pool run")
    args = parser.parse_args(argv)
    if not args.skip_v1:
        v1(args.workers, args.quick)
    if not args.skip_big:
        big(args.tables, args.workers, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
