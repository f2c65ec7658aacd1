from __future__ import annotations

import pytest

from actas.adapters.elections import load_builtin
from actas.core.model import Level, TableIdScheme

VE = load_builtin("ve-2024").scheme
SEP = TableIdScheme(
    (Level("region", "Region"), Level("tik", "TIK")), separator="/", table_separator="#"
)


def test_ve_scheme() -> None:
    assert VE.make(("1", "1", "13", "42"), "1") == "010113042.01"
    assert VE.split("010113042.01") == (("01", "01", "13", "042"), "01")
    assert VE.region_codes("201301006.01") == ("20", "2013", "201301", "201301006")
    assert VE.level_of("2013") == 1
    assert VE.parent_of("201301006") == "201301"
    assert VE.parent_of("20") is None


@pytest.mark.parametrize(
    "bad", ["", "201301006", "20130100.01", "201301006.1", "2013O1006.01", "../etc.01"]
)
def test_ve_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        VE.split(bad)


def test_separator_scheme() -> None:
    tid = SEP.make(("Moscow", "TIK 5"), "12")
    assert tid == "Moscow/TIK 5#12"
    assert SEP.region_codes(tid) == ("Moscow", "Moscow/TIK 5")
    assert SEP.parent_of("Moscow/TIK 5") == "Moscow"
    with pytest.raises(ValueError):
        SEP.split("Moscow#12")
