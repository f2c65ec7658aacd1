"""Replaying an import from the log: a row's raw bytes -> the table, counts and findings.

Pure. The importer logs, for each file, one EVENT leaf whose raw bytes are
JSON naming the file's SHA-256, its format (import mapping), the encoding it
was decoded with and its header line; then one RECORD leaf per data row whose
raw bytes are the row's exact bytes in the file. :func:`bind` turns an EVENT
into a :class:`Binding` (the mapping bound to the header) and :func:`reread`
reads a RECORD's raw row again exactly as the importer did, so that a verifier
can compare the published counts with what the row says.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import rules
from .leaf import MAX_INLINE_RAW, decode_leaf, inline_raw
from .manifest import ImportMapping
from .model import Counts, Election, Finding, Severity, SubmissionKind, TableId
from .records import Header, header_for, read_row

__all__ = [
    "DELIMITERS",
    "Binding",
    "ImportEvent",
    "LeafInfo",
    "Reading",
    "bind",
    "leaf_info",
    "parse_event",
    "parse_leaf_lines",
    "reread",
]

#: Candidate delimiters, in the order the importer prefers them on a tie.
DELIMITERS = (",", ";", "\t", "|")

#: Encoding label in an import EVENT -> the codec the row bytes are in.
_CODECS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "cp1252": "cp1252", "latin-1": "latin-1"}


_HEX64 = re.compile(r"[0-9a-f]{64}")
_LEAF_KEYS = frozenset(
    {"v", "election", "kind", "received_at", "source", "raw_sha256", "raw_len", "raw"}
    | {"blob_sha256", "actor", "meta"}
)
_KINDS = frozenset(str(k) for k in SubmissionKind)


@dataclass(slots=True)
class LeafInfo:
    """What a verifier needs of a decoded leaf."""

    kind: str
    channel: str
    source: dict[str, Any]
    received_at: str
    raw_sha256: str
    raw_len: int
    raw: bytes | None  # inline in the leaf; None when too large (it travels beside the leaf)
    blob: str


def leaf_info(entry: Mapping[str, Any], election_id: str) -> LeafInfo:
    """Check a decoded leaf (``leaf.decode_leaf``) against the v1 fields; raises ValueError."""
    extra = set(entry) - _LEAF_KEYS
    if extra:
        raise ValueError(f"unknown leaf fields {sorted(extra)}")
    if entry.get("election") != election_id:
        raise ValueError(f"leaf of election {entry.get('election')!r}, not {election_id!r}")
    kind, source = entry.get("kind"), entry.get("source")
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not isinstance(source, dict) or not isinstance(source.get("channel"), str):
        raise ValueError("source has no channel")
    received, digest, size = entry.get("received_at"), entry.get("raw_sha256"), entry.get("raw_len")
    if not isinstance(received, str) or not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise ValueError("received_at or raw_sha256 is missing or malformed")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError("raw_len is not a length")
    raw: bytes | None = None
    text = entry.get("raw")
    if inline_raw(str(kind), size):
        if not isinstance(text, str):
            raise ValueError(f"raw_len {size} <= {MAX_INLINE_RAW} but the raw bytes are not inline")
        raw = base64.b64decode(text, validate=True)
        if base64.b64encode(raw).decode("ascii") != text:
            raise ValueError("raw is not canonical base64")
        if len(raw) != size or hashlib.sha256(raw).hexdigest() != digest:
            raise ValueError("inline raw does not match raw_len / raw_sha256")
    elif text is not None:
        raise ValueError(f"raw of {size} bytes in a {kind} leaf must not be inline")
    blob = entry.get("blob_sha256", "")
    if not isinstance(blob, str) or (blob and not _HEX64.fullmatch(blob)):
        raise ValueError("blob_sha256 is malformed")
    return LeafInfo(str(kind), source["channel"], source, received, digest, size, raw, blob)


def parse_leaf_lines(
    task: tuple[str, int, Sequence[bytes]],
) -> list[tuple[int, bytes | None, LeafInfo | None, str]]:
    """Decode lines of ``leaves.txt`` (election id, index of the first, lines); picklable.

    For each: (leaf index, leaf hash or None, leaf info or None, problem) where a
    problem is ``"<failure code>: <message>"`` or empty.
    """
    election_id, start, lines = task
    out: list[tuple[int, bytes | None, LeafInfo | None, str]] = []
    sha256 = hashlib.sha256
    for i, line in enumerate(lines, start):
        try:
            leaf = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            leaf = None
        if leaf is None or base64.b64encode(leaf) != line:
            out.append((i, None, None, "leaf.base64: not the canonical base64 of the leaf bytes"))
            continue
        digest = sha256(b"\x00" + leaf).digest()
        try:
            out.append((i, digest, leaf_info(decode_leaf(leaf), election_id), ""))
        except ValueError as exc:
            out.append((i, digest, None, f"leaf.malformed: {exc}"))
    return out


@dataclass(frozen=True, slots=True)
class ImportEvent:
    """The JSON of an import EVENT leaf's raw bytes."""

    file: str
    sha256: str
    format: str
    encoding: str
    header: str


