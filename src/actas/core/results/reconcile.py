"""Several submissions of one table -> one result, or a conflict that keeps every side.

Two versions *agree* when every field both of them know is equal (a source
without null votes can agree with one that has them). A table is:

- ``single``    one version;
- ``consensus`` several versions, no two of which disagree;
- ``conflict``  at least two versions disagree; no number is chosen;
- ``resolved``  a reviewer's decision (a logged submission) gives the counts.

Only ``single``, ``consensus`` and ``resolved`` tables enter the tally. Which
sources (channels) are considered is the caller's explicit choice.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from actas.core.model import Counts, TableId

__all__ = ["Status", "TableResult", "Version", "reconcile"]


class Status(enum.StrEnum):
    SINGLE = "single"
    CONSENSUS = "consensus"
    CONFLICT = "conflict"
    RESOLVED = "resolved"

    @property
    def counted(self) -> bool:
        return self is not Status.CONFLICT


@dataclass(frozen=True, slots=True)
class Version:
    seq: int
    channel: str
    counts: Counts
    decision: bool = False  # a reviewer's decision rather than a reading


@dataclass(frozen=True, slots=True)
class TableResult:
    table_id: TableId
    status: Status
    counts: Counts | None  # None for a conflict
    seqs: tuple[int, ...]  # every version considered, in log order
    agreeing: int  # versions that agree with the result
    channels: tuple[str, ...]  # distinct channels behind the result
    differing: tuple[str, ...] = ()  # fields on which versions disagree


_FIELDS = ("votes", "options", "null", "invalid", "registered", "ballots")


def _disagreement(a: Counts, b: Counts) -> list[str]:
    out = []
    for name in _FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            out.append(name)
    return out


def _merge(versions: Sequence[Counts]) -> Counts:
    def first(name: str) -> object:
        for v in versions:
            value = getattr(v, name)
            if value is not None:
                return value
        return None

    base = versions[0]
    return Counts(
        votes=base.votes,
        options=first("options"),  # type: ignore[arg-type]
        null=first("null"),  # type: ignore[arg-type]
        invalid=first("invalid"),  # type: ignore[arg-type]
        registered=first("registered"),  # type: ignore[arg-type]
        ballots=first("ballots"),  # type: ignore[arg-type]
        valid_reported=first("valid_reported"),  # type: ignore[arg-type]
    )


def reconcile(
    table_id: TableId, versions: Iterable[Version], channels: frozenset[str] | None = None
) -> TableResult | None:
    """Reconcile the versions of one table; ``None`` when none is considered."""
    versions = list(versions)
    if len(versions) == 1 and not versions[0].decision:  # most tables: one reading, as it is
        v = versions[0]
        if channels is None or v.channel in channels:
            return TableResult(table_id, Status.SINGLE, v.counts, (v.seq,), 1, (v.channel,))
    chosen = sorted(
        (v for v in versions if channels is None or v.channel in channels or v.decision),
        key=lambda v: v.seq,
    )
    if not chosen:
        return None
    seqs = tuple(v.seq for v in chosen)
    decisions = [v for v in chosen if v.decision]
    if decisions:
        last = decisions[-1]
        readings = [v for v in chosen if not v.decision]
        agree = [v for v in readings if not _disagreement(v.counts, last.counts)]
        return TableResult(
            table_id,
            Status.RESOLVED,
            _merge([last.counts, *(v.counts for v in agree)]),
            seqs,
            len(agree),
            tuple(sorted({v.channel for v in agree} | {last.channel})),
        )
    differing: set[str] = set()
    for i, a in enumerate(chosen):
        for b in chosen[i + 1 :]:
            differing.update(_disagreement(a.counts, b.counts))
    chans = tuple(sorted({v.channel for v in chosen}))
    if differing:
        return TableResult(
            table_id,
            Status.CONFLICT,
            None,
            seqs,
            0,
            chans,
            tuple(f for f in _FIELDS if f in differing),
        )
    status = Status.SINGLE if len(chosen) == 1 else Status.CONSENSUS
    return TableResult(
        table_id, status, _merge([v.counts for v in chosen]), seqs, len(chosen), chans
    )
