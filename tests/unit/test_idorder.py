"""The one order of ids (core.idorder) and the tally's regions in it, when one region's
code is a prefix of another's or holds the table separator."""

from __future__ import annotations

import numpy as np

from actas.core.idorder import id_array, id_key, id_order, is_sorted, sort_ids
from actas.core.model import Level, TableIdScheme
from actas.core.results.regions import region_sums

SCHEME = TableIdScheme(
    levels=(Level("province", "Province"), Level("district", "District")),
    separator="/",
    table_separator="#",
    table_width=0,
)


def _sums(ids: list[str]) -> dict[int, list[tuple[str, int]]]:
    columns = np.arange(1, len(ids) + 1, dtype=np.int64).reshape(-1, 1)
    order = id_order(ids)
    ids = [ids[i] for i in order.tolist()]
    out = region_sums(SCHEME, ids, None, columns[order])
    return {lv: list(zip(codes, sums[:, 0].tolist(), strict=True)) for lv, codes, sums in out}


def test_a_region_comes_before_the_regions_it_prefixes() -> None:
    # the tables sort "X b/a#1" < "X/a#1" (space 0x20 < '/' 0x2F), the regions "X" < "X b"
    got = _sums(["X/a#1", "X b/a#1", "X/a b#2"])
    assert got[0] == [("X", 1 + 3), ("X b", 2)]
    assert got[1] == [("X b/a", 2), ("X/a", 1), ("X/a b", 3)]


def test_a_code_holding_the_table_separator_keeps_its_own_tables() -> None:
    # "P/X#1" (district "X#1", station 1) sorts between "P/X#1" of district X and "P/X#2"
    got = _sums(["P/X#1", "P/X#2", "P/X#1#1"])
    assert got[1] == [("P/X", 1 + 2), ("P/X#1", 3)]
    assert got[0] == [("P", 6)]


def test_utf8_bytes_order_accents_and_astral_characters() -> None:
    ids = ["é", "e", "😀", "\uffff", "E", "e ", "e#", "", "a\x00", "a"]
    assert sort_ids(ids) == sorted(ids, key=id_key)
    assert [ids[i] for i in id_order(ids).tolist()] == sorted(ids, key=id_key)
    assert is_sorted(sort_ids(ids)) and not is_sorted(ids)
    keys = id_array(["a\x00", "a"])  # numpy drops trailing NULs; the order must not
    assert bool(keys[1] < keys[0])
