"""Counts with named votes, and one line of ``submissions.jsonl``, as JSON. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from actas.core.model import Counts, Election, Finding

__all__ = [
    "COUNT_FIELDS",
    "counts_from_json",
    "counts_to_json",
    "submission_json",
]

#: The count fields beside the votes, in the order the files give them.
COUNT_FIELDS = ("null", "invalid", "registered", "ballots", "valid_reported")


def counts_to_json(election: Election, c: Counts) -> dict[str, Any]:
    """Counts with named votes: ``{"votes": {candidate: n}, "options": {option: n}, ...}``.

    Fields the source does not know are left out, as in :meth:`Counts.to_json`.
    """
    out: dict[str, Any] = {
        "votes": {cand.id: v for cand, v in zip(election.candidates, c.votes, strict=True)}
    }
    if c.options is not None:
        out["options"] = {o.id: v for o, v in zip(election.options, c.options, strict=True)}
    for name in COUNT_FIELDS:
        value = getattr(c, name)
        if value is not None:
            out[name] = value
    return out


def counts_from_json(election: Election, data: Mapping[str, Any]) -> Counts:
    """Inverse of :func:`counts_to_json`; raises ValueError on any other shape."""
    if not isinstance(data, Mapping):
        raise ValueError("counts must be an object")
    extra = set(data) - {"votes", "options", *COUNT_FIELDS}
    if extra:
        raise ValueError(f"unknown count fields {sorted(extra)}")
    votes = _named(data.get("votes"), [c.id for c in election.candidates], "votes")
    opts = data.get("options")
    options = None if opts is None else _named(opts, [o.id for o in election.options], "options")
    values: dict[str, int | None] = {}
    for name in COUNT_FIELDS:
        v = data.get(name)
        if v is not None and not _is_int(v):
            raise ValueError(f"{name} is not a whole number")
        values[name] = v
    return Counts(votes=votes, options=options, **values)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _named(value: Any, ids: Sequence[str], what: str) -> tuple[int, ...]:
    if not isinstance(value, Mapping) or sorted(value) != sorted(ids):
        raise ValueError(f"{what} must name exactly {list(ids)}")
    out = tuple(value[i] for i in ids)
    if not all(_is_int(v) for v in out):
        raise ValueError(f"{what} must be whole numbers")
    return out


def submission_json(
    election: Election,
    *,
    seq: int,
    kind: str,
    channel: str,
    table_id: str | None,
    counts: Counts | None,
    findings: Sequence[Finding],
    blob_sha256: str,
    raw_sha256: str,
    raw_b64: str | None,
) -> dict[str, Any]:
    """One line of ``submissions.jsonl``: what was read from a leaf and how it was judged.

    ``raw_b64`` is the raw bytes (base64) for a leaf too large to hold them
    inline, else ``None`` (then the key is absent).
    """
    out: dict[str, Any] = {
        "seq": seq,
        "kind": kind,
        "channel": channel,
        "table_id": table_id,
        "counts": None if counts is None else counts_to_json(election, counts),
        "findings": [
            f.to_json() if f.table_id is not None or table_id is None else _with_table(f, table_id)
            for f in findings
        ],
        "blob_sha256": blob_sha256 or None,
        "raw_sha256": raw_sha256,
    }
    if raw_b64 is not None:
        out["raw"] = raw_b64
    return out


def _with_table(f: Finding, table_id: str) -> dict[str, Any]:
    out = f.to_json()
    out["table_id"] = table_id
    return out
