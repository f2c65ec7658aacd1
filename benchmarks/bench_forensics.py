"""Time every forensic screen over the 95,415 Russian 2012 polling stations.

Usage::

    .venv/bin/python benchmarks/bench_forensics.py [path/to/2012.csv.zip] [--nrep 1000]

    .venv/bin/python benchmarks/bench_forensics.py --store DIR   # + end to end from a store

Prints the time of each screen (the integer-percentage test with 1,000
Monte-Carlo replicates), the stratified projection, the total of
``run_screens`` and of ``analyse`` (goal: < 10 s), and a baseline measured in
the same run: a naive Python loop that redraws every station with scalar
binomial draws, run for a few replicates and extrapolated to ``nrep``, and the
literal vectorised resampling (``method="resample"``) on a block of
replicates, also extrapolated.

With ``--store DIR`` it also times the app's path: the store's counted tables
to TableData, ``actas.app.analysis.analyse`` (claims, notes, coverage), the JSON
text and the fingerprint SVG. DIR is a data folder holding ru-2012; when it
does not exist yet, the zip is imported into it first (timed: the importer).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from actas.core.forensics import (
    TableData,
    all_zero,
    analyse,
    digit_pair_test,
    fingerprint_of,
    high_turnout,
    inclusion_mask,
    integer_pct_test,
    last_digit_test,
    outlier_screens,
    render_fingerprint_svg,
    run_screens,
    second_digit_test,
    stratified_projection,
    turnout_over_100,
    unanimous,
)

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ru2012" / "2012.csv.zip"


def load(path: Path) -> TableData:
    with zipfile.ZipFile(path) as z, z.open("2012.csv") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        next(reader)
        rows = list(reader)
    nums = np.array([[int(x) for x in r[3:26]] for r in rows], dtype=np.int64)

    def col(c: int) -> np.ndarray:
        out: np.ndarray = nums[:, c - 3]
        return out

    return TableData(
        table_ids=tuple(f"{r[0]}/{r[1]}/{r[2]}" for r in rows),
        candidate_ids=("zhirinovsky", "zyuganov", "mironov", "prokhorov", "putin"),
        votes=nums[:, 18:23],
        valid=col(12),
        null=col(11),
        registered=col(3),
        ballots=col(5) + col(6) + col(7),
        region_levels=("region",),
        regions=(np.array([r[0] for r in rows]),),
        winner=4,
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def naive_mc(v: np.ndarray, g: np.ndarray, r: np.ndarray, ld: np.ndarray, reps: int) -> list[int]:
    """Kobak's resampling as a plain Python loop over stations (the baseline)."""
    rng = np.random.Generator(np.random.PCG64(42))
    out = []
    vs, gs, rs, ls = v.tolist(), g.tolist(), r.tolist(), ld.tolist()
    for _ in range(reps):
        hits = 0
        for vi, gi, ri, li in zip(vs, gs, rs, ls, strict=True):
            gg = int(rng.binomial(vi, gi / vi))
            ll = int(rng.binomial(ri, li / ri))
            kg = (200 * gg + vi) // (2 * vi)
            kl = (200 * ll + ri) // (2 * ri)
            if abs(2000 * gg - 20 * kg * vi) <= vi or abs(2000 * ll - 20 * kl * ri) <= ri:
                hits += 1
        out.append(hits)
    return out


