"""An independent script written from docs/audit.md gives the same samples as actas.core.audit.

``recompute_sample.py`` uses only the standard library and never imports
``actas``; it runs here as a subprocess, as an outsider would run it.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from actas.core.audit import frame_sha256, normalize_seed, ppeb_sample, sample, stratified_sample

SCRIPT = Path(__file__).with_name("recompute_sample.py")
V1 = "resultadosconvzla/RESULTADOS_2024_CSV_V1.csv"  # under <repo>/../shared/data/ve2024
SEEDS = ["12345678901234567890", " 0042 7781 3390\n1254 6601 ", "A-b_c~9!"]
FRAME = [f"{c:09d}.{m:02d}" for c in range(201301001, 201301060, 7) for m in (1, 2, 3)]


def recompute(request: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-I", str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer: dict[str, Any] = json.loads(proc.stdout)
    return answer


def test_the_script_does_not_import_actas() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    assert "import actas" not in source
    assert "from actas" not in source


@pytest.mark.parametrize("seed", SEEDS)
def test_simple_random_sample(seed: str) -> None:
    frame = list(reversed(FRAME))  # the order of listing must not matter
    got = recompute({"seed": seed, "mode": "srs", "frame": frame, "k": 12})
    assert got["seed"] == normalize_seed(seed)
    assert got["frame_sha256"] == frame_sha256(FRAME)
    assert got["sample"] == [d.table_id for d in sample(seed, FRAME, 12)]


@pytest.mark.parametrize("seed", SEEDS)
def test_stratified_sample(seed: str) -> None:
    strata = {t: f"P{int(t[6:9]) % 4}" for t in FRAME}
    sizes = {"P0": 3, "P1": 1, "P2": 0, "P3": 50}
    got = recompute({"seed": seed, "mode": "stratified", "frame": strata, "sizes": sizes})
    assert got["frame_sha256"] == frame_sha256(strata, strata)
    ours = stratified_sample(seed, strata, sizes)
    assert got["sample"] == {h: [d.table_id for d in ds] for h, ds in ours.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_ppeb_sample(seed: str) -> None:
    weights: dict[str, int | Fraction] = {
        t: Fraction(i % 5, 3 + i % 7) for i, t in enumerate(FRAME)
    }
    request = {
        "seed": seed,
        "mode": "ppeb",
        "frame": {t: str(w) for t, w in weights.items()},
        "n": 30,
        "start": 4,
    }
    got = recompute(request)
    assert got["sample"] == [d.table_id for d in ppeb_sample(seed, weights, 30, start=4)]


@pytest.mark.slow
def test_v1_frame(ve: Path) -> None:
    path = ve / V1
    if not path.is_file():
        pytest.skip(f"V1 data not found at {path} (clone shared/ beside the repo)")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}" for r in rows]
    strata = {t: f"{int(r['COD_EDO']):02d}" for t, r in zip(ids, rows, strict=True)}
    seed = "48203 91756 30418 27764"
    got = recompute({"seed": seed, "mode": "srs", "frame": ids, "k": 25})
    assert got["frame_sha256"] == frame_sha256(ids)
    assert got["sample"] == [d.table_id for d in sample(seed, ids, 25)]
    sizes = dict.fromkeys(set(strata.values()), 2)
    got = recompute({"seed": seed, "mode": "stratified", "frame": strata, "sizes": sizes})
    ours = stratified_sample(seed, strata, sizes)
    assert got["sample"] == {h: [d.table_id for d in ds] for h, ds in ours.items()}
