"""A claims file: an authority's announcements as data (``docs/claims.md``).

Pure: the caller reads and decodes the file and passes the decoded object
(the app's ``analysis.parse_claims_json`` does both). A claims file is JSON::

    {
      "format": "actas-claims/1",
      "election": "ve-2024",
      "description": "…",                     # optional
      "notes": ["…"],                          # optional
      "claims": [
        {
          "authority": "CNE", "date": "2024-08-02", "label": "Second bulletin",
          "scope": "96.87 % of actas", "tables_share": 0.9687,
          "votes": {"maduro": 6408844, "gonzalez": 5326104},
          "others": {"votes": 601000, "members": ["martinez"]},   # optional; or an int
          "valid": 12335884, "null": 50785, "registered": 21321805,
          "percentages": {"maduro": 51.95},    # optional, as published (not used)
          "figures": {"votes_cast": 12386669}, # optional, other published numbers
          "sources": ["https://…"], "notes": ["…"],
          "regions": {                         # optional per-region figures
            "01": {"votes": {…}, "others": 1234, "valid": …, "null": …, "registered": …}
          }
        }
      ]
    }

Each entry is one :class:`~actas.core.forensics.claims.Claim` (national, or for
one region when it has a ``region`` key); each item of ``regions`` becomes a
further claim with that region and the entry's authority, date and label.
Unknown keys and candidate ids that are not the election's raise
:class:`~actas.core.errors.DefinitionError` naming the entry and the key.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from actas.core.errors import DefinitionError
from actas.core.forensics.claims import OTHERS, Claim, parse_claim

__all__ = ["CLAIMS_FORMAT", "ClaimEntry", "ClaimSet", "parse_claim_set"]

CLAIMS_FORMAT = "actas-claims/1"

_ENTRY_EXTRA = frozenset({"percentages", "figures", "sources", "notes", "regions"})
_REGION_KEYS = frozenset(
    {"votes", "others", "valid", "null", "registered", "scope", "tables_share"}
)
_TOP_KEYS = frozenset({"format", "election", "description", "notes", "claims"})


@dataclass(frozen=True, slots=True)
class ClaimEntry:
    """One announcement: the national (or regional) claim and its regional figures."""

    claim: Claim
    regional: tuple[Claim, ...] = ()
    percentages: Mapping[str, float] = field(default_factory=dict)
    figures: Mapping[str, float] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        c = self.claim
        out: dict[str, Any] = {
            "authority": c.authority,
            "date": c.date,
            "label": c.label,
            "scope": c.scope,
            "votes": {k: v for k, v in c.votes if k != OTHERS},
        }
        if c.has_others:
            n = c.as_dict()[OTHERS]
            out["others"] = {"votes": n, "members": list(c.others_members)}
        for key in ("region", "valid", "null", "registered", "tables_share"):
            value = getattr(c, key)
            if value is not None:
                out[key] = value
        if self.percentages:
            out["percentages"] = dict(self.percentages)
        if self.figures:
            out["figures"] = dict(self.figures)
        if self.sources:
            out["sources"] = list(self.sources)
        if self.notes:
            out["notes"] = list(self.notes)
        if self.regional:
            out["regions"] = {r.region: _region_json(r) for r in self.regional}
        return out


def _region_json(c: Claim) -> dict[str, Any]:
    out: dict[str, Any] = {"votes": {k: v for k, v in c.votes if k != OTHERS}}
    if c.has_others:
        out["others"] = {"votes": c.as_dict()[OTHERS], "members": list(c.others_members)}
    for key in ("valid", "null", "registered", "tables_share"):
        value = getattr(c, key)
        if value is not None:
            out[key] = value
    if c.scope:
        out["scope"] = c.scope
    return out


@dataclass(frozen=True, slots=True)
class ClaimSet:
    """The parsed content of one claims file."""

    election: str
    entries: tuple[ClaimEntry, ...]
    description: str = ""
    notes: tuple[str, ...] = ()

    def claims(self) -> tuple[Claim, ...]:
        """Every claim, each entry's own first and then its regional figures."""
        return tuple(c for e in self.entries for c in (e.claim, *e.regional))

    def to_json(self) -> dict[str, Any]:
        """The normalised file (parses back to an equal ClaimSet)."""
        out: dict[str, Any] = {"format": CLAIMS_FORMAT, "election": self.election}
        if self.description:
            out["description"] = self.description
        if self.notes:
            out["notes"] = list(self.notes)
        out["claims"] = [e.to_json() for e in self.entries]
        return out


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise DefinitionError(f"{where}: expected a string or a list of strings")
    return tuple(value)


