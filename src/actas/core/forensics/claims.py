"""Official claims as data, and their comparison with the collected actas.

A :class:`Claim` is one published result (a bulletin): who published it, when,
for which scope (national or one region), and the votes per candidate id, with
an optional grouped "others" entry. :func:`parse_claim` reads it from a plain
dict (the app layer reads the file):

.. code-block:: python

    {
      "authority": "CNE", "date": "2024-08-02", "label": "Second bulletin",
      "scope": "96.87 % of actas",            # free text
      "region": null,                          # optional region code; null = national
      "votes": {"NM": 6408844, "EG": 5326104}, # candidate id -> votes
      "others": {"votes": 462704, "members": ["LM", "AE"]},  # optional; or a bare int
      "valid": 12335884, "null": 50785,        # optional
      "registered": 21321805,                  # optional
      "tables_share": 0.9687                   # optional, in [0, 1]
    }

An ``others`` entry without ``members`` groups every collected candidate the
claim does not name. Bad input raises :class:`~actas.core.errors.DefinitionError`
naming the key.

:func:`compare_claim` sets the claim beside collected totals (FORENSICS §5.2):
per candidate the gap (official − collected; negative is a contradiction:
the official figure is below what the collected sheets already show), the
share of the missing valid votes the claim needs,
``s_req = (A_off − a_c) / (T_off − T_c)`` (impossible when > 1, or when
``T_off < T_c``), and best/worst cases given the missing valid votes. Fixture
F4: Maduro needs 3,167,383 of 1,676,756 (1.88899, impossible); González's
official 5,326,104 is 1,830,358 below his collected 7,156,462.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from actas.core.errors import DefinitionError, InputError

__all__ = [
    "OTHERS",
    "CandidateComparison",
    "Claim",
    "ClaimComparison",
    "compare_claim",
    "parse_claim",
]

#: the key of the grouped "others" entry in :attr:`Claim.votes`
OTHERS = "others"

_KNOWN_KEYS = frozenset(
    {
        "authority",
        "date",
        "label",
        "scope",
        "region",
        "votes",
        "others",
        "valid",
        "null",
        "registered",
        "tables_share",
    }
)


@dataclass(frozen=True, slots=True)
class Claim:
    """One official result: votes per candidate id, optionally an "others" group."""

    authority: str
    date: str
    label: str
    scope: str
    votes: tuple[tuple[str, int], ...]
    others_members: tuple[str, ...] = ()
    region: str | None = None
    valid: int | None = None
    null: int | None = None
    registered: int | None = None
    tables_share: float | None = None

    def as_dict(self) -> dict[str, int]:
        """Votes by candidate id (``"others"`` included when present)."""
        return dict(self.votes)

    @property
    def has_others(self) -> bool:
        return any(c == OTHERS for c, _ in self.votes)

    @property
    def total(self) -> int:
        """The claimed valid votes, or the sum of the claimed counts."""
        return self.valid if self.valid is not None else sum(v for _, v in self.votes)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "authority": self.authority,
            "date": self.date,
            "label": self.label,
            "scope": self.scope,
            "region": self.region,
            "votes": self.as_dict(),
            "valid": self.valid,
            "null": self.null,
            "registered": self.registered,
            "tables_share": self.tables_share,
        }
        if self.has_others:
            out["others_members"] = list(self.others_members)
        return out


def _text(raw: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise DefinitionError(f"claim key {key!r}: missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise DefinitionError(f"claim key {key!r}: expected a non-empty string, got {value!r}")
    return value


def _count(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(f"claim key {key!r}: expected a whole number, got {value!r}")
    if value < 0:
        raise DefinitionError(f"claim key {key!r}: expected a number >= 0, got {value}")
    return value


def _opt_count(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return None if value is None else _count(value, key)


def parse_claim(raw: Mapping[str, Any]) -> Claim:
    """Build a :class:`Claim` from a plain dict (see the module docstring).

    Raises DefinitionError naming the offending key.
    """
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"claim: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in _KNOWN_KEYS)
    if unknown:
        raise DefinitionError(f"claim key {unknown[0]!r}: unknown key")
    votes_raw = raw.get("votes")
    if not isinstance(votes_raw, Mapping) or not votes_raw:
        raise DefinitionError("claim key 'votes': expected a non-empty mapping of id -> votes")
    votes: list[tuple[str, int]] = []
    for cid, n in votes_raw.items():
        if not isinstance(cid, str) or not cid.strip():
            raise DefinitionError(f"claim key 'votes': bad candidate id {cid!r}")
        if cid == OTHERS:
            raise DefinitionError("claim key 'votes.others': put grouped votes under 'others'")
        votes.append((cid, _count(n, f"votes.{cid}")))
    members: tuple[str, ...] = ()
    others = raw.get("others")
    if others is not None:
        if isinstance(others, Mapping):
            extra = sorted(str(k) for k in others if k not in {"votes", "members"})
            if extra:
                raise DefinitionError(f"claim key 'others.{extra[0]}': unknown key")
            n_others = _count(others.get("votes"), "others.votes")
            mem = others.get("members", [])
            if not isinstance(mem, Sequence) or isinstance(mem, str):
                raise DefinitionError("claim key 'others.members': expected a list of ids")
            for m in mem:
                if not isinstance(m, str) or not m:
                    raise DefinitionError(f"claim key 'others.members': bad id {m!r}")
                if m in votes_raw:
                    raise DefinitionError(
                        f"claim key 'others.members': {m!r} is also listed under 'votes'"
                    )
            if len(set(mem)) != len(mem):
                raise DefinitionError("claim key 'others.members': duplicate id")
            members = tuple(mem)
        else:
            n_others = _count(others, "others")
        votes.append((OTHERS, n_others))
    share = raw.get("tables_share")
    if share is not None:
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise DefinitionError(f"claim key 'tables_share': expected a number, got {share!r}")
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise DefinitionError(
                f"claim key 'tables_share': expected a share in [0, 1], got {share!r}"
            )
    region = raw.get("region")
    if region is not None and (not isinstance(region, str) or not region):
        raise DefinitionError(f"claim key 'region': expected a region code, got {region!r}")
    valid = _opt_count(raw, "valid")
    summed = sum(n for _, n in votes)
    if valid is not None and summed > valid:
        raise DefinitionError(
            f"claim key 'valid': {valid} is smaller than the sum of the votes ({summed})"
        )
    return Claim(
        authority=_text(raw, "authority"),
        date=_text(raw, "date"),
        label=_text(raw, "label"),
        scope=_text(raw, "scope", required=False),
        votes=tuple(votes),
        others_members=members,
        region=region,
        valid=valid,
        null=_opt_count(raw, "null"),
        registered=_opt_count(raw, "registered"),
        tables_share=None if share is None else float(share),
    )


@dataclass(frozen=True, slots=True)
class CandidateComparison:
    """One candidate (or the "others" group): claim beside the collected actas."""

    candidate: str
    official: int
    collected: int
    gap: int  # official − collected; < 0 is a contradiction
    contradiction: bool
    required_share: Fraction | None  # of the missing valid votes; None when undefined
    impossible: bool
    worst_case: int  # collected votes only
    best_case_claim: int | None  # collected + every missing valid vote the claim implies
    best_case_turnout: int | None  # collected + missing registered × max turnout

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "official": self.official,
            "collected": self.collected,
            "gap": self.gap,
            "contradiction": self.contradiction,
            "required_share": None if self.required_share is None else float(self.required_share),
            "impossible": self.impossible,
            "worst_case": self.worst_case,
            "best_case_claim": self.best_case_claim,
            "best_case_turnout": self.best_case_turnout,
        }


@dataclass(frozen=True, slots=True)
class ClaimComparison:
    """A claim set beside collected totals, with the arithmetic verdicts."""

    claim: Claim
    collected_valid: int
    missing_valid: int  # T_off − T_c (may be negative)
    missing_valid_max: int | None  # missing registered × max turnout
    rows: tuple[CandidateComparison, ...]
    leader: str  # the collected leader
    leader_secure: bool  # no rival can reach the leader even with every missing vote
    notes: tuple[str, ...]

    @property
    def impossible(self) -> bool:
        """True when the claim contradicts the collected actas arithmetically."""
        return self.missing_valid < 0 or any(r.impossible or r.contradiction for r in self.rows)

    def row(self, candidate: str) -> CandidateComparison:
        for r in self.rows:
            if r.candidate == candidate:
                return r
        raise KeyError(candidate)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "claim_comparison",
            "inputs": "official claim; collected valid votes and votes per candidate",
            "claim": self.claim.to_json(),
            "collected_valid": self.collected_valid,
            "missing_valid": self.missing_valid,
            "missing_valid_max": self.missing_valid_max,
            "impossible": self.impossible,
            "leader": self.leader,
            "leader_secure": self.leader_secure,
            "rows": [r.to_json() for r in self.rows],
            "notes": list(self.notes),
            "caveat": (
                "Bounds assume the collected actas are authentic and counted once, that the "
                "claim and the collection cover the same tables (e.g. both with or without "
                "voting abroad), and that missing tables are missing rather than zero."
            ),
        }


def compare_claim(
    claim: Claim,
    collected: Mapping[str, int],
    collected_valid: int,
    *,
    missing_registered: int | None = None,
    max_turnout: float = 1.0,
) -> ClaimComparison:
    """Compare ``claim`` with collected votes per candidate id and collected valid votes.

    ``missing_registered`` (registered voters in the tables not collected)
    with ``max_turnout`` bounds the valid votes still to come independently of
    the claim. Collected candidates that the claim neither names nor groups
    under "others" are listed in ``notes``. ``leader_secure`` asks whether any
    rival of the collected leader could catch up with every missing valid vote
    (``missing_valid_max`` when given, else the claim's own ``missing_valid``).
    Works the same for national and regional figures: pass the totals of the
    claim's scope.
    """
    if collected_valid < 0 or any(v < 0 for v in collected.values()):
        raise InputError("compare_claim: collected counts must be >= 0")
    if sum(collected.values()) > collected_valid:
        raise InputError("compare_claim: collected votes exceed collected valid votes")
    if not 0.0 < max_turnout <= 1.0:
        raise InputError("compare_claim: max_turnout must be in (0, 1]")
    notes: list[str] = []
    named = {c for c, _ in claim.votes if c != OTHERS}
    if claim.has_others:
        members = set(claim.others_members) or (set(collected) - named)
    else:
        members = set()
        absent = sorted(set(collected) - named)
        if absent:
            notes.append(f"collected candidates not in the claim: {', '.join(absent)}")
    unknown = sorted(c for c in named | members if c not in collected)
    if unknown:
        notes.append(f"claim names candidates with no collected votes: {', '.join(unknown)}")
    t_off = claim.total
    missing = t_off - collected_valid
    if missing < 0:
        notes.append(
            f"the claim's valid votes ({t_off}) are below the collected valid votes "
            f"({collected_valid}): impossible"
        )
    if claim.valid is None:
        notes.append("the claim gives no valid total; the sum of its counts is used")
    missing_max = None
    if missing_registered is not None:
        if missing_registered < 0:
            raise InputError("compare_claim: missing_registered must be >= 0")
        missing_max = math.floor(Fraction(missing_registered) * Fraction(max_turnout))
    rows = []
    for cid, official in claim.votes:
        got = sum(collected.get(m, 0) for m in members) if cid == OTHERS else collected.get(cid, 0)
        need = official - got
        s_req: Fraction | None = None
        if missing > 0:
            s_req = Fraction(need, missing)
            impossible = s_req > 1
        else:
            impossible = missing < 0 or need > 0
        rows.append(
            CandidateComparison(
                candidate=cid,
                official=official,
                collected=got,
                gap=need,
                contradiction=need < 0,
                required_share=s_req,
                impossible=impossible,
                worst_case=got,
                best_case_claim=got + missing if missing >= 0 else None,
                best_case_turnout=None if missing_max is None else got + missing_max,
            )
        )
    individual = {c: v for c, v in collected.items() if c not in members}
    if not individual:
        individual = dict(collected)
    leader = max(sorted(individual), key=lambda c: individual[c]) if individual else ""
    bound = missing_max if missing_max is not None else max(missing, 0)
    lead_votes = individual.get(leader, 0)
    secure = bool(individual) and all(
        v + bound < lead_votes for c, v in individual.items() if c != leader
    )
    return ClaimComparison(
        claim=claim,
        collected_valid=collected_valid,
        missing_valid=missing,
        missing_valid_max=missing_max,
        rows=tuple(rows),
        leader=leader,
        leader_secure=secure,
        notes=tuple(notes),
    )
