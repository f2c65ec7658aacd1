"""Benchmark the Merkle core: appending through a frontier, then proofs.

    .venv/bin/python benchmarks/bench_merkle.py [--leaves N] [--queries Q] [--seed S]

Appends N leaf hashes into :class:`actas.core.log.merkle.MemoryNodes` through a
:class:`~actas.core.log.merkle.Frontier`, then times Q random inclusion and consistency
proofs (generation from perfect nodes, and verification). Baselines measured
in the same run: appending leaf by leaf through ``appended_nodes`` (what a store
does per request), and the naive ``root_from_leaf_hashes`` rebuild that a
log without stored nodes would pay for every proof. Goals: N = 1,000,000
appended in under 30 s; one proof (generation + verification) under 1 ms.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from actas.core.log.merkle import (
    MemoryNodes,
    consistency_keys,
    consistency_proof,
    inclusion_keys,
    inclusion_proof,
    leaf_hash,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

T = TypeVar("T")

APPEND_GOAL_S = 30.0
PROOF_GOAL_MS = 1.0


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _mean_us(samples: list[float]) -> str:
    p99 = sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]
    return f"{statistics.fmean(samples) * 1e6:8.1f} µs (p99 {p99 * 1e6:6.1f} µs)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    n, q = args.leaves, args.queries
    if n < 2:
        parser.error("--leaves must be at least 2")
    rng = random.Random(args.seed)
    print(f"Merkle benchmark: {n:,} leaves, {q:,} random queries, Python {sys.version.split()[0]}")

    t_hash, hashes = _timed(lambda: [leaf_hash(i.to_bytes(8, "big")) for i in range(n)])
    print(f"  hash {n:,} leaves (SHA-256 of 8 bytes)       {t_hash:8.2f} s")

    store = MemoryNodes()
    t_append, frontier = _timed(lambda: store.extend(hashes))
    print(
        f"  append {n:,} via Frontier                    {t_append:8.2f} s  "
        f"({n / t_append:,.0f} leaves/s, {len(store):,} nodes)"
    )

    sample = min(n, 100_000)
    single = MemoryNodes()
    t_single, _ = _timed(lambda: [single.append(h) for h in hashes[:sample]])
    per_leaf_frontier = t_append / n
    per_leaf_single = t_single / sample
    print(
        f"  baseline: append {sample:,} one by one           {t_single:8.2f} s  "
        f"({per_leaf_single * 1e6:.2f} µs/leaf vs {per_leaf_frontier * 1e6:.2f} µs/leaf, "
        f"x{per_leaf_single / per_leaf_frontier:.1f})"
    )

    t_naive, naive_root = _timed(lambda: root_from_leaf_hashes(hashes))
    t_root, stored_root = _timed(lambda: root(n, store))
    assert naive_root == stored_root == frontier.root(), "roots disagree"
    print(f"  baseline: naive rebuild root({n:,})         {t_naive:8.2f} s")
    print(f"  root({n:,}) from perfect nodes              {t_root * 1e6:8.1f} µs")

    gen: list[float] = []
    ver: list[float] = []
    mapped: list[float] = []
    for _ in range(q):
        size = rng.randint(1, n) if rng.random() < 0.5 else n
        index = rng.randrange(size)
        start = time.perf_counter()
        proof = inclusion_proof(index, size, store)
        mid = time.perf_counter()
        ok = verify_inclusion(hashes[index], index, size, proof, root(size, store))
        end = time.perf_counter()
        assert ok, (index, size)
        gen.append(mid - start)
        ver.append(end - mid)
        start = time.perf_counter()
        fetched = store.nodes(inclusion_keys(index, size))  # one "SELECT ... IN"
        assert inclusion_proof(index, size, fetched) == proof
        mapped.append(time.perf_counter() - start)
    inc_total = statistics.fmean(gen) + statistics.fmean(ver)
    print(f"  inclusion proof: generate                    {_mean_us(gen)}")
    print(f"  inclusion proof: keys + one fetch + generate {_mean_us(mapped)}")
    print(f"  inclusion proof: verify (root included)      {_mean_us(ver)}")

    cgen: list[float] = []
    cver: list[float] = []
    for _ in range(q):
        new = rng.randint(1, n) if rng.random() < 0.5 else n
        old = rng.randint(1, new)
        start = time.perf_counter()
        proof = consistency_proof(old, new, store)
        mid = time.perf_counter()
        ok = verify_consistency(old, new, root(old, store), root(new, store), proof)
        end = time.perf_counter()
        assert ok, (old, new)
        assert len(consistency_keys(old, new)) <= 2 * n.bit_length() + 1
        cgen.append(mid - start)
        cver.append(end - mid)
    con_total = statistics.fmean(cgen) + statistics.fmean(cver)
    print(f"  consistency proof: generate                  {_mean_us(cgen)}")
    print(f"  consistency proof: verify (roots included)   {_mean_us(cver)}")

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS                                     {peak_mib:8.0f} MiB")
    print(
        f"  ratio naive rebuild / (inclusion gen+verify) x{t_naive / inc_total:,.0f}; "
        f"/ (consistency gen+verify) x{t_naive / con_total:,.0f}"
    )
    results = [
        (f"append {n:,} < {APPEND_GOAL_S:.0f} s", t_append < APPEND_GOAL_S),
        (f"inclusion < {PROOF_GOAL_MS:.0f} ms", inc_total * 1e3 < PROOF_GOAL_MS),
        (f"consistency < {PROOF_GOAL_MS:.0f} ms", con_total * 1e3 < PROOF_GOAL_MS),
    ]
    for label, ok in results:
        print(f"  goal {label:32} {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
