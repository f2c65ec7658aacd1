"""An audit read back from its leaves (actas.core.audit.trail): the rules, the rounds, the summary."""

from __future__ import annotations

import pytest

from actas.core.audit import Batch, Contest, draw_batches, trail
from actas.core.audit import commitment as doc
from actas.core.audit.trail import AuditLeaf, check_bundle, compare_summary, read_trails, summary
from actas.core.bundle.format import json_lines

BATCHES = [Batch(f"t.{i:02d}", (60 + i % 7, 40 - i % 7), 100) for i in range(40)]
H = "cd" * 32  # the commitment leaf's hash


def rla_raw(audit: str = "rla-1") -> bytes:
    return doc.rla_commitment(
        audit=audit,
        election="demo",
        contest=Contest(("x", "y"), ("x",)),
        batches=BATCHES,
        risk_limit=0.1,
        reported={"source": "actas", "log_size": 7},
    )


def seed_raw(seq: int = 0, leaf_hash: str = H, randomness: int | None = None) -> bytes:
    return doc.seed_document(
        audit="rla-1",
        seed="1234",
        commitment_seq=seq,
        commitment_leaf_hash=leaf_hash,
        randomness_seq=randomness,
    )


def record_raw(table: str, counts: dict[str, int] | None, replaces: int | None = None) -> bytes:
    return doc.record_document(
        doc.Record("rla-1", table, counts, "hand_count", 0, None, "", replaces)
    )


def leaves(*raws: bytes) -> list[AuditLeaf]:
    return [AuditLeaf(i, H if i == 0 else "ef" * 32, raw) for i, raw in enumerate(raws)]


def drawn(n: int) -> list[str]:
    c = doc.parse_commitment(rla_raw())
    return [d.table_id for d in draw_batches("1234", c.bounds(), n)]


def reported(table: str) -> dict[str, int]:
    b = next(x for x in BATCHES if x.table_id == table)
    return {"x": b.votes[0], "y": b.votes[1]}


def codes(problems: list[trail.Problem]) -> list[str]:
    return [p.code for p in problems]


def test_an_honest_trail_gives_the_apps_rounds_and_decision() -> None:
    first = drawn(1)[0]
    trails, problems = read_trails(
        leaves(rla_raw(), seed_raw(), record_raw(first, reported(first)))
    )
    assert problems == []
    t = trails["rla-1"]
    s = summary(t)
    n0 = int(t.commitment.doc["initial_sample_size"])
    assert s["sample"] == drawn(n0) and s["sample_size"] == n0
    k = s["audited"]
    assert k >= 1 and set(s["sample"][:k]) == {first} and s["records"] == [2]
    gain = 1 - 1 / float(t.commitment.bounds().total)
    assert s["decision"] == "continue" and s["p_value"] == pytest.approx(gain**k)
    assert compare_summary(s, s) == []


def test_the_rules_of_the_leaves() -> None:
    first = drawn(1)[0]
    not_drawn = next(b.table_id for b in BATCHES if b.table_id not in drawn(60))
    _, problems = read_trails(leaves(rla_raw(), seed_raw(leaf_hash="00" * 32)))
    assert codes(problems) == ["audit.seed"] and "names commitment leaf 0" in problems[0].message
    _, problems = read_trails(leaves(seed_raw(), rla_raw()))
    assert codes(problems) == ["audit.seed"]
    _, problems = read_trails(leaves(rla_raw(), seed_raw(), seed_raw()))
    assert "a second seed" in problems[0].message
    randomness = doc.randomness_document("1234")
    _, problems = read_trails([AuditLeaf(0, "aa" * 32, randomness),
                               AuditLeaf(1, H, rla_raw()),
                               AuditLeaf(2, "ef" * 32, seed_raw(1, H, randomness=0))])  # fmt: skip
    assert codes(problems) == ["audit.seed"] and "before the commitment" in problems[0].message
    _, problems = read_trails(leaves(rla_raw(), record_raw(first, reported(first))))
    assert "before the seed" in problems[0].message
    _, problems = read_trails(
        leaves(rla_raw(), seed_raw(), record_raw(not_drawn, {"x": 1, "y": 0}))
    )
    assert codes(problems) == ["audit.record_not_drawn"]
    assert f"table {not_drawn} was audited" in problems[0].message
    twice = leaves(rla_raw(), seed_raw(), record_raw(first, reported(first)),
                   record_raw(first, reported(first)))  # fmt: skip
    _, problems = read_trails(twice)
    assert codes(problems) == ["audit.record"] and "earlier record is leaf 2" in problems[0].message
    fixed = leaves(rla_raw(), seed_raw(), record_raw(first, reported(first)),
                   record_raw(first, reported(first), replaces=2))  # fmt: skip
    assert read_trails(fixed)[1] == []
    _, problems = read_trails(leaves(rla_raw(), b"{}"))
    assert codes(problems) == ["audit.document"]
    _, problems = read_trails(leaves(rla_raw()), election_id="other")
    assert codes(problems) == ["audit.commitment"]


def test_a_missing_table_escalates_to_a_full_count() -> None:
    first = drawn(1)[0]
    trails, _ = read_trails(leaves(rla_raw(), seed_raw(), record_raw(first, None)))
    s = summary(trails["rla-1"])
    assert s["decision"] == "full_hand_count" and s["p_value"] is None


def test_published_summaries_are_compared() -> None:
    ls = leaves(rla_raw(), seed_raw())
    trails, _ = read_trails(ls)
    good = summary(trails["rla-1"])
    assert check_bundle(ls, json_lines([good])).failures == ()
    bad = {**good, "sample": [good["sample"][1], *good["sample"][1:]], "decision": "confirmed"}
    found = check_bundle(ls, json_lines([bad])).failures
    assert [f[0] for f in found] == ["audit.sample_mismatch", "audit.risk_mismatch"]
    assert found[0][3] == (
        f"rla-1: draw 1: the seed and the committed frame give table {good['sample'][0]}, "
        f"the published sample says table {good['sample'][1]}"
    )
    extra = {**good, "audit": "rla-9"}
    found = check_bundle(ls, json_lines([extra])).failures
    assert [f[0] for f in found] == ["audit.extra", "audit.missing"]
    assert check_bundle(ls, b"nope").failures[0][0] == "file.unreadable"
    assert check_bundle(ls, None).notes
