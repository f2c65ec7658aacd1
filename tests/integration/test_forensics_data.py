"""The forensic core on the real data: fixtures F1, F4, F5, F6, F11 and §5.1.

Reads the shared data beside the repository (``<repo>/../shared/data``), never
a copy inside it, and skips with the reason when it is absent. The CSV
loaders here are test-local; the app's importer feeds the same arrays.

Russia 2012 columns (0-based, as in the CSV header): 3 registered (V), 5+6+7
ballots issued early, on the day and outside (G), 11+12 invalid + valid
ballots (R), 25 Putin (L). This mapping reproduces 87,623 included stations
and 18,025 integer ones exactly; the alternatives R = valid only and
G = ballots found in the boxes (9+10) do not (see
``test_f6_column_mapping_alternatives``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from actas.core.forensics import (
    OTHERS,
    TableData,
    analyse,
    compare_claim,
    fingerprint_of,
    inclusion_mask,
    integer_pct_test,
    is_integer_pct,
    last_digit_test,
    parse_claim,
    ratio_estimate,
    render_fingerprint_svg,
    round_percentage_test,
    second_digit_test,
)

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
V1 = DATA / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
BULLETINS = DATA / "ve2024" / "reference" / "cne_bulletins.json"
RU2012 = DATA / "ru2012" / "2012.csv.zip"

CANDIDATES = ("EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA")
NAME_TO_ID = {
    "Nicolás Maduro": "NM",
    "Edmundo González Urrutia": "EG",
    "Luis Eduardo Martínez": "LM",
    "Antonio Ecarri": "AE",
    "Benjamín Rausseo": "BERA",
    "José Brito": "JOBR",
    "Javier Bertucci": "JABE",
    "Claudio Fermín": "CF",
    "Enrique Márquez": "EM",
    "Daniel Ceballos": "DC",
}


def _need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing in CI: {path}")
        pytest.skip(f"shared data not present beside the repository: {path.resolve()}")
    return path


# ------------------------------------------------------------------ loaders


def load_v1(path: Path) -> TableData:
    """The opposition CSV V1 (UTF-8 with BOM): one row per mesa."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = tuple(f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}" for r in rows)
    state = np.array([f"{int(r['COD_EDO']):02d}" for r in rows])
    muni = np.array([f"{int(r['COD_EDO']):02d}{int(r['COD_MUN']):02d}" for r in rows])
    return TableData(
        table_ids=ids,
        candidate_ids=CANDIDATES,
        votes=np.array([[int(r[c]) for c in CANDIDATES] for r in rows], dtype=np.int64),
        valid=np.array([int(r["VOTOS_VALIDOS"]) for r in rows], dtype=np.int64),
        null=np.array([int(r["VOTOS_NULOS"]) for r in rows], dtype=np.int64),
        registered=np.array([int(r["RE"]) for r in rows], dtype=np.int64),
        region_levels=("state", "municipality"),
        regions=(state, muni),
    )


def load_ru_columns(path: Path) -> tuple[list[list[str]], np.ndarray]:
    """Region/tik/uik strings and the 23 numeric protocol columns (CSV columns 3–25)."""
    with zipfile.ZipFile(path) as z, z.open("2012.csv") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        next(reader)
        rows = list(reader)
    nums = np.array([[int(x) for x in r[3:26]] for r in rows], dtype=np.int64)
    return [r[:3] for r in rows], nums


def ru_col(nums: np.ndarray, col: int) -> np.ndarray:
    """CSV column ``col`` (0-based, 3..25) of the numeric block."""
    out: np.ndarray = nums[:, col - 3]
    return out


def ru_table(keys: list[list[str]], nums: np.ndarray) -> TableData:
    """Russia 2012 as TableData: G = cols 5+6+7, valid 12, null (invalid) 11, Putin = winner."""
    return TableData(
        table_ids=tuple("/".join(k) for k in keys),
        candidate_ids=("zhirinovsky", "zyuganov", "mironov", "prokhorov", "putin"),
        votes=nums[:, 21 - 3 : 26 - 3],
        valid=ru_col(nums, 12),
        null=ru_col(nums, 11),
        registered=ru_col(nums, 3),
        ballots=ru_col(nums, 5) + ru_col(nums, 6) + ru_col(nums, 7),
        region_levels=("region",),
        regions=(np.array([k[0] for k in keys]),),
        winner=4,
    )


