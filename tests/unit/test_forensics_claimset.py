"""The claims file format (docs/claims.md): parsing, regions, round trip, precise errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from actas.core.errors import DefinitionError
from actas.core.forensics import CLAIMS_FORMAT, OTHERS, parse_claim_set

IDS = {"maduro", "gonzalez", "martinez", "ecarri"}


def sample() -> dict[str, Any]:
    return {
        "format": CLAIMS_FORMAT,
        "election": "ve-2024",
        "description": "two bulletins",
        "notes": ["compiled from press reports"],
        "claims": [
            {
                "authority": "CNE",
                "date": "2024-07-29",
                "label": "First bulletin",
                "scope": "80 % of actas",
                "tables_share": 0.8,
                "votes": {"maduro": 5150092, "gonzalez": 4445978},
                "others": {"votes": 462704},
                "percentages": {"maduro": 51.2, "others": 4.6},
                "figures": {"turnout_pct": 59},
                "sources": ["https://example.org/a"],
                "notes": "read at midnight",
            },
            {
                "authority": "CNE",
                "date": "2024-08-02",
                "label": "Second bulletin",
                "scope": "96.87 % of actas",
                "votes": {"maduro": 600, "gonzalez": 300},
                "others": {"votes": 50, "members": ["martinez", "ecarri"]},
                "valid": 950,
                "null": 5,
                "registered": 2000,
                "regions": {
                    "01": {"votes": {"maduro": 100, "gonzalez": 90}, "others": 10, "valid": 200},
                    "02": {"votes": {"maduro": 500, "gonzalez": 210}, "scope": "all actas"},
                },
            },
        ],
    }


def test_parse_expand_and_round_trip() -> None:
    cs = parse_claim_set(sample(), election="ve-2024", candidate_ids=IDS)
    assert cs.election == "ve-2024" and cs.notes == ("compiled from press reports",)
    claims = cs.claims()
    assert [(c.label, c.region) for c in claims] == [
        ("First bulletin", None),
        ("Second bulletin", None),
        ("Second bulletin", "01"),
        ("Second bulletin", "02"),
    ]
    first = cs.entries[0]
    assert first.claim.as_dict()[OTHERS] == 462704 and first.claim.others_members == ()
    assert first.claim.tables_share == 0.8
    assert first.notes == ("read at midnight",) and first.sources == ("https://example.org/a",)
    assert first.percentages == {"maduro": 51.2, "others": 4.6}
    r01 = claims[2]
    assert (r01.authority, r01.date, r01.scope, r01.valid) == (
        "CNE",
        "2024-08-02",
        "96.87 % of actas",
        200,
    )
    assert claims[3].scope == "all actas"
    assert claims[1].others_members == ("martinez", "ecarri")
    again = parse_claim_set(cs.to_json())
    assert again == cs
    assert again.to_json() == cs.to_json()


def _edit(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(sample())
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "actas-claims/2", "'format' must be"),
        (("election",), "ru-2012", "for election 'ru-2012', not 've-2024'"),
        (("extra",), 1, "unknown key 'extra'"),
        (("claims",), [], "non-empty list"),
        (("claims", 0, "votos"), {}, r"claims\[0\]: claim key 'votos': unknown key"),
        (("claims", 0, "votes", "nobody"), 5, r"claims\[0\]: 'nobody' is not a candidate id"),
        (("claims", 1, "others", "members"), ["ghost"], "'ghost' is not a candidate id"),
        (("claims", 0, "votes", "maduro"), -1, r"votes.maduro.*>= 0"),
        (("claims", 0, "percentages", "maduro"), "51 %", r"percentages.maduro: expected a number"),
        (("claims", 0, "sources"), [1], "sources: expected a string or a list of strings"),
        (("claims", 1, "regions", "01", "label"), "x", r"regions\['01'\]: unknown key 'label'"),
        (("claims", 1, "regions", "01", "valid"), 1, r"regions\['01'\].*'valid'"),
        (("claims", 1, "regions", "02"), 3, r"regions\['02'\]: expected an object"),
        (("claims", 1, "region"), "03", "a regional claim cannot have regions"),
        (("claims", 1, "label"), _DELETE, "claim key 'label': missing"),
    ],
)
def test_errors_name_the_entry_and_key(path: tuple[Any, ...], value: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_claim_set(_edit(path, value), election="ve-2024", candidate_ids=IDS)


def test_not_an_object() -> None:
    with pytest.raises(DefinitionError, match="expected a JSON object"):
        parse_claim_set([1, 2])
