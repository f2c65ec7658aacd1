"""One region's tally (:class:`RegionTally`) and its two forms: packed text and JSON.

Pure. :func:`pack` / :func:`unpack` are the compact, exact text the store keeps;
:func:`tally_to_json` the shape of the API, ``actas results --json`` and the
bundle's ``results.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actas.core.model import Election
from actas.core.results.expected import Expected

__all__ = ["RegionTally", "pack", "tally_to_json", "unpack"]


@dataclass(frozen=True, slots=True)
class RegionTally:
    level: int  # -1 = national
    code: str
    tables_reported: int  # tables with at least one reading (conflicts included)
    tables_counted: int  # tables whose numbers are in the totals
    tables_conflict: int
    tables_with_registered: int  # counted tables whose registered voters are known
    registered: int  # registered voters of those tables
    cast_where_registered: int  # valid + null at those tables (turnout numerator)
    valid: int
    null: int
    votes: tuple[int, ...]
    expected: Expected = field(default_factory=Expected)


def _ratio(num: int, den: int | None) -> float | None:
    if not den:
        return None
    return round(num / den, 6)


def tally_to_json(
    election: Election, t: RegionTally, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The JSON shape of one region's results (the API and ``actas results --json``)."""
    level = "national" if t.level < 0 else election.levels[t.level].id
    name = (names or {}).get(t.code, "") if t.code else election.name
    return {
        "election": election.id,
        "level": level,
        "code": t.code,
        "name": name,
        "tables": {
            "counted": t.tables_counted,
            "reported": t.tables_reported,
            "conflict": t.tables_conflict,
            "expected": t.expected.tables,
            "coverage": _ratio(t.tables_counted, t.expected.tables),
        },
        "registered": {
            "covered": t.registered,
            "tables_known": t.tables_with_registered,
            "expected": t.expected.registered,
            "coverage": _ratio(t.registered, t.expected.registered),
        },
        "turnout": _ratio(t.cast_where_registered, t.registered),
        "valid": t.valid,
        "null": t.null,
        "candidates": [
            {
                "id": c.id,
                "name": c.name,
                "short": c.short,
                "votes": v,
                "share": _ratio(v, t.valid),
            }
            for c, v in zip(election.candidates, t.votes, strict=True)
        ],
    }


def pack(t: RegionTally) -> str:
    """A compact, exact text form of a region's tally (what the store keeps)."""
    exp_t = -1 if t.expected.tables is None else t.expected.tables
    exp_r = -1 if t.expected.registered is None else t.expected.registered
    head = (
        t.level,
        t.tables_reported,
        t.tables_counted,
        t.tables_conflict,
        t.tables_with_registered,
        t.registered,
        t.cast_where_registered,
        t.valid,
        t.null,
        exp_t,
        exp_r,
    )
    return ",".join(map(str, (*head, *t.votes)))


def unpack(code: str, text: str) -> RegionTally:
    """Inverse of :func:`pack`."""
    v = [int(x) for x in text.split(",")]
    return RegionTally(
        level=v[0],
        code=code,
        tables_reported=v[1],
        tables_counted=v[2],
        tables_conflict=v[3],
        tables_with_registered=v[4],
        registered=v[5],
        cast_where_registered=v[6],
        valid=v[7],
        null=v[8],
        votes=tuple(v[11:]),
        expected=Expected(None if v[9] < 0 else v[9], None if v[10] < 0 else v[10]),
    )
