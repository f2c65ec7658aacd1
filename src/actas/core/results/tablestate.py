"""Where one table stands, and its sources side by side. Pure.

:func:`table_state` names the one state a citizen sees on the table's page:

- ``pending``: nothing received yet (the table is in the registry);
- ``received``: something arrived but has no counts yet; ``waiting`` says for what:
  ``reading`` (a photo queued for decoding), ``transcription`` (a photo without a
  readable QR code, for two volunteers), ``unreadable`` (a photo that could not be
  opened or decoded; a coordinator can queue it again), ``rejected`` (rows of a
  results file whose counts could not be read: a corrected file is needed);
- ``read``: one source's counts;
- ``confirmed``: independent sources agree (or a reviewer decided);
- ``conflict``: sources disagree; nothing is counted until it is resolved.

:func:`comparison` lays out every version with counts as columns and every count as
a row (candidates in ballot order, then the totals), marking the rows whose sources
disagree, so the numbers in dispute are shown, not just named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from actas.core.log.entry import LoggedSubmission
from actas.core.model import Election
from actas.core.results.reconcile import Status, TableResult

__all__ = ["STATES", "WAITING", "comparison", "table_state"]

STATES = ("pending", "received", "read", "confirmed", "conflict")
WAITING = ("reading", "transcription", "unreadable", "rejected")
_TOTALS = ("valid", "null", "invalid", "registered", "ballots", "valid_reported")
_UNREADABLE = frozenset({"photo.unreadable"})
_NEEDS_HANDS = frozenset({"photo.no_qr", "payload.invalid"})


def table_state(
    result: TableResult | None,
    subs: Sequence[LoggedSubmission],
    pending: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """``{"state", "waiting"}``: ``waiting`` is None unless the state is ``received``."""
    if result is not None:
        if result.status is Status.CONFLICT:
            return {"state": "conflict", "waiting": None}
        if result.status is Status.SINGLE:
            return {"state": "read", "waiting": None}
        return {"state": "confirmed", "waiting": None}
    if not subs and not pending:
        return {"state": "pending", "waiting": None}
    waiting = "reading"
    if any(p.get("status") == "pending" for p in pending):
        waiting = "reading"
    elif any(p.get("status") == "failed" for p in pending):
        waiting = "unreadable"
    else:
        codes = {f.code for s in subs for f in s.findings}
        if codes & _NEEDS_HANDS:
            waiting = "transcription"
        elif codes & _UNREADABLE:
            waiting = "unreadable"
        elif any(s.kind == "photo" for s in subs):
            waiting = "transcription"
        elif not any(s.kind == "event" for s in subs):
            waiting = "rejected"
    return {"state": "received", "waiting": waiting}


def comparison(election: Election, subs: Sequence[LoggedSubmission]) -> dict[str, Any]:
    """``{"columns": [version], "rows": [row]}`` over the versions that carry counts.

    A column is ``{"seq", "kind", "channel", "received_at", "blob_sha256"}``; a row is
    ``{"field", "id", "name", "values", "differs", "marks"}`` where ``field`` is ``votes`` for a
    candidate (``id`` and ``name`` set) or a total's name, and ``values`` has one entry
    per column (None where that source does not say); ``marks[i]`` is True where
    column ``i`` departs from what most sources say (every stated value, on a tie)."""
    versions = [s for s in subs if s.counts is not None]
    columns = [
        {
            "seq": s.seq,
            "kind": s.kind,
            "channel": s.channel,
            "received_at": s.received_at,
            "blob_sha256": s.blob_sha256 or None,
        }
        for s in versions
    ]
    rows: list[dict[str, Any]] = []
    for i, cand in enumerate(election.candidates):
        values = [_vote(s, i) for s in versions]
        rows.append(
            {
                "field": "votes",
                "id": cand.id,
                "name": cand.name,
                "values": values,
                "differs": _differ(values),
                "marks": _marks(values),
            }
        )
    for name in _TOTALS:
        values = [_total(s, name) for s in versions]
        if any(v is not None for v in values):
            row = {"field": name, "id": None, "name": None, "values": values}
            rows.append({**row, "differs": _differ(values), "marks": _marks(values)})
    return {"columns": columns, "rows": rows}


def _vote(sub: LoggedSubmission, i: int) -> int | None:
    assert sub.counts is not None
    votes = sub.counts.votes
    return int(votes[i]) if i < len(votes) else None


def _total(sub: LoggedSubmission, name: str) -> int | None:
    counts = sub.counts
    assert counts is not None
    value = counts.valid if name == "valid" else getattr(counts, name)
    return None if value is None else int(value)


def _differ(values: Sequence[int | None]) -> bool:
    return len({v for v in values if v is not None}) > 1


def _marks(values: Sequence[int | None]) -> list[bool]:
    known = [v for v in values if v is not None]
    if len(set(known)) <= 1:
        return [False] * len(values)
    tally: dict[int, int] = {}
    for v in known:
        tally[v] = tally.get(v, 0) + 1
    top = max(tally.values())
    modes = [v for v, n in tally.items() if n == top]
    mode = modes[0] if len(modes) == 1 else None
    return [v is not None and v != mode for v in values]
