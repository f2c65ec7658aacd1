"""The published lines of ``submissions.jsonl``: parsed, held to their leaves, compared. Pure.

A line must be the canonical JSON of exactly the fields of its leaf (kind,
channel, photo, raw hash) and carry the raw bytes exactly when the leaf is too
large to hold them; a re-read row's line must say the table, counts and
findings the reading gives. Every difference is a failure in the
:class:`~actas.core.bundle.compare.Compare` it is given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from actas.core.bundle import format as b
from actas.core.bundle.compare import Compare
from actas.core.log.leaf import inline_raw
from actas.core.model import Counts, Election
from actas.core.verify import replay

__all__ = ["FindingKey", "LineCheck", "PublishedLine", "counts_diff"]

_KEYS = frozenset(
    ("seq", "kind", "channel", "table_id", "counts", "findings", "blob_sha256", "raw_sha256")
)

#: A finding as compared: (code, severity, message, table id, fields).
FindingKey = tuple[str, str, str, str | None, tuple[str, ...]]


@dataclass(slots=True)
class PublishedLine:
    """One parsed line of ``submissions.jsonl`` (``line`` counts from 1)."""

    line: int
    table_id: str | None
    counts: Counts | None
    findings: list[FindingKey]


class LineCheck:
    """Checks lines of ``submissions.jsonl`` against their leaves and their re-readings."""

    def __init__(self, election: Election, cmp: Compare, checks: dict[str, int]) -> None:
        self.election = election
        self.cmp = cmp
        self.checks = checks

    def count(self, name: str, n: int = 1) -> None:
        self.checks[name] = self.checks.get(name, 0) + n

    def raw_from_line(self, i: int, line: bytes, leaf: replay.LeafInfo) -> None:
        obj: Any = None
        try:
            obj = json.loads(line)
            raw = obj.get("raw")
            data = base64.b64decode(raw, validate=True) if isinstance(raw, str) else None
        except (ValueError, AttributeError, binascii.Error):
            data = None
        if leaf.kind == "transcription" and isinstance(obj, dict) and "raw" not in obj:
            return  # still sealed: the line is checked in _parse
        if data is None or hashlib.sha256(data).hexdigest() != leaf.raw_sha256:
            where = f"{b.SUBMISSIONS} line {i + 1} (leaf {i})"
            self.cmp.fail(
                "submission.leaf_mismatch", where, "raw is missing or does not hash to raw_sha256"
            )
            return
        leaf.raw = data

    def parse(self, i: int, line: bytes, leaf: replay.LeafInfo) -> PublishedLine | None:
        where = f"{b.SUBMISSIONS} line {i + 1} (leaf {i})"
        try:
            obj = json.loads(line)
            pub = self._published(obj, i)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.cmp.fail("submission.malformed", where, str(exc))
            return None
        if b.dumps(obj).encode("utf-8") != line:
            self.cmp.fail("submission.not_canonical", where, "not the canonical JSON rendering")
        for key, expected in (
            ("kind", leaf.kind),
            ("channel", leaf.channel),
            ("blob_sha256", leaf.blob or None),
            ("raw_sha256", leaf.raw_sha256),
        ):
            if obj[key] != expected:
                message = f"{key}: the leaf has {expected!r}, found {obj[key]!r}"
                self.cmp.fail("submission.leaf_mismatch", where, message)
        if leaf.kind == "transcription" and "raw" not in obj:
            # a sealed entry (its photo not settled): a commitment only, which never counts
            self.count("transcriptions_sealed")
            if pub.table_id is not None or pub.counts is not None or pub.findings:
                message = "a sealed transcription has no table, counts or findings"
                self.cmp.fail("submission.leaf_mismatch", where, message)
        elif ("raw" in obj) == inline_raw(leaf.kind, leaf.raw_len):
            message = "raw must be given exactly when the leaf is too large to hold it"
            self.cmp.fail("submission.leaf_mismatch", where, message)
        return pub

    def _published(self, obj: Any, i: int) -> PublishedLine:
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        missing, extra = _KEYS - set(obj), set(obj) - _KEYS - {"raw"}
        if missing or extra:
            raise ValueError(f"fields missing {sorted(missing)} / unknown {sorted(extra)}")
        if obj["seq"] != i:
            raise ValueError(f"seq is {obj['seq']!r}, expected {i} (lines are in log order)")
        table_id = obj["table_id"]
        if table_id is not None and not isinstance(table_id, str):
            raise ValueError("table_id is not a string")
        counts = None if obj["counts"] is None else b.counts_from_json(self.election, obj["counts"])
        findings: list[FindingKey] = [
            (f["code"], f["severity"], f["message"], f.get("table_id"), tuple(f.get("fields", ())))
            for f in obj["findings"]
        ]
        return PublishedLine(i + 1, table_id, counts, findings)

    def compare(
        self,
        i: int,
        pub: PublishedLine,
        reading: replay.Reading,
        binding: replay.Binding,
        strict: bool,
    ) -> None:
        row = binding.event.file
        where = f"{b.SUBMISSIONS} line {pub.line} (leaf {i}, {row})"
        if pub.table_id != reading.table_id:
            message = f"the row gives table {reading.table_id}, published {pub.table_id}"
            self.cmp.fail("record.table_mismatch", where, message)
        if pub.counts != reading.counts:
            self.cmp.fail("record.counts_mismatch", where, counts_diff(reading.counts, pub.counts))
        expected = _norm(
            [
                (f.code, str(f.severity), f.message, f.table_id or reading.table_id, f.fields)
                for f in reading.findings
            ]
        )
        if _norm(pub.findings) == expected:
            self.count("findings_rederived")
        elif strict:
            codes = [f[0] for f in expected], [f[0] for f in pub.findings]
            message = f"findings expected {codes[0]}, found {codes[1]}"
            self.cmp.fail("record.findings_mismatch", where, message)
        else:
            self.count("findings_not_reproducible")


def _norm(items: Sequence[FindingKey]) -> list[FindingKey]:
    # A CSV parser's error text depends on the rest of the file: compare its code only.
    return [(c, s, "" if c == "row.unreadable" else m, t, f) for c, s, m, t, f in items]


def counts_diff(expected: Counts | None, found: Counts | None) -> str:
    if expected is None or found is None:
        e = "none" if expected is None else str(list(expected.votes))
        f = "none" if found is None else str(list(found.votes))
        return f"the row gives counts {e}, published {f}"
    parts = []
    for name in ("votes", "options", "null", "invalid", "registered", "ballots", "valid_reported"):
        x, y = getattr(expected, name), getattr(found, name)
        if x != y:
            parts.append(f"{name}: the row gives {x}, published {y}")
    return "; ".join(parts)
