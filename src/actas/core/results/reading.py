"""What one row of a results or registry file says: :class:`RowReading`. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from actas.core.model import Counts, Finding, RegionCode, TableId

__all__ = ["MAX_COUNT", "ROLES", "RowReading", "counts_of"]

#: Larger than any polling station anywhere.
MAX_COUNT = 10_000_000
#: The count roles beside votes.
ROLES = ("registered", "valid", "null", "invalid", "ballots")


@dataclass(frozen=True, slots=True)
class RowReading:
    table_id: TableId | None
    counts: Counts | None
    findings: tuple[Finding, ...]
    region_names: dict[RegionCode, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)


def counts_of(
    votes: tuple[int, ...], options: tuple[int, ...] | None, extra: dict[str, int | None]
) -> Counts:
    return Counts(
        votes=votes,
        options=options,
        null=extra["null"],
        invalid=extra["invalid"],
        registered=extra["registered"],
        ballots=extra["ballots"],
        valid_reported=extra["valid"],
    )
