from __future__ import annotations

from actas.adapters.elections import load_builtin
from actas.core.model import Counts, TableId
from actas.core.results import rules

E = load_builtin("ve-2024")
CTX = rules.Context(E)
T = TableId("010101001.01")
Z = (0,) * 10


def codes(c: Counts, t: TableId = T, ctx: rules.Context = CTX) -> set[str]:
    return {f.code for f in rules.check(t, c, ctx)}


def test_clean_acta_has_no_findings() -> None:
    assert (
        codes(
            Counts((100, 3, 0, 0, 0, 0, 0, 200, 0, 1), null=2, registered=500, valid_reported=304)
        )
        == set()
    )


def test_each_rule() -> None:
    assert "sum.valid_mismatch" in codes(Counts((1, *Z[1:]), valid_reported=2))
    assert "turnout.over_registered" in codes(Counts((10, *Z[1:]), null=1, registered=10))
    assert "turnout.high" in codes(Counts((96, *Z[1:]), registered=100))
    assert "acta.all_zero" in codes(Counts(Z, null=0))
    assert "acta.unanimous" in codes(Counts((50, *Z[1:])))
    assert "null.high" in codes(Counts((5, *Z[1:]), null=5))
    assert "table.unknown" in codes(Counts((5, 5, *Z[2:])), TableId("990101001.01"))
    reg = rules.Context(E, {"010101001.01": 300}, frozenset({"010101001.01"}))
    assert "table.registered_mismatch" in codes(Counts((5, 5, *Z[2:]), registered=301), ctx=reg)
    assert "table.unknown" in codes(Counts((5, 5, *Z[2:])), TableId("010101001.02"), reg)
    assert "registered.zero" in codes(Counts((5, 5, *Z[2:]), registered=0))
