"""A count role may be a list of columns that are summed; the Russia 2012 definition uses it."""

from __future__ import annotations

import pytest

from actas.adapters.elections import builtin_ids, load_builtin, load_builtin_mappings
from actas.core.definitions import parse_mapping
from actas.core.errors import DefinitionError
from actas.core.results.rows import header_for, read_row

RU_HEADER = ["region", "tik", "uik", "reg", "early", "day", "outside", "bad", "good"]
RU_HEADER += ["zh", "zy", "mi", "pr", "pu"]
MAPPING = """
[format]
name = "ru-test"
[table]
id = "{region}/{tik}#{uik}"
[columns]
registered = "reg"
ballots = ["early", "day", "outside"]
null = "bad"
valid = "good"
[candidates]
zhirinovsky = "zh"
zyuganov = "zy"
mironov = "mi"
prokhorov = "pr"
putin = ["pu"]
"""


def test_ru_2012_definition() -> None:
    assert "ru-2012" in builtin_ids()
    e = load_builtin("ru-2012")
    assert [c.id for c in e.candidates] == [
        "zhirinovsky",
        "zyuganov",
        "mironov",
        "prokhorov",
        "putin",
    ]
    assert [lv.id for lv in e.levels] == ["region", "tik"]
    assert (e.expected_tables, e.expected_registered) == (95_415, 109_860_331)
    assert e.payload_format == ""
    tid = "Республика Адыгея (Адыгея)/1 Адыгейская#12"
    assert e.scheme.split(tid) == (("Республика Адыгея (Адыгея)", "1 Адыгейская"), "12")
    assert e.scheme.region_codes(tid)[1] == "Республика Адыгея (Адыгея)/1 Адыгейская"
    (cec,) = load_builtin_mappings(e)
    assert cec.name == "ru-cec" and len(cec.column_sums["ballots"]) == 3


def test_summed_role_is_read_as_the_sum() -> None:
    e = load_builtin("ru-2012")
    h = header_for(parse_mapping(MAPPING, e, "m.toml"), e, RU_HEADER)
    row = [
        "Область",
        "1 ТИК",
        "7",
        "1000",
        "5",
        "600",
        "20",
        "3",
        "622",
        "10",
        "20",
        "30",
        "40",
        "522",
    ]
    r = read_row(h, row)
    assert r.table_id == "Область/1 ТИК#7"
    assert r.counts is not None
    assert (r.counts.ballots, r.counts.null, r.counts.registered) == (625, 3, 1000)
    assert r.counts.votes == (10, 20, 30, 40, 522)
    empty = read_row(h, [*row[:5], "", *row[6:]])
    assert empty.counts is not None and empty.counts.ballots is None
    bad = read_row(h, [*row[:5], "-4", *row[6:]])
    assert bad.counts is None
    assert [f.code for f in bad.findings] == ["row.bad_value"]


def test_summed_role_columns_are_optional() -> None:
    e = load_builtin("ru-2012")
    h = header_for(parse_mapping(MAPPING, e, "m.toml"), e, [c for c in RU_HEADER if c != "day"])
    assert "day" in h.missing_optional
    row = ["Область", "1 ТИК", "7", "1000", "5", "20", "3", "622", "10", "20", "30", "40", "522"]
    r = read_row(h, row)
    assert r.counts is not None and r.counts.ballots is None


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ('photo_url = ["a", "b"]', "must be one column"),
        ("ballots = []", "non-empty list"),
        ('ballots = ["a", "a"]', "twice"),
        ("ballots = [1]", "non-empty list of column names"),
    ],
)
def test_summed_role_errors(columns: str, message: str) -> None:
    e = load_builtin("ru-2012")
    text = MAPPING.replace('ballots = ["early", "day", "outside"]', columns)
    with pytest.raises(DefinitionError, match=message):
        parse_mapping(text, e, "m.toml")