@pytest.fixture(scope="module")
def v1() -> TableData:
    return load_v1(_need(V1))


@pytest.fixture(scope="module")
def bulletins() -> dict[str, object]:
    data: dict[str, object] = json.loads(_need(BULLETINS).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def ru_raw() -> tuple[list[list[str]], np.ndarray]:
    return load_ru_columns(_need(RU2012))


@pytest.fixture(scope="module")
def ru(ru_raw: tuple[list[list[str]], np.ndarray]) -> TableData:
    return ru_table(*ru_raw)


def _claim(bulletin: dict[str, object], label: str) -> dict[str, object]:
    """A claims dict in the documented format from cne_bulletins.json."""
    cands = bulletin["candidates"]
    assert isinstance(cands, dict)
    votes = {NAME_TO_ID[n]: int(v["votes"]) for n, v in cands.items() if n in NAME_TO_ID}
    raw: dict[str, object] = {
        "authority": "CNE",
        "date": str(bulletin["date"]),
        "label": label,
        "scope": str(bulletin["scope"]),
        "votes": votes,
    }
    if "others_combined" in cands:
        raw["others"] = int(cands["others_combined"]["votes"])
    for key, src in (("valid", "valid_votes"), ("null", "null_votes")):
        if src in bulletin:
            raw[key] = bulletin[src]
    if "registered_electors" in bulletin:
        raw["registered"] = bulletin["registered_electors"]
    return raw


# ------------------------------------------------------------------ Venezuela


def test_f5_opposition_totals(v1: TableData) -> None:
    assert v1.n_tables == 24_532
    totals = dict(zip(v1.candidate_ids, v1.votes.sum(axis=0).tolist(), strict=True))
    assert totals["EG"] == 7_156_462
    assert totals["NM"] == 3_241_461
    assert sum(v for c, v in totals.items() if c not in {"EG", "NM"}) == 261_205
    assert int(v1.valid.sum()) == 10_659_128
    assert v1.null is not None
    assert int(v1.null.sum()) == 1_139
    assert np.array_equal(v1.valid, v1.votes.sum(axis=1))
    assert round(totals["EG"] / 10_659_128, 6) == 0.671393
    assert round(totals["NM"] / 10_659_128, 6) == 0.304102


def test_srs_ratio_fixture(v1: TableData) -> None:
    eg = ratio_estimate(v1.votes[:, 0], v1.valid, 30_026)
    assert round(eg.ratio, 6) == 0.671393
    assert round(eg.se, 6) == 0.000373
    assert round(eg.ci_low, 5) == 0.67066
    assert round(eg.ci_high, 5) == 0.67212
    nm = ratio_estimate(v1.votes[:, 1], v1.valid, 30_026)
    assert round(nm.ratio, 6) == 0.304102
    assert round(nm.se, 6) == 0.000364


def test_f11_digit_tests_on_the_actas(v1: TableData) -> None:
    eg, nm = v1.votes[:, 0], v1.votes[:, 1]
    t = second_digit_test(eg, label="EG")
    assert round(t.details["mean"], 3) == 4.381
    assert round(t.statistic, 1) == 116.1  # type: ignore[arg-type]
    assert "Do not flag fraud from 2BL alone" in t.caveat
    t = second_digit_test(nm, label="NM")
    assert round(t.details["mean"], 3) == 4.002
    assert round(t.statistic, 1) == 111.6  # type: ignore[arg-type]
    assert round(last_digit_test(eg).statistic, 1) == 8.1  # type: ignore[arg-type]
    last_nm = last_digit_test(nm)
    assert round(last_nm.statistic, 1) == 40.3  # type: ignore[arg-type]
    assert "false positives" in last_nm.caveat


def test_f4_second_bulletin_against_the_actas(v1: TableData, bulletins: dict[str, object]) -> None:
    second = bulletins["second_bulletin"]
    assert isinstance(second, dict)
    claim = parse_claim(_claim(second, "Second bulletin"))
    collected = dict(zip(v1.candidate_ids, v1.votes.sum(axis=0).tolist(), strict=True))
    cmp = compare_claim(claim, collected, int(v1.valid.sum()))
    assert cmp.missing_valid == 1_676_756
    nm = cmp.row("NM")
    assert nm.gap == 3_167_383
    assert nm.required_share == Fraction(3_167_383, 1_676_756)
    assert round(float(nm.required_share), 5) == 1.88899
    assert nm.impossible
    assert nm.best_case_claim == 4_918_217
    eg = cmp.row("EG")
    assert eg.contradiction
    assert -eg.gap == 1_830_358
    assert cmp.leader == "EG"
    assert cmp.leader_secure
    # the same claim through the report, with registered voters from RE
    report = analyse(v1, seed=1, nrep=20, claims=[claim], flag_limit=0)
    json.dumps(report, allow_nan=False)
    section = report["claims"][0]
    assert section["comparison"]["impossible"] is True
    assert section["comparison"]["missing_valid_max"] == 21_321_805 - int(
        v1.registered.sum()  # type: ignore[union-attr]
    )
    assert section["round_percentages"]["details"]["flag"] is False  # F2


def test_f1_first_bulletin_round_percentages(bulletins: dict[str, object]) -> None:
    first = bulletins["first_bulletin"]
    assert isinstance(first, dict)
    claim = parse_claim(_claim(first, "First bulletin"))
    assert claim.as_dict()[OTHERS] == 462_704
    res = round_percentage_test([v for _, v in claim.votes])
    best = res.best
    assert best is not None
    assert best.step_pp == "0.1"
    assert [round(float(r), 3) for r in best.residuals] == [-0.288, -0.108, 0.396]
    assert best.p == pytest.approx(9.88e-9, rel=1e-3)


# ------------------------------------------------------------------ Russia 2012


def test_f6_integer_percentages_russia_2012(ru: TableData) -> None:
    assert ru.n_tables == 95_415
    res = integer_pct_test(
        ru.registered_or_missing(),
        ru.turnout_numerator(),
        ru.leader_denominator(),
        ru.winner_votes,
        seed=42,
        nrep=1000,
    )
    assert res.included == 87_623
    assert res.observed_leader == 9_662
    assert res.observed_turnout == 9_476
    assert res.observed_either == 18_025
    assert res.excess == pytest.approx(1_160, abs=25)
    assert res.exact_mean is not None
    assert res.exact_sd is not None
    assert res.observed_either - res.exact_mean == pytest.approx(1_160, abs=25)
    assert res.null_sd == pytest.approx(116, rel=0.1)
    assert res.exact_sd == pytest.approx(116, rel=0.1)
    assert res.excess / res.null_sd > 8
    assert res.p_value == pytest.approx(1 / 1001)


def test_f6_column_mapping_alternatives(ru_raw: tuple[list[list[str]], np.ndarray]) -> None:
    _, nums = ru_raw

    def counts(v: np.ndarray, g: np.ndarray, r: np.ndarray, ld: np.ndarray) -> tuple[int, int]:
        inc = inclusion_mask(v, g, r, ld)
        either = is_integer_pct(g[inc], v[inc]) | is_integer_pct(ld[inc], r[inc])
        return int(inc.sum()), int(either.sum())

    v, ld = ru_col(nums, 3), ru_col(nums, 25)
    issued = ru_col(nums, 5) + ru_col(nums, 6) + ru_col(nums, 7)
    in_box = ru_col(nums, 11) + ru_col(nums, 12)
    assert counts(v, issued, in_box, ld) == (87_623, 18_025)  # the mapping used
    assert counts(v, issued, ru_col(nums, 12), ld) != (87_623, 18_025)  # R = valid only
    found = ru_col(nums, 9) + ru_col(nums, 10)
    assert counts(v, found, in_box, ld) != (87_623, 18_025)  # G = ballots in the boxes


def test_fingerprint_russia_2012_smears_to_the_corner(ru: TableData) -> None:
    fp = fingerprint_of(ru)
    assert fp.used == 95_413
    assert 0.55 < fp.turnout_peak < 0.65
    assert 0.55 < fp.share_peak < 0.65
    # a symmetric normal fitted to the left of each peak predicts < 1 station with
    # turnout > 90 % and Putin > 90 %; thousands are there
    assert fp.corner_expected < 1.0
    assert fp.corner_observed > 5_000
    # mirrored tails of turnout around the peak: the right one is far heavier
    t = ru.turnout()
    d = 0.3
    right = int(np.sum(t > fp.turnout_peak + d))
    left = int(np.sum(t < fp.turnout_peak - d))
    assert right > 100 * max(left, 1)
    svg = render_fingerprint_svg(fp, title="Russia 2012, presidential")
    assert svg.startswith("<svg")
    assert "Russia 2012" in svg
