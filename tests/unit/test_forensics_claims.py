"""Official claims: parsing, and comparison with collected totals (fixture F4)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from actas.core.errors import DefinitionError, InputError
from actas.core.forensics import OTHERS, Claim, compare_claim, parse_claim

BULLETIN_2: dict[str, Any] = {
    "authority": "CNE",
    "date": "2024-08-02",
    "label": "Second bulletin",
    "scope": "96.87 % of actas",
    "votes": {
        "NM": 6_408_844,
        "EG": 5_326_104,
        "LM": 152_360,
        "AE": 116_421,
        "BERA": 92_903,
        "JOBR": 84_231,
        "JABE": 64_452,
        "CF": 40_902,
        "EM": 29_611,
        "DC": 20_056,
    },
    "valid": 12_335_884,
    "null": 50_785,
    "registered": 21_321_805,
    "tables_share": 0.9687,
}

# collected totals of the 24,532 opposition actas (fixture F5)
COLLECTED = {"EG": 7_156_462, "NM": 3_241_461, "rest": 261_205}
COLLECTED_VALID = 10_659_128


def test_parse_full_claim() -> None:
    claim = parse_claim(BULLETIN_2)
    assert isinstance(claim, Claim)
    assert claim.as_dict()["NM"] == 6_408_844
    assert claim.total == 12_335_884
    assert claim.tables_share == pytest.approx(0.9687)
    assert claim.region is None
    assert not claim.has_others
    assert claim.to_json()["votes"]["EG"] == 5_326_104


def test_parse_others_group() -> None:
    claim = parse_claim(
        {
            "authority": "CNE",
            "date": "2024-07-29",
            "label": "First bulletin",
            "votes": {"NM": 5_150_092, "EG": 4_445_978},
            "others": 462_704,
        }
    )
    assert claim.as_dict()[OTHERS] == 462_704
    assert claim.others_members == ()
    assert claim.total == 10_058_774
    grouped = parse_claim(
        {**BULLETIN_2, "votes": {"NM": 1, "EG": 2}, "others": {"votes": 3, "members": ["LM"]}}
    )
    assert grouped.others_members == ("LM",)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"authority": None}, "'authority'"),
        ({"authority": 5}, "'authority'"),
        ({"votes": {}}, "'votes'"),
        ({"votes": {"NM": -1}}, "'votes.NM'"),
        ({"votes": {"NM": 1.5}}, "'votes.NM'"),
        ({"votes": {"NM": True}}, "'votes.NM'"),
        ({"votes": {"others": 4}}, "'votes.others'"),
        ({"valid": "many"}, "'valid'"),
        ({"valid": 10}, "'valid'"),
        ({"tables_share": 96.87}, "'tables_share'"),
        ({"tables_share": "x"}, "'tables_share'"),
        ({"region": ""}, "'region'"),
        ({"turnout": 0.6}, "'turnout'"),
        ({"others": {"votes": 1, "members": "LM"}}, "'others.members'"),
        ({"others": {"votes": 1, "members": ["NM"]}}, "'others.members'"),
        ({"others": {"votes": 1, "colour": "red"}}, "'others.colour'"),
        ({"others": {"members": ["LM"]}}, "'others.votes'"),
    ],
)
def test_parse_errors_name_the_key(change: dict[str, Any], key: str) -> None:
    raw = {**BULLETIN_2, **change}
    raw = {k: v for k, v in raw.items() if not (k == "authority" and v is None)}
    with pytest.raises(DefinitionError, match=key):
        parse_claim(raw)


def test_parse_rejects_non_mapping() -> None:
    with pytest.raises(DefinitionError):
        parse_claim([1, 2])  # type: ignore[arg-type]


def test_f4_bulletin_2_against_the_collected_actas() -> None:
    cmp = compare_claim(parse_claim(BULLETIN_2), COLLECTED, COLLECTED_VALID)
    assert cmp.missing_valid == 1_676_756
    nm = cmp.row("NM")
    assert nm.gap == 3_167_383
    assert nm.required_share == Fraction(3_167_383, 1_676_756)
    assert float(nm.required_share) == pytest.approx(1.88899, abs=5e-6)
    assert nm.impossible
    assert nm.best_case_claim == 4_918_217
    eg = cmp.row("EG")
    assert eg.contradiction
    assert eg.gap == -1_830_358
    assert eg.worst_case == 7_156_462
    assert cmp.impossible
    assert cmp.leader == "EG"
    assert cmp.leader_secure  # 4,918,217 < 7,156,462
    js = cmp.to_json()
    assert js["rows"][0]["required_share"] == pytest.approx(1.88899, abs=5e-6)
    assert "not in the claim" in " ".join(cmp.notes)  # "rest" is not named


def test_others_group_sums_its_members() -> None:
    claim = parse_claim(
        {
            "authority": "A",
            "date": "d",
            "label": "l",
            "votes": {"A": 60, "B": 30},
            "others": 10,
            "valid": 100,
        }
    )
    cmp = compare_claim(claim, {"A": 40, "B": 20, "C": 3, "D": 2}, 70)
    oth = cmp.row(OTHERS)
    assert oth.collected == 5
    assert oth.required_share == Fraction(5, 30)
    assert cmp.missing_valid == 30
    assert not cmp.impossible
    named = parse_claim(
        {
            "authority": "A",
            "date": "d",
            "label": "l",
            "votes": {"A": 60, "B": 30},
            "others": {"votes": 10, "members": ["C"]},
        }
    )
    assert compare_claim(named, {"A": 40, "B": 20, "C": 3, "D": 2}, 70).row(OTHERS).collected == 3


def test_claim_total_below_collected_is_impossible() -> None:
    claim = parse_claim({"authority": "A", "date": "d", "label": "l", "votes": {"A": 50, "B": 40}})
    cmp = compare_claim(claim, {"A": 60, "B": 35}, 95)
    assert cmp.missing_valid == -5
    assert cmp.impossible
    assert all(r.required_share is None for r in cmp.rows)
    assert cmp.row("A").contradiction
    assert cmp.row("B").impossible  # needs 5 more with no votes left


def test_turnout_bound_and_regional_figures() -> None:
    claim = parse_claim(
        {
            "authority": "A",
            "date": "d",
            "label": "state 01",
            "region": "01",
            "votes": {"A": 500, "B": 450},
            "valid": 950,
        }
    )
    cmp = compare_claim(claim, {"A": 300, "B": 350}, 650, missing_registered=400, max_turnout=0.8)
    assert cmp.missing_valid == 300
    assert cmp.missing_valid_max == 320
    assert cmp.row("A").best_case_turnout == 620
    assert cmp.row("A").best_case_claim == 600
    assert cmp.row("A").required_share == Fraction(2, 3)
    assert not cmp.impossible
    assert cmp.leader == "B"
    assert not cmp.leader_secure  # A can reach 620 > 350


def test_compare_rejects_inconsistent_collected() -> None:
    claim = parse_claim(BULLETIN_2)
    with pytest.raises(InputError):
        compare_claim(claim, {"EG": 10}, 5)
    with pytest.raises(InputError):
        compare_claim(claim, {"EG": 1}, 5, max_turnout=1.5)
