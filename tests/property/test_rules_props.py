"""The one-pass shortcut of ``rules.check`` never hides a finding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from actas.adapters.elections import load_builtin
from actas.core.model import Counts, TableId
from actas.core.results import rules

E = load_builtin("ve-2024")
TABLES = [TableId(t) for t in ("010101001.01", "010101001.02", "240101001.01", "990101001.01")]
REGISTRY = {"010101001.01": 300, "240101001.01": 0}

small = st.integers(min_value=0, max_value=400)
maybe = st.none() | small


@st.composite
def counts(draw: st.DrawFn) -> Counts:
    votes = tuple(draw(st.lists(st.integers(0, 120), min_size=10, max_size=10)))
    reported = draw(st.none() | st.just(sum(votes)) | small)
    return Counts(
        votes,
        null=draw(maybe),
        invalid=draw(st.none() | st.integers(0, 5)),
        registered=draw(maybe),
        valid_reported=reported,
    )


contexts = st.sampled_from(
    [
        rules.Context(E),
        rules.Context(E, REGISTRY, frozenset(REGISTRY)),
        rules.Context(E, None, frozenset(REGISTRY)),
    ]
)


@given(st.sampled_from(TABLES), counts(), contexts)
def test_quiet_means_no_rule_fires(t: TableId, c: Counts, ctx: rules.Context) -> None:
    every = [f for rule in rules.RULES for f in rule(t, c, ctx)]
    if rules._quiet(t, c, ctx):
        assert every == []
    assert rules.check(t, c, ctx) == every


def test_the_usual_acta_is_quiet() -> None:
    c = Counts((100, 3, 0, 0, 0, 0, 0, 200, 0, 1), null=2, registered=500, valid_reported=304)
    assert rules._quiet(TABLES[0], c, rules.Context(E))
    assert rules._quiet(TABLES[0], c, rules.Context(E, {"010101001.01": 500}, frozenset(REGISTRY)))