@dataclass(frozen=True, slots=True)
class Binding:
    """How to read the rows of one imported file."""

    event: ImportEvent
    mapping: ImportMapping | None  # None when the bundle has no mapping of that name
    header: Header | None  # None for registry files or when the header does not bind
    width: int
    delimiter: str
    problem: str = ""  # why rows of this file cannot be re-read

    @property
    def registry(self) -> bool:
        return self.mapping is not None and self.mapping.kind == "registry"


@dataclass(frozen=True, slots=True)
class Reading:
    table_id: TableId | None
    counts: Counts | None
    findings: tuple[Finding, ...]
    region_names: Mapping[str, str]


def parse_event(raw: bytes) -> ImportEvent:
    """Parse an import EVENT's raw JSON; raises ValueError when it is not one."""
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("event") != "import":
        raise ValueError("not an import event")
    values = {}
    for key in ("file", "sha256", "format", "encoding", "header"):
        value = data.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{key} is missing or not a string")
        values[key] = value
    return ImportEvent(**values)


def detect_delimiter(header: str) -> str:
    """The delimiter the importer chose: the most frequent of :data:`DELIMITERS`."""
    counts = {d: header.count(d) for d in DELIMITERS}
    return max(counts, key=lambda d: counts[d])


def bind(event: ImportEvent, election: Election, mappings: Mapping[str, ImportMapping]) -> Binding:
    """Bind the event's mapping (by format name) to its header line."""
    delimiter = detect_delimiter(event.header)
    mapping = mappings.get(event.format)
    if mapping is None:
        return Binding(event, None, None, 0, delimiter, f"no mapping named {event.format!r}")
    if mapping.kind == "registry":
        return Binding(event, mapping, None, 0, delimiter)
    if event.encoding not in _CODECS and not event.encoding.startswith("utf-16"):
        return Binding(event, mapping, None, 0, delimiter, f"unknown encoding {event.encoding!r}")
    try:
        columns = [h.strip() for h in next(csv.reader([event.header], delimiter=delimiter))]
        header = header_for(mapping, election, columns)
    except (csv.Error, StopIteration, ValueError) as exc:
        return Binding(event, mapping, None, 0, delimiter, f"header does not bind: {exc}")
    return Binding(event, mapping, header, len(columns), delimiter)


def _codec(encoding: str, raw: bytes) -> str:
    if encoding.startswith("utf-16"):  # the label does not say which byte order
        return "utf-16-be" if raw[:1] == b"\0" else "utf-16-le"
    return _CODECS[encoding]


def reread(binding: Binding, raw: bytes, row: int, context: rules.Context) -> Reading:
    """Read one logged row again, as the importer did; raises ValueError if it cannot be.

    ``row`` is the 1-based data row number (the leaf's ``source.row``), used in
    the message of an unreadable row.
    """
    header = binding.header
    if header is None:
        raise ValueError(binding.problem or "registry rows carry no counts")
    try:
        text = raw.decode(_codec(binding.event.encoding, raw))
    except UnicodeDecodeError as exc:
        raise ValueError(f"raw bytes are not {binding.event.encoding}: {exc}") from None
    lines = text.splitlines(keepends=True)
    try:
        rows = list(csv.reader(lines, delimiter=binding.delimiter, strict=False))
    except csv.Error as exc:
        finding = Finding("row.unreadable", Severity.ERROR, f"row {row}: {exc}")
        return Reading(None, None, (finding,), {})
    if len(rows) != 1 or not rows[0] or (len(rows[0]) == 1 and not rows[0][0].strip()):
        raise ValueError(f"raw bytes hold {len(rows)} CSV rows, not one data row")
    reading = read_row(header, rows[0], binding.width)
    findings = reading.findings
    if reading.counts is not None and reading.table_id is not None:
        findings = findings + tuple(rules.check(reading.table_id, reading.counts, context))
    names = {str(code): name for code, name in reading.region_names.items()}
    return Reading(reading.table_id, reading.counts, findings, names)
