"""Synthetic acta photos for the production tests and benchmarks, rendered in a process pool.

    paths = render_set(folder, n=300)     # acta-<table>.jpg, one distinct table each

Photos are ve-2024 actas drawn by :func:`actas.dev.synth.render` at 900 × 1200 without
degradations (every QR reads), with seeded counts: the same ``n`` gives the same
bytes. A folder that already holds the set is reused.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SIZE = (900, 1200)


def table_id(i: int) -> str:
    """The i-th table: states 01-24, four municipalities, parishes and centres each."""
    state, rest = divmod(i, 2400)
    mun, rest = divmod(rest, 600)
    par, rest = divmod(rest, 150)
    centre, mesa = divmod(rest, 10)
    return f"{state % 24 + 1:02d}{mun + 1:02d}{par + 1:02d}{centre + 1:03d}.{mesa + 1:02d}"


def _render(args: tuple[int, str]) -> str:
    import numpy as np

    from actas.adapters.elections import load_builtin
    from actas.dev import synth

    i, folder = args
    election = load_builtin("ve-2024")
    rng = np.random.default_rng(i)
    k = len(election.candidates)
    votes = [int(v) for v in rng.integers(0, 200, k)]
    options = synth.split_votes(election, votes, i)
    image, _ = synth.render(
        election, table_id(i), options, int(rng.integers(0, 5)), seed=i, size=SIZE
    )
    path = Path(folder) / f"acta-{table_id(i)}.jpg"
    tmp = path.with_suffix(".part")
    tmp.write_bytes(image)
    tmp.replace(path)
    return str(path)


def render_set(folder: Path, n: int, workers: int | None = None) -> list[Path]:
    """The first ``n`` photos of the set in ``folder`` (rendered when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    want = [folder / f"acta-{table_id(i)}.jpg" for i in range(n)]
    todo = [(i, str(folder)) for i, p in enumerate(want) if not p.exists()]
    if todo:
        with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
            list(pool.map(_render, todo, chunksize=8))
    return want
