"""An audit's leaves read back from the log, in log order, into one :class:`Trail` each.

Pure. Each leaf's document (:mod:`.commitment`) is parsed and checked against
what came before it: every seed names its commitment by leaf index and RFC 9162
leaf hash and comes after it (so does the randomness it reuses), no audit has
two seeds, and every audited value is for a table the seed and the committed
frame drew in the round current when it was logged. What breaks a rule is a
:class:`Problem`; the rest of the audit is still read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from actas.core.audit import commitment as doc
from actas.core.audit.quickcount import QuickCountEstimate, estimate_quick_count
from actas.core.audit.rla import draw_batches
from actas.core.audit.rounds import DrawFn, Progress, audited_votes, rla_progress
from actas.core.audit.sampling import Draw, normalize_seed, stratified_sample
from actas.core.errors import InputError

__all__ = ["AuditLeaf", "Problem", "Trail", "VotesOf", "committed_estimate", "read_trails"]

#: table id -> votes per candidate id of a counted table, None when it is not counted
VotesOf = Callable[[str], Mapping[str, int] | None]


@dataclass(frozen=True, slots=True)
class AuditLeaf:
    """An EVENT leaf on channel ``audit``: its index, RFC 9162 leaf hash (hex) and raw bytes."""

    seq: int
    leaf_hash: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in an audit's leaves that does not hold (a stable code, the leaf, why)."""

    code: str
    seq: int
    audit: str
    message: str


@dataclass
class Trail:
    """One audit as its leaves tell it."""

    audit: str
    commitment: doc.Commitment
    commitment_seq: int
    commitment_hash: str
    seed: doc.SeedDoc | None = None
    seed_seq: int | None = None
    records: list[tuple[int, doc.Record]] = field(default_factory=list)

    def audited(self) -> dict[str, tuple[int, doc.Record]]:
        """The latest record of every audited table (a correction replaces the earlier one)."""
        return {r.table_id: (seq, r) for seq, r in self.records}

    def progress(self, draws_of: DrawFn | None = None) -> Progress:
        seed = None if self.seed is None else self.seed.seed
        votes = audited_votes(self.commitment, (r for _, r in self.records))
        return rla_progress(self.commitment, seed, votes, draws_of)

    def sample(self) -> dict[str, tuple[Draw, ...]]:
        """A quick count's stratified sample (empty before the seed)."""
        c = self.commitment
        if self.seed is None:
            return {}
        return stratified_sample(self.seed.seed, c.strata, c.sizes, draw=int(c.doc.get("draw", 1)))

    def estimate(self, votes_of: VotesOf) -> QuickCountEstimate | None:
        """A quick count's estimate from the counted results of its sampled tables
        (``votes_of``: table id -> votes per candidate id, None when not counted);
        None before the seed, without any result, or when the design cannot give one."""
        c = self.commitment
        sample = self.sample()
        results: dict[str, tuple[int, ...]] = {}
        for draws in sample.values():
            for d in draws:
                votes = votes_of(d.table_id)
                if votes is not None:
                    results[d.table_id] = tuple(int(votes.get(x, 0)) for x in c.candidates)
        if not results:
            return None
        try:
            return committed_estimate(c, sample, results)
        except InputError:
            return None


def committed_estimate(
    c: doc.Commitment,
    sample: Mapping[str, Sequence[Draw]],
    results: Mapping[str, Sequence[int]],
) -> QuickCountEstimate:
    """A committed quick count's estimate: its frame's strata, its ``sample`` and the
    ``results`` received (table id -> votes of the commitment's candidates, in its order),
    at its confidence. The app's status and the verifier both estimate with it; raises
    InputError when the design cannot give an estimate."""
    return estimate_quick_count(
        dict(Counter(c.strata.values())),
        {h: [d.table_id for d in ds] for h, ds in sample.items()},
        results,
        list(c.candidates),
        confidence=float(c.doc["design"]["confidence"]),
    )