def _numbers(value: object, where: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DefinitionError(f"{where}: expected a mapping of name -> number")
    out: dict[str, float] = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise DefinitionError(f"{where}.{k}: expected a number, got {v!r}")
        out[str(k)] = v
    return out


def _check_ids(claim: Claim, candidate_ids: Collection[str] | None, where: str) -> None:
    if candidate_ids is None:
        return
    for cid in (*(c for c, _ in claim.votes if c != OTHERS), *claim.others_members):
        if cid not in candidate_ids:
            raise DefinitionError(
                f"{where}: {cid!r} is not a candidate id; known: {', '.join(sorted(candidate_ids))}"
            )


def _parse(raw: Mapping[str, Any], where: str) -> Claim:
    try:
        return parse_claim(raw)
    except DefinitionError as exc:
        raise DefinitionError(f"{where}: {exc}") from None


def _entry(raw: object, i: int, candidate_ids: Collection[str] | None) -> ClaimEntry:
    where = f"claims[{i}]"
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{where}: expected an object")
    core = {k: v for k, v in raw.items() if k not in _ENTRY_EXTRA}
    claim = _parse(core, where)
    _check_ids(claim, candidate_ids, where)
    regions_raw = raw.get("regions")
    regional: list[Claim] = []
    if regions_raw is not None:
        if not isinstance(regions_raw, Mapping):
            raise DefinitionError(f"{where}.regions: expected a mapping of region code -> figures")
        if claim.region is not None:
            raise DefinitionError(f"{where}.regions: a regional claim cannot have regions")
        for code, fig in regions_raw.items():
            rw = f"{where}.regions[{code!r}]"
            if not isinstance(fig, Mapping):
                raise DefinitionError(f"{rw}: expected an object")
            unknown = sorted(str(k) for k in fig if k not in _REGION_KEYS)
            if unknown:
                raise DefinitionError(f"{rw}: unknown key {unknown[0]!r}")
            sub = {
                "authority": claim.authority,
                "date": claim.date,
                "label": claim.label,
                "scope": claim.scope,
                **dict(fig),
                "region": code,
            }
            rc = _parse(sub, rw)
            _check_ids(rc, candidate_ids, rw)
            regional.append(rc)
    return ClaimEntry(
        claim=claim,
        regional=tuple(regional),
        percentages=_numbers(raw.get("percentages"), f"{where}.percentages"),
        figures=_numbers(raw.get("figures"), f"{where}.figures"),
        sources=_strings(raw.get("sources"), f"{where}.sources"),
        notes=_strings(raw.get("notes"), f"{where}.notes"),
    )


def parse_claim_set(
    raw: object, *, election: str | None = None, candidate_ids: Collection[str] | None = None
) -> ClaimSet:
    """Validate a decoded claims file.

    ``election`` (an election id) and ``candidate_ids``, when given, must
    match the file's ``election`` and every candidate id it names.
    """
    if not isinstance(raw, Mapping):
        raise DefinitionError("claims file: expected a JSON object")
    unknown = sorted(str(k) for k in raw if k not in _TOP_KEYS)
    if unknown:
        raise DefinitionError(f"claims file: unknown key {unknown[0]!r}")
    fmt = raw.get("format")
    if fmt != CLAIMS_FORMAT:
        raise DefinitionError(f"claims file: 'format' must be {CLAIMS_FORMAT!r}, got {fmt!r}")
    el = raw.get("election")
    if not isinstance(el, str) or not el:
        raise DefinitionError("claims file: 'election' must be an election id")
    if election is not None and el != election:
        raise DefinitionError(f"claims file: it is for election {el!r}, not {election!r}")
    items = raw.get("claims")
    if not isinstance(items, list) or not items:
        raise DefinitionError("claims file: 'claims' must be a non-empty list")
    desc = raw.get("description", "")
    if not isinstance(desc, str):
        raise DefinitionError("claims file: 'description' must be a string")
    return ClaimSet(
        election=el,
        entries=tuple(_entry(item, i, candidate_ids) for i, item in enumerate(items)),
        description=desc,
        notes=_strings(raw.get("notes"), "claims file: notes"),
    )
