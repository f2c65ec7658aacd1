"""An audit's leaves read back from the log: the sample they fix and the decision they lead to.

Pure. The app logs every step of an audit as a document (:mod:`.commitment`);
this module takes those documents back, in log order, from nothing but the
leaves — as the verifier finds them in an open-data bundle — and recomputes:

* that every document is canonical, every seed names its commitment by leaf
  index and RFC 9162 leaf hash and comes after it (so does the randomness it
  reuses), and no audit has two seeds;
* that every audited value is for a table the seed and the committed frame
  drew, in the round current when it was logged, and that a correction names
  the record it replaces;
* the sample (quick count: per stratum; RLA: the PPEB draws of every round so
  far), and for an RLA the Kaplan–Markov p-value and the decision
  (:func:`actas.core.audit.rounds.rla_progress`, the rule ``actas audit rla status``
  applies).

:func:`summary` renders one audit as the bundle's ``audits.json`` holds it;
:func:`compare_summary` says how a published summary differs from the one the
leaves give. ``docs/audit.md`` §6.7 and ``docs/verification.md`` specify both.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from actas.core.audit import commitment as doc
from actas.core.audit.quickcount import QuickCountEstimate, estimate_quick_count
from actas.core.audit.rla import draw_batches
from actas.core.audit.rounds import DrawFn, Progress, audited_votes, rla_progress
from actas.core.audit.sampling import Draw, normalize_seed, stratified_sample
from actas.core.errors import InputError

__all__ = [
    "AuditLeaf",
    "BundleCheck",
    "Problem",
    "Trail",
    "check_bundle",
    "committed_estimate",
    "compare_summary",
    "estimate_json",
    "read_trails",
    "summary",
]

#: table id -> votes per candidate id of a counted table, None when it is not counted
VotesOf = Callable[[str], Mapping[str, int] | None]

# ----------------------------------------------------------------- reading the leaves


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


# ----------------------------------------------------------------- the published summary


def _num(x: float) -> float | None:
    return None if math.isinf(x) or math.isnan(x) else x


def estimate_json(est: QuickCountEstimate | None) -> dict[str, Any] | None:
    """A quick count's estimate as ``audits.json`` publishes it (shares by candidate id)."""
    if est is None:
        return None
    return {
        "confidence": est.confidence,
        "received": est.received,
        "degrees_of_freedom": est.degrees_of_freedom,
        "strata_without_data": list(est.strata_without_data),
        "shares": [
            {"candidate": x.candidate, "share": x.share, "se": x.se, "low": x.low, "high": x.high}
            for x in est.shares
        ],
    }


def summary(
    t: Trail, draws_of: DrawFn | None = None, votes_of: VotesOf | None = None
) -> dict[str, Any]:
    """One audit as ``audits.json`` publishes it (JSON-ready; floats only for p-values).

    Both kinds: ``audit``, ``kind``, ``commitment`` (``seq``, ``leaf_hash``,
    ``frame_sha256``), ``seed`` (``seq``, ``seed``; null before the seed) and
    ``sample``. A quick count's sample is ``[stratum, draw, table_id]`` per
    sampled table (strata sorted, draw order), and with ``votes_of`` (the counted
    results the bundle publishes) its ``estimate`` (:func:`estimate_json`); an RLA's
    is the table of every
    draw of the rounds so far, in draw order, and it adds ``risk_limit``,
    ``sample_size``, ``audited`` (draws in the audited prefix), ``records``
    (their leaves), ``p_value`` (null when infinite or before any draw),
    ``decision`` and ``reason``.
    """
    c = t.commitment
    out: dict[str, Any] = {
        "audit": t.audit,
        "kind": c.kind,
        "commitment": {
            "seq": t.commitment_seq,
            "leaf_hash": t.commitment_hash,
            "frame_sha256": c.frame_sha256,
        },
        "seed": None if t.seed is None else {"seq": t.seed_seq, "seed": t.seed.seed},
    }
    if c.kind == "quickcount":
        sample = t.sample()
        out["sample"] = [[h, d.number, d.table_id] for h in sorted(sample) for d in sample[h]]
        if votes_of is not None:
            out["estimate"] = estimate_json(t.estimate(votes_of))
        return out
    p = t.progress(draws_of)
    pvals = p.p_values()
    out.update(
        risk_limit=c.doc["risk_limit"],
        sample_size=p.target,
        sample=[d.table_id for d in p.draws],
        audited=p.audited_prefix,
        records=[seq for seq, _ in t.records],
        p_value=_num(pvals[-1]) if pvals else None,
        decision=p.decision,
        reason=p.reason,
    )
    return out


