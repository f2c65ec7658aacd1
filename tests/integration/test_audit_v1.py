"""Audits on the real Venezuelan 2024 opposition actas (V1, 24,532 tables).

The data are not in the repository: they are read from ``<repo>/../shared/data``
(the ``ve`` fixture of ``tests/conftest.py``) and the tests skip when absent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from actas.core.audit import (
    Batch,
    Contest,
    MacroBounds,
    RlaStatus,
    StratumPlan,
    design_effect,
    design_quick_count,
    draw_batches,
    estimate_quick_count,
    evaluate,
    frame_sha256,
    initial_sample_size,
    macro_bounds,
    stratified_sample,
)

pytestmark = pytest.mark.slow

V1 = "resultadosconvzla/RESULTADOS_2024_CSV_V1.csv"  # under <repo>/../shared/data/ve2024
CANDIDATES = ("EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA")
GONZALEZ_SHARE = 7_156_462 / 10_659_128
SEED = "48203 91756 30418 27764"  # 20 digits, as read aloud after dice rolls


@dataclass(frozen=True)
class Actas:
    ids: list[str]
    state: list[str]
    votes: np.ndarray  # (tables, candidates)
    ballots: np.ndarray  # valid + null


@pytest.fixture(scope="module")
def v1(ve: Path) -> Actas:
    path = ve / V1
    if not path.is_file():
        pytest.skip(f"V1 data not found at {path} (clone shared/ beside the repo)")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}" for r in rows]
    votes = np.array([[int(r[c]) for c in CANDIDATES] for r in rows], dtype=np.int64)
    valid = np.array([int(r["VOTOS_VALIDOS"]) for r in rows], dtype=np.int64)
    null = np.array([int(r["VOTOS_NULOS"]) for r in rows], dtype=np.int64)
    assert (votes.sum(axis=1) == valid).all()
    return Actas(ids, [f"{int(r['COD_EDO']):02d}" for r in rows], votes, valid + null)


@pytest.fixture(scope="module")
def bounds(v1: Actas) -> MacroBounds:
    contest = Contest(CANDIDATES, ("EG",))
    batches = [
        Batch(t, tuple(int(x) for x in v), int(b))
        for t, v, b in zip(v1.ids, v1.votes, v1.ballots, strict=True)
    ]
    return macro_bounds(contest, batches)


def test_frame_and_totals(v1: Actas, bounds: MacroBounds) -> None:
    assert len(set(v1.ids)) == 24_532
    assert "201301006.01" in set(v1.ids)
    assert bounds.totals[:2] == (7_156_462, 3_241_461)
    assert sum(bounds.totals) == 10_659_128
    assert len(frame_sha256(v1.ids)) == 64
    assert float(bounds.total) == pytest.approx(3.7331, abs=1e-4)


def test_rla_confirms_with_no_discrepancies(bounds: MacroBounds) -> None:
    n0 = initial_sample_size(bounds.total, 0.05)
    assert n0 == 10
    draws = draw_batches(SEED, bounds, n0)
    audited = {d.table_id: bounds.reported[d.table_id] for d in draws}
    result = evaluate(bounds, draws, audited, 0.05)
    assert result.status is RlaStatus.CONFIRMED
    assert result.draws_used <= n0
    assert result.p_value <= 0.05
    assert result.discrepancies == ()


def test_rla_escalates_when_the_sample_shows_the_other_winner(bounds: MacroBounds) -> None:
    n0 = initial_sample_size(bounds.total, 0.05)
    draws = draw_batches(SEED, bounds, n0)
    audited: dict[str, tuple[int, ...]] = {}
    for d in draws:  # hand counts with González's and Maduro's votes swapped
        v = list(bounds.reported[d.table_id])
        v[0], v[1] = v[1], v[0]
        audited[d.table_id] = tuple(v)
    assert sum(a[1] for a in audited.values()) > sum(a[0] for a in audited.values())
    result = evaluate(bounds, draws, audited, 0.05)
    assert result.status is RlaStatus.FULL_HAND_COUNT
    assert result.next_sample_size is None
    assert result.p_value > 0.05
    assert len(result.discrepancies) >= n0 - 1


def test_srs_fixture_from_forensics_5_1(v1: Actas) -> None:
    """All 24,532 actas treated as an SRS of 30,026 mesas (illustration only)."""
    est = estimate_quick_count(
        {"VE": 30_026},
        {"VE": v1.ids},
        dict(zip(v1.ids, v1.votes.tolist(), strict=True)),
        CANDIDATES,
    )
    eg, nm = est.share_of("EG"), est.share_of("NM")
    assert eg.share == pytest.approx(0.671393, abs=5e-7)
    assert eg.se == pytest.approx(0.000373, abs=5e-7)
    assert (round(eg.low, 5), round(eg.high, 5)) == (0.67066, 0.67212)
    assert nm.share == pytest.approx(0.304102, abs=5e-7)
    assert nm.se == pytest.approx(0.000364, abs=5e-7)
    assert est.missing == ()


def test_quick_count_intervals_cover_the_full_count(v1: Actas) -> None:
    states = sorted(set(v1.state))
    tables = {h: v1.state.count(h) for h in states}
    valid = v1.votes.sum(axis=1)
    plans = {
        h: StratumPlan(tables[h], int(valid[[s == h for s in v1.state]].sum())) for h in states
    }
    design = design_quick_count(plans, 0.01)
    assert design.tables == 23  # NDI, deff = 1
    assert design.total == 48  # two per state at least
    strata = dict(zip(v1.ids, v1.state, strict=True))
    two = dict(
        zip(v1.ids, np.column_stack([v1.votes[:, 0], valid - v1.votes[:, 0]]).tolist(), strict=True)
    )
    covered = 0
    for s in range(100):
        drawn = stratified_sample(f"{SEED} {s:03d}", strata, design.sizes)
        ids = {h: [d.table_id for d in ds] for h, ds in drawn.items()}
        results = {t: two[t] for ts in ids.values() for t in ts}
        est = estimate_quick_count(tables, ids, results, ("EG", "rest"))
        assert est.received == 48
        eg = est.share_of("EG")
        covered += int(eg.low <= GONZALEZ_SHARE <= eg.high)
    assert covered >= 90, f"{covered} of 100 intervals cover the full-count share"


def test_design_effect_brings_the_margin_to_target(v1: Actas) -> None:
    valid = v1.votes.sum(axis=1)
    deff = design_effect(v1.votes[:, 0].tolist(), valid.tolist())
    assert 30 < deff < 45
    states = sorted(set(v1.state))
    tables = {h: v1.state.count(h) for h in states}
    in_state = {h: np.array([s == h for s in v1.state]) for h in states}
    plans = {h: StratumPlan(tables[h], int(valid[in_state[h]].sum())) for h in states}
    design = design_quick_count(plans, 0.01, design_effect=deff)
    assert design.tables == 814
    drawn = stratified_sample(SEED, dict(zip(v1.ids, v1.state, strict=True)), design.sizes)
    ids = {h: [d.table_id for d in ds] for h, ds in drawn.items()}
    row = {t: i for i, t in enumerate(v1.ids)}
    results = {t: v1.votes[row[t]].tolist() for ts in ids.values() for t in ts}
    eg = estimate_quick_count(tables, ids, results, CANDIDATES).share_of("EG")
    assert (eg.high - eg.low) / 2 < 0.01  # stratification helps a little beyond deff
    assert eg.low <= GONZALEZ_SHARE <= eg.high
