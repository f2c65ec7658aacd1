"""Table-level screens, TableData, the SVG fingerprint and the JSON report."""

from __future__ import annotations

import ast
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import actas.core.forensics as fx
from actas.core.errors import InputError
from actas.core.forensics import (
    ScreenResult,
    TableData,
    all_zero,
    analyse,
    fingerprint,
    fingerprint_of,
    high_turnout,
    jsonable,
    outlier_screens,
    parse_claim,
    render_fingerprint_svg,
    robust_z,
    run_screens,
    turnout_over_100,
    unanimous,
)

PKG = Path(fx.__file__).resolve().parent


def _data(seed: int = 0, n: int = 600) -> TableData:
    rng = np.random.Generator(np.random.PCG64(seed))
    reg = rng.integers(200, 900, size=n)
    cast = rng.binomial(reg, 0.6)
    null = rng.binomial(cast, 0.01)
    valid = cast - null
    a = rng.binomial(valid, 0.55)
    b = rng.binomial(valid - a, 0.9)
    c = valid - a - b
    votes = np.stack([a, b, c], axis=1)
    states = np.array([f"{i % 4:02d}" for i in range(n)])
    munis = np.array([f"{i % 4:02d}{i % 12:02d}" for i in range(n)])
    return TableData(
        table_ids=tuple(f"T{i:04d}" for i in range(n)),
        candidate_ids=("A", "B", "C"),
        votes=votes,
        valid=valid,
        null=null,
        registered=reg,
        region_levels=("state", "municipality"),
        regions=(states, munis),
    )


def _with(data: TableData, **rows: tuple[int, int, int, int, int]) -> TableData:
    """Replace rows by (registered, valid, null, a, b) with c = valid − a − b."""
    votes = data.votes.copy()
    valid = data.valid.copy()
    null = data.null.copy()  # type: ignore[union-attr]
    reg = data.registered.copy()  # type: ignore[union-attr]
    for key, (rg, va, nu, a, b) in rows.items():
        i = int(key[1:])
        reg[i], valid[i], null[i] = rg, va, nu
        votes[i] = (a, b, va - a - b)
    return TableData(
        data.table_ids,
        data.candidate_ids,
        votes,
        valid,
        null=null,
        registered=reg,
        region_levels=data.region_levels,
        regions=data.regions,
    )


