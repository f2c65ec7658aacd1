"""Time audit sampling and a batch-comparison RLA on a 1,000,000-table frame and on V1.

Each measured step is printed with a naive baseline timed in the same run:

* sample without replacement: ``actas.core.audit.sample`` (top-64-bit partition, then
  exact order of the few candidates) vs computing every ticket with the public
  ``ticket()`` and sorting the whole frame;
* PPEB draws: integer cumulative weights and bisection vs exact ``Fraction``
  cumulative weights and a linear scan per draw (the method of
  ``tests/integration/recompute_sample.py``), timed on a few draws and compared
  per draw;
* MACRO bounds: ``macro_bounds`` (integers over one common denominator) vs
  ``error_bound`` per batch with ``Fraction``.

Usage: ``python benchmarks/bench_audit.py [--tables N] [--no-v1]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import numpy as np

from actas.core.audit import (
    Batch,
    Contest,
    draw_batches,
    error_bound,
    evaluate,
    frame_sha256,
    initial_sample_size,
    macro_bounds,
    sample,
    stratified_sample,
    ticket,
)

T = TypeVar("T")
SEED = "48203 91756 30418 27764"
V1 = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ve2024/resultadosconvzla/RESULTADOS_2024_CSV_V1.csv"
)
V1_CANDIDATES = ("EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def row(label: str, ours: float, naive: float | None = None, note: str = "") -> None:
    if naive is None:
        print(f"  {label:<48} {ours:9.3f} s {'':>22} {note}")
    else:
        ratio = naive / ours if ours > 0 else float("inf")
        print(f"  {label:<48} {ours:9.3f} s  naive {naive:9.3f} s  x{ratio:7.1f} {note}")


def synthetic(n: int) -> tuple[list[Batch], dict[str, str]]:
    rng = np.random.default_rng(2024)  # benchmark data only; the core never draws randomness
    ballots = rng.integers(150, 650, size=n)
    share = np.clip(rng.normal(0.52, 0.12, size=n), 0.0, 1.0)
    a = rng.binomial(ballots, share * 0.97)
    b = rng.binomial(ballots - a, 0.95)
    c = ballots - a - b - rng.binomial(ballots - a - b, 0.3)
    batches, strata = [], {}
    for i in range(n):
        tid = f"{i // 40:09d}.{i % 40 + 1:02d}"
        batches.append(Batch(tid, (int(a[i]), int(b[i]), int(c[i])), int(ballots[i])))
        strata[tid] = f"{i % 24 + 1:02d}"
    return batches, strata


def naive_sample(seed: str, ids: list[str], k: int) -> list[str]:
    return [t for _, t in sorted((ticket(seed, t), t) for t in ids)[:k]]


def naive_ppeb_build(weights: dict[str, Fraction]) -> tuple[list[str], list[Fraction]]:
    ids = sorted(weights)
    cumulative, total = [], Fraction(0)
    for t in ids:
        total += weights[t]
        cumulative.append(total)
    return ids, cumulative


def naive_ppeb_draws(seed: str, frame: tuple[list[str], list[Fraction]], draws: range) -> list[str]:
    ids, cumulative = frame
    total = cumulative[-1]
    out = []
    seed_b = "".join(seed.split()).encode()
    for j in draws:
        msg = b"actas-audit-v1\nppeb\n" + seed_b + b"\n" + str(j).encode()
        u = Fraction(int.from_bytes(hashlib.sha256(msg).digest(), "big"), 2**256)
        out.append(next(t for t, c in zip(ids, cumulative, strict=True) if u < c / total))
    return out


def bench(name: str, batches: list[Batch], strata: dict[str, str], contest: Contest) -> None:
    n = len(batches)
    ids = [b.table_id for b in batches]
    print(f"\n{name}: {n:,} tables, {len(contest.candidates)} candidates")

    digest, t = timed(lambda: frame_sha256(ids))
    row("frame bytes + SHA-256", t, note=digest[:16])

    k = 1000
    ours_s, t_ours = timed(lambda: sample(SEED, ids, k))
    naive_s, t_naive = timed(lambda: naive_sample(SEED, ids, k))
    assert [d.table_id for d in ours_s] == naive_s
    row(f"sample without replacement, k={k}", t_ours, t_naive)

    sizes = dict.fromkeys(set(strata.values()), 2000 // len(set(strata.values())))
    _, t = timed(lambda: stratified_sample(SEED, strata, sizes))
    row(f"stratified sample, {sum(sizes.values())} over {len(sizes)} strata", t)

    bounds, t_bounds = timed(lambda: macro_bounds(contest, batches))
    pairs, totals = contest.pairs(), bounds.totals
    m = min(n, 100_000)
    _, t_naive_b = timed(
        lambda: [error_bound(b.votes, b.ballots, totals, pairs) for b in batches[:m]]
    )
    row(
        "MACRO bounds (all batches)",
        t_bounds,
        t_naive_b * n / m,
        note="naive extrapolated" if m < n else "",
    )

    alpha = 0.05
    n0 = initial_sample_size(bounds.total, alpha)
    draws, t_draw = timed(lambda: draw_batches(SEED, bounds, n0))
    row(f"PPEB {n0} draws (U={float(bounds.total):.3f}, n0 at 5%)", t_draw)
    big, t_big = timed(lambda: draw_batches(SEED, bounds, 1000))
    few = 3
    frame, t_build = timed(lambda: naive_ppeb_build({t: bounds.bound(t) for t in ids}))
    naive_d, t_scan = timed(lambda: naive_ppeb_draws(SEED, frame, range(1, few + 1)))
    assert naive_d == [d.table_id for d in big[:few]]
    per_draw = t_scan / few
    row(
        "PPEB 1000 draws (naive: Fraction sums + scans)",
        t_big,
        t_build + per_draw * 1000,
        note=f"naive extrapolated: build {t_build:.2f} s, {per_draw:.3f} s/draw",
    )

    audited = {d.table_id: bounds.reported[d.table_id] for d in draws}
    result, t_eval = timed(lambda: evaluate(bounds, draws, audited, alpha))
    row(f"evaluate {len(draws)} draws -> {result.status}", t_eval)
    rla = t_bounds + t_draw + t_eval
    row("whole RLA (bounds + draws + evaluate)", rla, t_naive_b * n / m + t_build + per_draw * n0)


def load_v1() -> tuple[list[Batch], dict[str, str]]:
    with V1.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    batches, strata = [], {}
    for r in rows:
        tid = f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}"
        votes = tuple(int(r[c]) for c in V1_CANDIDATES)
        batches.append(Batch(tid, votes, int(r["VOTOS_VALIDOS"]) + int(r["VOTOS_NULOS"])))
        strata[tid] = f"{int(r['COD_EDO']):02d}"
    return batches, strata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1_000_000)
    parser.add_argument("--no-v1", action="store_true")
    args = parser.parse_args()
    batches, strata = synthetic(args.tables)
    bench("synthetic", batches, strata, Contest(("A", "B", "C"), ("A",)))
    if not args.no_v1:
        if V1.is_file():
            v1, v1_strata = load_v1()
            bench("V1", v1, v1_strata, Contest(V1_CANDIDATES, ("EG",)))
        else:
            print(f"\nV1 skipped: {V1} not found")


if __name__ == "__main__":
    main()