def end_to_end(home: Path, zip_path: Path, nrep: int) -> None:
    """The app's path: (import,) store -> TableData -> analysis.analyse -> JSON, SVG."""
    from actas.app import analysis
    from actas.app.service import Service
    from actas.app.settings import Settings

    settings = Settings.from_env(env={}, home=home)
    if not (home / "actas.db").exists():
        svc = Service.init(settings, "ru-2012")
        t_imp, summary = timed(lambda: svc.import_file(zip_path))
        print(
            f"import: {summary.loaded:,} stations in {t_imp:.1f} s "
            f"({summary.loaded / t_imp:,.0f} rows/s)"
        )
    else:
        svc = Service.open(settings)
    t_data, data = timed(lambda: analysis.table_data(svc))
    t_an, report = timed(lambda: analysis.analyse(svc, seed=42, nrep=nrep, data=data))
    t_json, text = timed(lambda: json.dumps(report, ensure_ascii=False, indent=2))
    t_svg, _ = timed(lambda: analysis.fingerprint_svg(svc, data))
    steps = [
        (f"store -> TableData ({data.n_tables:,} tables)", t_data),
        (f"analysis.analyse (nrep {nrep})", t_an),
        (f"JSON text ({len(text) / 1e6:.1f} MB)", t_json),
        ("fingerprint SVG", t_svg),
        ("total", t_data + t_an + t_json + t_svg),
    ]
    width = max(len(n) for n, _ in steps) + 2
    print("end to end from the store:")
    for name, dt in steps:
        print(f"  {name:<{width}} {dt:8.3f} s")
    svc.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--nrep", type=int, default=1000)
    parser.add_argument("--naive-reps", type=int, default=2)
    parser.add_argument("--store", type=Path, help="a data folder holding ru-2012 (made if absent)")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"data not found: {args.path}", file=sys.stderr)
        return 2
    if args.store is not None:
        end_to_end(args.store, args.path, args.nrep)
    t_load, data = timed(lambda: load(args.path))
    print(f"loaded {data.n_tables:,} stations in {t_load:.2f} s (CSV parsing, not a screen)")
    reg, given = data.registered_or_missing(), data.turnout_numerator()
    box, leader = data.leader_denominator(), data.winner_votes
    rows: list[tuple[str, float]] = []

    def add(name: str, fn: Callable[[], Any]) -> Any:
        dt, out = timed(fn)
        rows.append((name, dt))
        return out

    add("turnout_over_100", lambda: turnout_over_100(data))
    add("high_turnout", lambda: high_turnout(data))
    add("all_zero", lambda: all_zero(data))
    add("unanimous", lambda: unanimous(data))
    fp = add("fingerprint (histogram + corner)", lambda: fingerprint_of(data))
    add("fingerprint SVG rendering", lambda: render_fingerprint_svg(fp))
    res = add(
        f"integer_percentages exact null, {args.nrep} MC reps",
        lambda: integer_pct_test(reg, given, box, leader, seed=42, nrep=args.nrep),
    )
    add("outliers (turnout, winner share)", lambda: outlier_screens(data))

    def digits() -> None:
        for j in range(data.n_candidates):
            second_digit_test(data.votes[:, j])
            last_digit_test(data.votes[:, j])
            digit_pair_test(data.votes[:, j])

    add("digit tests (2BL, last, pairs) × 5", digits)
    add(
        "stratified projection by region",
        lambda: stratified_projection(
            data.region_codes(0), data.votes, data.valid, data.candidate_ids
        ),
    )
    width = max(len(n) for n, _ in rows) + 2
    for name, dt in rows:
        print(f"  {name:<{width}} {dt:8.3f} s")
    print(f"  {'sum of the screens':<{width}} {sum(dt for _, dt in rows):8.3f} s")
    t_all, _ = timed(lambda: run_screens(data, seed=42, nrep=args.nrep))
    print(f"  {'run_screens (everything, one call)':<{width}} {t_all:8.3f} s   goal < 10 s")
    t_an, _ = timed(lambda: analyse(data, seed=42, nrep=args.nrep, flag_limit=100))
    print(f"  {'analyse (screens + projection)':<{width}} {t_an:8.3f} s")
    print(
        f"integer test: included {res.included:,}, integer {res.observed_either:,}, "
        f"excess {res.excess:.1f} (MC sd {res.null_sd:.1f}; exact mean "
        f"{res.exact_mean:.1f}, sd {res.exact_sd:.1f})"
    )

    # baselines, in the same run
    inc = inclusion_mask(reg, given, box, leader)
    v, g, r, ld = reg[inc], given[inc], box[inc], leader[inc]
    t_naive, _ = timed(lambda: naive_mc(v, g, r, ld, args.naive_reps))
    naive_full = t_naive / args.naive_reps * args.nrep
    block = 50
    t_res, _ = timed(
        lambda: integer_pct_test(reg, given, box, leader, seed=42, nrep=block, method="resample")
    )
    res_full = t_res / block * args.nrep
    t_exact = dict(rows)[f"integer_percentages exact null, {args.nrep} MC reps"]
    print("baseline (same run):")
    print(
        f"  naive Python loop: {t_naive:.2f} s for {args.naive_reps} reps "
        f"→ {naive_full:,.0f} s extrapolated to {args.nrep}"
    )
    print(
        f"  vectorised resampling: {t_res:.2f} s for {block} reps "
        f"→ {res_full:.1f} s extrapolated to {args.nrep}"
    )
    print(f"  exact-null vectorised: {t_exact:.2f} s for {args.nrep} reps")
    print(
        f"  speed-up vs naive loop: ×{naive_full / t_exact:,.0f}; "
        f"vs vectorised resampling: ×{res_full / t_exact:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