def _isort_key(name: str) -> tuple[int, str]:
    """ruff RUF022 order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert fx.__all__ == sorted(fx.__all__, key=_isort_key)
    for name in fx.__all__:
        assert hasattr(fx, name), name


def test_core_is_pure() -> None:
    allowed = {"numpy", "scipy", "actas", "__future__", "collections", "dataclasses"}
    allowed |= {"fractions", "math", "typing", "types", "html", "operator"}
    forbidden_calls = {"open", "print", "input"}
    for path in sorted(PKG.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                mods = []
            for m in mods:
                assert m.split(".")[0] in allowed, f"{path.name} imports {m}"
                if m.startswith("actas.") and m != "actas.core.errors":
                    assert m.startswith("actas.core.forensics"), f"{path.name} imports {m}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden_calls, f"{path.name} calls {node.func.id}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "random"
                and node.attr not in {"Generator", "PCG64"}
            ):
                raise AssertionError(f"{path.name} uses np.random.{node.attr}")


def test_tabledata_validates_and_freezes() -> None:
    d = _data()
    assert d.n_tables == 600
    assert d.n_candidates == 3
    assert d.winner_index == 0
    with pytest.raises(ValueError, match="read-only"):
        d.votes[0, 0] = 5
    with pytest.raises(InputError):
        TableData(("a", "a"), ("x",), np.ones((2, 1)), np.ones(2))
    with pytest.raises(InputError):
        TableData(("a", "b"), ("x", "y"), np.ones((2, 1)), np.ones(2))
    with pytest.raises(InputError):
        TableData(("a",), ("x",), np.ones((1, 1)), np.ones(1), registered=np.array([-2]))
    with pytest.raises(InputError):
        TableData(("a",), ("x",), np.array([[1.5]]), np.ones(1))
    with pytest.raises(InputError):
        TableData(("a",), ("x",), np.ones((1, 1)), np.ones(1), winner=3)
    sub = d.subset(np.arange(10))
    assert sub.n_tables == 10
    assert sub.table_ids[0] == "T0000"


def test_turnout_uses_ballots_then_votes_cast() -> None:
    d = TableData(
        ("a", "b", "c"),
        ("x",),
        np.array([[50], [50], [50]]),
        np.array([50, 50, 50]),
        null=np.array([10, 10, 10]),
        registered=np.array([100, -1, 100]),
        ballots=np.array([70, 70, -1]),
    )
    t = d.turnout()
    assert t[0] == pytest.approx(0.7)
    assert math.isnan(t[1])
    assert t[2] == pytest.approx(0.6)
    assert d.leader_denominator().tolist() == [60, 60, 60]


def test_sanity_screens_flag_the_planted_rows() -> None:
    d = _with(
        _data(),
        r5=(300, 310, 5, 200, 100),  # more votes than registered
        r6=(300, 290, 1, 200, 50),  # 97 % turnout
        r7=(300, 0, 0, 0, 0),  # all zero
        r8=(300, 150, 0, 150, 0),  # unanimous for A
    )
    over = turnout_over_100(d)
    assert 5 in over.flagged
    assert over.statistic == len(over.flagged)
    high = high_turnout(d)
    assert {5, 6} <= set(high.flagged)
    assert all_zero(d).flagged == (7,)
    una = unanimous(d)
    assert 8 in una.flagged
    assert una.details["for_winner"] >= 1
    with pytest.raises(InputError):
        high_turnout(d, 1.5)


def test_robust_z_and_outliers() -> None:
    values = np.array([1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 1.02, 0.98, 1.0, 5.0, np.nan])
    z, unscored = robust_z(values, np.zeros(values.size, dtype=int), min_group=5)
    assert unscored == 0
    assert z[10] > 3.5
    assert abs(z[0]) < 1
    assert math.isnan(z[11])
    _, unscored = robust_z(values, np.arange(values.size), min_group=5)
    assert unscored == values.size - 1  # singletons (the NaN row has no group)
    d = _with(_data(), r3=(500, 480, 0, 470, 5))  # very high turnout and share
    screens = {s.name: s for s in outlier_screens(d, level="state")}
    assert 3 in screens["outlier_turnout"].flagged
    assert 3 in screens["outlier_winner_share"].flagged


def test_fingerprint_histogram_and_corner() -> None:
    t = np.array([0.5, 0.5, 0.95, 1.0, 1.2, np.nan])
    s = np.array([0.5, 0.51, 0.97, 1.0, 0.5, 0.5])
    fp = fingerprint(t, s)
    assert fp.counts.shape == (100, 100)
    assert fp.counts[50, 50] == 1
    assert fp.counts[50, 51] == 1
    assert fp.counts[95, 97] == 1
    assert fp.counts[99, 99] == 1
    assert fp.used == 4
    assert fp.excluded_over_100 == 1
    assert fp.excluded_unknown == 1
    assert fp.corner_observed == 2
    assert fp.corner_rows == (2, 3)


def test_fingerprint_of_stuffed_data_shows_the_smear() -> None:
    d = _data(1, 2000)
    clean = fingerprint_of(d)
    assert clean.corner_observed <= 2
    stuffed_rows = {f"r{i}": (400, 396, 0, 390, 3) for i in range(0, 2000, 20)}
    fp = fingerprint_of(_with(d, **stuffed_rows))
    assert fp.corner_observed >= 100
    assert fp.corner_expected < 1
    assert fp.to_screen().statistic > 99  # type: ignore[operator]


def test_svg_is_well_formed_and_escaped() -> None:
    fp = fingerprint_of(_data())
    svg = render_fingerprint_svg(fp, title="A & B <2024>")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]
    assert "A & B <2024>" in texts
    assert "Turnout (%)" in texts
    assert "Winner share (%)" in texts
    cells = [e for e in root.iter() if e.tag.endswith("rect") and e.find("{*}title") is not None]
    assert len(cells) == int(np.count_nonzero(fp.counts))
    with pytest.raises(InputError):
        render_fingerprint_svg(fp, size=10)


def test_run_screens_and_json_report() -> None:
    d = _data(2, 800)
    screens = run_screens(d, seed=5, nrep=50)
    names = [s.name for s in screens]
    for expected in (
        "turnout_over_100",
        "high_turnout",
        "all_zero",
        "unanimous",
        "fingerprint",
        "integer_percentages",
        "outlier_turnout",
        "outlier_winner_share",
        "second_digit_2bl:A",
        "last_digit:A",
        "digit_pairs:A",
    ):
        assert expected in names
    assert "last_digit:C" not in names  # C's counts are tiny
    assert all(isinstance(s, ScreenResult) and s.caveat for s in screens)
    claim = parse_claim(
        {
            "authority": "X",
            "date": "d",
            "label": "state 01",
            "region": "01",
            "votes": {"A": 10**6, "B": 10},
            "others": 5,
        }
    )
    rep = analyse(d, seed=5, nrep=50, claims=[claim], flag_limit=3)
    text = json.dumps(rep, allow_nan=False)
    assert json.loads(text) == rep
    for m in rep["methods"]:
        assert {"name", "inputs", "statistic", "p_value", "bound", "caveat"} <= set(m)
        assert len(m["flagged"]) <= 3
        assert all(isinstance(t, str) for t in m["flagged"])
    comp = rep["claims"][0]["comparison"]
    assert comp["collected_valid"] == int(d.valid[d.regions[0] == "01"].sum())
    assert comp["impossible"] is True
    assert "round_percentages" in rep["claims"][0]
    assert "not a random sample" in rep["projection"]["caveat"]
    assert rep == analyse(d, seed=5, nrep=50, claims=[claim], flag_limit=3)  # deterministic


def test_screens_without_registered_or_regions_are_skipped() -> None:
    d = _data()
    bare = TableData(d.table_ids, d.candidate_ids, d.votes, d.valid)
    names = {s.name: s for s in run_screens(bare, seed=1, nrep=10)}
    assert names["fingerprint"].details["skipped"]
    assert names["integer_percentages"].statistic is None
    assert names["outliers"].details["skipped"]
    assert json.dumps(analyse(bare, seed=1, nrep=10), allow_nan=False)


def test_jsonable() -> None:
    from fractions import Fraction

    value = {
        1: np.int64(3),
        "f": Fraction(1, 4),
        "nan": float("nan"),
        "arr": np.array([[1, 2]]),
        "s": {2, 1},
        "b": np.bool_(True),
    }
    out = jsonable(value)
    assert out == {"1": 3, "f": 0.25, "nan": None, "arr": [[1, 2]], "s": [1, 2], "b": True}
    with pytest.raises(TypeError):
        jsonable(object())
