"""The fingerprint's corner model when a marginal peaks at the edge of the range: a
synthetic election whose turnout rises all the way to 100 % (issue 15, item 7)."""

from __future__ import annotations

import json
import math

import numpy as np

from actas.core.forensics import TableData, analyse, fingerprint_of, high_turnout


def _election(n: int, turnout: np.ndarray, rng: np.random.Generator) -> TableData:
    reg = rng.integers(300, 900, size=n)
    cast = np.minimum(np.rint(reg * turnout).astype(np.int64), reg)
    null = rng.binomial(cast, 0.01)
    valid = cast - null
    share = np.clip(0.35 + 0.65 * turnout**4, 0.0, 1.0)  # the winner gains as turnout rises
    a = rng.binomial(valid, share)
    votes = np.stack([a, valid - a], axis=1)
    return TableData(
        table_ids=tuple(f"T{i:05d}" for i in range(n)),
        candidate_ids=("W", "L"),
        votes=votes,
        valid=valid,
        null=null,
        registered=reg,
    )


def test_turnout_rising_to_100_is_no_mild_reading() -> None:
    rng = np.random.Generator(np.random.PCG64(7))
    n = 5000
    data = _election(n, rng.beta(9.0, 1.0, size=n), rng)
    fp = fingerprint_of(data)
    assert fp.turnout_edge_peak is not None and fp.turnout_edge_peak > 0.95
    assert fp.model == "not fitted"  # no blob apart from the pile-up at 100 %
    assert math.isnan(fp.corner_expected) and fp.corner_observed > 1000
    screen = fp.to_screen()
    assert "edge of the range" in screen.caveat and "no corner model" in screen.caveat
    assert screen.details["corner_model"] == "not fitted"
    report = analyse(data, seed=1, nrep=20)
    (method,) = [m for m in report["methods"] if m["name"] == "fingerprint"]
    assert method["statistic"] is None and "edge of the range" in method["caveat"]
    json.dumps(report, allow_nan=False)


def test_a_main_blob_below_a_pile_up_at_100_is_the_model() -> None:
    rng = np.random.Generator(np.random.PCG64(8))
    n_main, n_pile = 3000, 2000
    turnout = np.r_[rng.normal(0.6, 0.06, n_main), rng.uniform(0.985, 1.0, n_pile)]
    fp = fingerprint_of(_election(n_main + n_pile, np.clip(turnout, 0, 1), rng))
    assert fp.turnout_edge_peak is not None and fp.turnout_edge_peak > 0.95
    assert fp.model == "interior peak"
    assert 0.55 < fp.turnout_peak < 0.65 and 0.04 < fp.turnout_sd_left < 0.08
    assert fp.corner_expected < 5 and fp.corner_observed > 1500  # the pile-up stands out
    assert "fitted to the main blob" in fp.to_screen().caveat


def test_an_ordinary_election_keeps_its_main_peak() -> None:
    rng = np.random.Generator(np.random.PCG64(9))
    fp = fingerprint_of(_election(4000, np.clip(rng.normal(0.6, 0.08, 4000), 0, 1), rng))
    assert fp.model == "main peak"
    assert fp.turnout_edge_peak is None and fp.share_edge_peak is None
    assert fp.edge_caveat() == ""


def test_high_turnout_names_its_turnout() -> None:
    rng = np.random.Generator(np.random.PCG64(3))
    d = _election(10, np.full(10, 0.97), rng)
    ballots = np.where(np.arange(10) < 4, d.valid + d.null + 50, -1)  # issued, not all cast
    data = TableData(
        table_ids=d.table_ids, candidate_ids=d.candidate_ids, votes=d.votes,
        valid=d.valid, null=d.null, registered=d.registered, ballots=ballots,
    )  # fmt: skip
    screen = high_turnout(data)
    assert screen.details["turnout"] == "ballots_issued"
    assert screen.details["tables_by_ballots_issued"] == 4
    assert screen.details["tables_by_fallback"] == 6
    assert screen.details["fallback"] == "valid + null"
    assert "ballots-issued turnout" in screen.inputs