def compare_summary(expected: Mapping[str, Any], found: Any) -> list[tuple[str, str]]:
    """(code, message) for every way ``found`` (published) differs from ``expected`` (recomputed).

    Codes: ``audit.sample_mismatch`` (a drawn table differs: the published
    sample is not the one the seed and the committed frame give),
    ``audit.risk_mismatch`` (p-value, decision or sample size: the published
    risk does not follow from the logged audited values), ``audit.mismatch``
    (anything else).
    """
    if not isinstance(found, Mapping):
        return [("audit.mismatch", "not a JSON object")]
    out: list[tuple[str, str]] = []
    exp_sample, got_sample = expected.get("sample", []), found.get("sample")
    if exp_sample != got_sample:
        got = got_sample if isinstance(got_sample, list) else []
        for i, e in enumerate(exp_sample):
            g = got[i] if i < len(got) else None
            if g != e:
                out.append(
                    (
                        "audit.sample_mismatch",
                        f"draw {_draw_label(e, i)}: the seed and the committed frame give "
                        f"{_tid(e)}, the published sample says {_tid(g)}",
                    )
                )
                break
        if len(got) != len(exp_sample) and not out:
            out.append(
                (
                    "audit.sample_mismatch",
                    f"the seed and the committed frame give {len(exp_sample)} sampled tables, "
                    f"the published sample lists {len(got)}",
                )
            )
    for key in ("p_value", "decision", "sample_size", "audited"):
        if key in expected and (
            found.get(key) != expected[key] or type(found.get(key)) is not type(expected[key])
        ):
            out.append(
                (
                    "audit.risk_mismatch",
                    f"{key}: the logged audited values give {expected[key]!r}, "
                    f"published {found.get(key)!r}",
                )
            )
    if "estimate" in expected and not _same_numbers(expected["estimate"], found.get("estimate")):
        out.append(
            (
                "audit.estimate_mismatch",
                f"estimate: the published results of the sampled tables give "
                f"{_short(expected['estimate'])}, published {_short(found.get('estimate'))}",
            )
        )
    for key in sorted(set(expected) | set(found)):
        if key in ("sample", "p_value", "decision", "sample_size", "audited", "estimate"):
            continue
        if expected.get(key) != found.get(key):
            out.append(
                (
                    "audit.mismatch",
                    f"{key}: the leaves give {_short(expected.get(key))}, "
                    f"published {_short(found.get(key))}",
                )
            )
    return out


def _same_numbers(a: Any, b: Any) -> bool:
    """Equal JSON values, floats within a relative 1e-9 (another platform's last bits)."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return False
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_numbers(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_numbers(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _draw_label(e: Any, i: int) -> str:
    if isinstance(e, list) and len(e) == 3:
        return f"{e[1]} of stratum {e[0]}"
    return str(i + 1)


def _tid(e: Any) -> str:
    if isinstance(e, list) and len(e) == 3:
        e = e[2]
    return "nothing" if e is None else f"table {str(e)[:40]}"


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


# ----------------------------------------------------------------- a bundle's audits


@dataclass(frozen=True)
class BundleCheck:
    """What :func:`check_bundle` found: failures as (code, leaf or None, audit, message)."""

    failures: tuple[tuple[str, int | None, str, str], ...]
    checks: Mapping[str, int]
    notes: tuple[str, ...]


def check_bundle(
    leaves: Sequence[AuditLeaf],
    published: bytes | None,
    election_id: str | None = None,
    votes_of: VotesOf | None = None,
) -> BundleCheck:
    """Read every audit from its leaves and compare with the published ``audits.json``.

    ``published`` is the file's bytes (``None``: the bundle has none). A failure
    with a leaf index is about the log; one without is about ``audits.json``.
    ``votes_of`` gives the counted results (as the verifier reconciled them): a
    quick count's estimate is then computed again and compared.
    """
    trails, problems = read_trails(leaves, election_id)
    failures: list[tuple[str, int | None, str, str]] = [
        (p.code, p.seq, p.audit, f"{p.audit + ': ' if p.audit else ''}{p.message}")
        for p in problems
    ]
    expected = {a: summary(t, votes_of=votes_of) for a, t in trails.items()}
    checks: dict[str, int] = {}
    if trails:  # a log without audits adds nothing to the report
        checks["audits"] = len(trails)
        checks["audit_records"] = sum(len(t.records) for t in trails.values())
    notes: list[str] = []
    if published is None:
        if trails:
            notes.append(
                f"{len(trails)} audits were recomputed from their leaves, but the bundle "
                "publishes no audits.json to compare them with"
            )
        return BundleCheck(tuple(failures), checks, tuple(notes))
    try:
        found = json.loads(published.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        failures.append(("file.unreadable", None, "", f"not a JSON array: {exc}"))
        return BundleCheck(tuple(failures), checks, tuple(notes))
    if not isinstance(found, list):
        failures.append(("file.unreadable", None, "", "not a JSON array"))
        return BundleCheck(tuple(failures), checks, tuple(notes))
    seen: set[str] = set()
    for obj in found:
        audit = str(obj.get("audit", "?")) if isinstance(obj, dict) else "?"
        if audit not in expected:
            failures.append(("audit.extra", None, audit, "published, but no leaf commits it"))
            continue
        seen.add(audit)
        for code, message in compare_summary(expected[audit], obj):
            failures.append((code, None, audit, f"{audit}: {message}"))
    for audit in sorted(set(expected) - seen):
        failures.append(("audit.missing", None, audit, f"{audit} is in the log, not published"))
    if seen:
        checks["audit_summaries"] = len(seen)
    return BundleCheck(tuple(failures), checks, tuple(notes))