def read_trails(
    leaves: Iterable[AuditLeaf], election_id: str | None = None
) -> tuple[dict[str, Trail], list[Problem]]:
    """Every audit in the leaves (log order), and every problem found on the way.

    A leaf whose document is unreadable, or that breaks a rule of the module
    docstring, is reported and left out; the rest of its audit is still read.
    """
    trails: dict[str, Trail] = {}
    problems: list[Problem] = []
    randomness: dict[int, str] = {}  # leaf -> normalised seed
    draws: dict[tuple[str, int], tuple[Draw, ...]] = {}

    def bad(code: str, seq: int, audit: str, message: str) -> None:
        problems.append(Problem(code, seq, audit, message))

    for leaf in leaves:
        seq = leaf.seq
        try:
            d = doc.parse_document(leaf.raw)
            kind = d.get("type")
            audit = str(d.get("audit", ""))
            if kind == "randomness":
                randomness[seq] = normalize_seed(str(d["seed"]))
            elif kind == "commitment":
                c = doc.parse_commitment(leaf.raw)
                if c.audit in trails:
                    bad("audit.commitment", seq, c.audit, f"a second commitment of {c.audit}")
                elif election_id is not None and c.election != election_id:
                    bad("audit.commitment", seq, c.audit, f"commits election {c.election!r}")
                else:
                    trails[c.audit] = Trail(c.audit, c, seq, leaf.leaf_hash)
            elif kind == "seed":
                _seed(trails, randomness, seq, doc.parse_seed(leaf.raw), bad)
            elif kind == "record":
                _record(trails, draws, seq, doc.parse_record(leaf.raw), bad)
            else:
                bad("audit.document", seq, audit, f"unknown document type {kind!r}")
        except (InputError, KeyError, TypeError, ValueError) as exc:
            bad("audit.document", seq, "", f"not a readable audit document: {exc}")
    return trails, problems


def _seed(
    trails: Mapping[str, Trail],
    randomness: Mapping[int, str],
    seq: int,
    s: doc.SeedDoc,
    bad: Callable[[str, int, str, str], None],
) -> None:
    t = trails.get(s.audit)
    if t is None:
        bad("audit.seed", seq, s.audit, f"a seed for {s.audit}, whose commitment is not earlier")
        return
    if t.seed is not None:
        bad("audit.seed", seq, s.audit, f"a second seed (the first is leaf {t.seed_seq})")
        return
    if (s.commitment_seq, s.commitment_leaf_hash) != (t.commitment_seq, t.commitment_hash):
        bad(
            "audit.seed",
            seq,
            s.audit,
            f"names commitment leaf {s.commitment_seq} ({s.commitment_leaf_hash[:16]}…), "
            f"the commitment is leaf {t.commitment_seq} ({t.commitment_hash[:16]}…)",
        )
        return
    if s.randomness_seq is not None:
        logged = randomness.get(s.randomness_seq)
        if s.randomness_seq <= t.commitment_seq:
            bad(
                "audit.seed",
                seq,
                s.audit,
                f"its randomness (leaf {s.randomness_seq}) was logged before the commitment "
                f"(leaf {t.commitment_seq}): it could have steered the sample",
            )
            return
        if logged != s.seed:
            bad(
                "audit.seed",
                seq,
                s.audit,
                f"leaf {s.randomness_seq} holds no randomness equal to this seed",
            )
            return
    t.seed, t.seed_seq = s, seq


def _record(
    trails: Mapping[str, Trail],
    draws: dict[tuple[str, int], tuple[Draw, ...]],
    seq: int,
    r: doc.Record,
    bad: Callable[[str, int, str, str], None],
) -> None:
    t = trails.get(r.audit)
    if t is None or r.commitment_seq != t.commitment_seq:
        bad("audit.record", seq, r.audit, "an audited value for no earlier commitment")
        return
    if t.commitment.kind != "rla":
        bad("audit.record", seq, r.audit, "an audited value in a quick count")
        return
    if t.seed is None:
        bad("audit.record", seq, r.audit, f"table {r.table_id} audited before the seed")
        return
    c = t.commitment
    missing = [n for n in c.contest.candidates if r.counts is not None and n not in r.counts]
    if missing:
        bad("audit.record", seq, r.audit, f"table {r.table_id}: no counts for {missing}")
        return
    seed = t.seed.seed

    def draw(n: int) -> tuple[Draw, ...]:
        key = (t.audit, n)
        if key not in draws:
            draws[key] = draw_batches(seed, c.bounds(), n)
        return draws[key]

    p = t.progress(draw)
    if r.table_id not in {d.table_id for d in p.draws}:
        bad(
            "audit.record_not_drawn",
            seq,
            r.audit,
            f"table {r.table_id} was audited, but the seed and the committed frame do not draw "
            f"it in draws 1-{p.target}: only drawn tables may be audited",
        )
        return
    previous = t.audited().get(r.table_id)
    expected = None if previous is None else previous[0]
    if r.replaces != expected:
        what = "nothing" if expected is None else f"leaf {expected}"
        bad(
            "audit.record",
            seq,
            r.audit,
            f"table {r.table_id}: replaces {r.replaces}, the earlier record is {what}",
        )
        return
    t.records.append((seq, r))
