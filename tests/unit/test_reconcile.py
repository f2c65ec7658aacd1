from __future__ import annotations

from actas.core.model import Counts, TableId
from actas.core.results.reconcile import Status, TableResult, Version, reconcile

T = TableId("010101001.01")


def v(seq: int, votes: tuple[int, ...], channel: str = "a", **kw: int) -> Version:
    return Version(seq, channel, Counts(votes, **kw))  # type: ignore[arg-type]


def test_single_and_none() -> None:
    assert reconcile(T, []) is None
    r = reconcile(T, [v(0, (1, 2))])
    assert r is not None and r.status is Status.SINGLE and r.counts is not None
    assert r.counts.votes == (1, 2)


def test_consensus_merges_known_fields() -> None:
    r = reconcile(T, [v(3, (5, 6), "qr"), v(1, (5, 6), "csv", null=2, registered=40)])
    assert r is not None and r.status is Status.CONSENSUS
    assert r.seqs == (1, 3) and r.agreeing == 2 and r.channels == ("csv", "qr")
    assert r.counts is not None and r.counts.null == 2 and r.counts.registered == 40


def test_conflict_keeps_everything_and_names_fields() -> None:
    r = reconcile(T, [v(1, (5, 6), null=0), v(2, (5, 7), null=1), v(3, (5, 6))])
    assert r is not None and r.status is Status.CONFLICT
    assert r.counts is None and r.seqs == (1, 2, 3) and r.differing == ("votes", "null")


def test_channels_filter_and_decision() -> None:
    versions = [v(1, (5, 6), "csv"), v(2, (0, 0), "qr")]
    only = reconcile(T, versions, frozenset({"csv"}))
    assert only is not None and only.status is Status.SINGLE
    decided = reconcile(T, [*versions, Version(9, "review", Counts((5, 6)), decision=True)])
    assert decided is not None and decided.status is Status.RESOLVED
    assert decided.counts is not None and decided.counts.votes == (5, 6)
    assert decided.agreeing == 1


def test_a_single_reading_is_the_result() -> None:
    c = Counts((5, 3), null=1)
    r = reconcile(TableId("010101001.01"), [Version(7, "v1", c)])
    assert r == TableResult(TableId("010101001.01"), Status.SINGLE, c, (7,), 1, ("v1",))
    assert reconcile(TableId("010101001.01"), [Version(7, "v1", c)], frozenset({"v2"})) is None
