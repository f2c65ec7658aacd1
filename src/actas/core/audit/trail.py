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

The leaves are read by :mod:`.leaves` and summarised by :mod:`.summary`;
this module checks a bundle's audits with both (:func:`check_bundle`).
:func:`summary` renders one audit as the bundle's ``audits.json`` holds it;
:func:`compare_summary` says how a published summary differs from the one the
leaves give. ``docs/audit.md`` §6.7 and ``docs/verification.md`` specify both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from actas.core.audit.leaves import (
    AuditLeaf,
    Problem,
    Trail,
    VotesOf,
    committed_estimate,
    read_trails,
)
from actas.core.audit.summary import compare_summary, estimate_json, summary

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
