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

from actas.core.definitions import ImportMapping
from actas.core.log.leaf import LEAF_PREFIX, MAX_INLINE_RAW, decode_leaf, inline_raw
from actas.core.model import (
    Counts,
    Election,
    Finding,
    RegionCode,
    SubmissionKind,
    TableId,
)
from actas.core.results import rules
from actas.core.results.import_event import ImportEvent, parse_event
from actas.core.results.row_intake import judge_row, unreadable_row
from actas.core.results.rows import Header, header_for, read_registry_row, split_rows

__all__ = [
    "DELIMITERS",
    "Binding",
    "ImportEvent",
    "LeafInfo",
    "Reading",
    "RegistryReading",
    "bind",
    "csv_rows",
    "leaf_info",
    "parse_event",
    "parse_leaf_lines",
    "read_registry",
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


# The canonical text of the usual leaf, strings without escapes: whatever matches
# is canonical JSON (keys once and in sorted order, no whitespace, plain integers,
# strings needing no escape), so it is read from the groups without a JSON parser
# or a re-encoding. Anything else (an escape, an unknown member, a malformed
# value) takes the general route, which accepts or explains it.
_S = r"[\x20\x21\x23-\x5b\x5d-\x7e]*"  # a string's characters that need no escape
_PLAIN_LEAF = re.compile(
    rf'\{{(?:"actor":"(?P<actor>{_S})",)?(?:"blob_sha256":"(?P<blob>[0-9a-f]{{64}})",)?'
    rf'"election":"(?P<election>{_S})","kind":"(?P<kind>[a-z]+)",'
    r'(?:"meta":(?P<meta>\{[^{}]*\}),)?(?:"raw":"(?P<raw>[A-Za-z0-9+/]*={0,2})",)?'
    r'"raw_len":(?P<len>0|[1-9][0-9]{0,17}),"raw_sha256":"(?P<sha>[0-9a-f]{64})",'
    rf'"received_at":"(?P<at>{_S})","source":\{{"channel":"(?P<channel>{_S})"'
    rf'(?:,"name":"(?P<name>{_S})")?(?:,"row":(?P<row>0|-?[1-9][0-9]{{0,17}}))?'
    rf'(?:,"sha256":"(?P<file>{_S})")?\}},"v":1\}}'.encode("ascii")
)
# one member, a plain string: canonical as it stands (the usual row's photo_url)
_PLAIN_META = re.compile(rf'\{{"{_S}":"{_S}"\}}'.encode("ascii"))
_META_DECODER = json.JSONDecoder(parse_float=str, parse_constant=str)
_META_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _plain_info(leaf: bytes, election_id: str) -> LeafInfo | None:
    """:func:`leaf_info` of :func:`decode_leaf` for a leaf in the usual shape, else None.

    None means "not sure": the caller takes the general route. A leaf that
    this accepts is one the general route accepts with the same info.
    """
    if not leaf.startswith(LEAF_PREFIX):
        return None
    m = _PLAIN_LEAF.fullmatch(leaf, len(LEAF_PREFIX))  # bytes: ASCII by the pattern
    if m is None:
        return None
    election, kind, meta, text, channel, name, row, file = m.group(
        "election", "kind", "meta", "raw", "channel", "name", "row", "file"
    )
    if election != election_id.encode() or kind.decode() not in _KINDS:
        return None
    if meta is not None and _PLAIN_META.fullmatch(meta) is None:
        try:  # every value a string or an integer, and the object canonical
            obj = _META_DECODER.decode(meta.decode("ascii"))
        except ValueError:
            return None
        if not all(type(v) is str or type(v) is int for v in obj.values()):
            return None
        if _META_ENCODER.encode(obj).encode("ascii") != meta:
            return None
    size, digest = int(m["len"]), m["sha"].decode()
    raw: bytes | None = None
    if inline_raw(kind.decode(), size):
        if text is None:
            return None
        raw = binascii.a2b_base64(text, strict_mode=True)
        if (
            binascii.b2a_base64(raw, newline=False) != text
            or len(raw) != size
            or hashlib.sha256(raw).hexdigest() != digest
        ):
            return None
    elif text is not None:
        return None
    source: dict[str, Any] = {"channel": channel.decode()}
    if name is not None:
        source["name"] = name.decode()
    if row is not None:
        source["row"] = int(row)
    if file is not None:
        source["sha256"] = file.decode()
    blob = m["blob"]
    return LeafInfo(
        kind.decode(),
        source["channel"],
        source,
        m["at"].decode(),
        digest,
        size,
        raw,
        "" if blob is None else blob.decode(),
    )


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
    a2b, b2a = binascii.a2b_base64, binascii.b2a_base64
    for i, line in enumerate(lines, start):
        try:
            leaf = a2b(line, strict_mode=True)
        except (binascii.Error, ValueError):
            leaf = None
        if leaf is None or b2a(leaf, newline=False) != line:
            out.append((i, None, None, "leaf.base64: not the canonical base64 of the leaf bytes"))
            continue
        digest = sha256(b"\x00" + leaf).digest()
        info = _plain_info(leaf, election_id)
        if info is not None:
            out.append((i, digest, info, ""))
            continue
        try:
            out.append((i, digest, leaf_info(decode_leaf(leaf), election_id), ""))
        except ValueError as exc:
            out.append((i, digest, None, f"leaf.malformed: {exc}"))
    return out


@dataclass(frozen=True, slots=True)
class Binding:
    """How to read the rows of one imported file."""

    event: ImportEvent
    mapping: ImportMapping | None  # None when the bundle has no mapping of that name
    header: Header | None  # None when the header does not bind
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
    region_names: Mapping[RegionCode, str]


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
    if event.encoding not in _CODECS and not event.encoding.startswith("utf-16"):
        return Binding(event, mapping, None, 0, delimiter, f"unknown encoding {event.encoding!r}")
    try:
        columns = [h.strip() for h in next(csv.reader([event.header], delimiter=delimiter))]
        header = header_for(mapping, election, columns)
    except (csv.Error, StopIteration, ValueError) as exc:
        return Binding(event, mapping, None, 0, delimiter, f"header does not bind: {exc}")
    return Binding(event, mapping, header, len(columns), delimiter)


# A line break (for str.splitlines), a quote or a NUL: the csv module must read the row.
# (Rows up to MAX_INLINE_RAW characters are well within any csv field size limit.)
_CSV_SPECIAL = re.compile('["\r\n\0\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')


def csv_rows(text: str, delimiter: str) -> list[list[str]]:
    """``list(csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=False))``.

    One line without quotes (the usual row) is split directly, which is what
    the csv module would give; raises ``csv.Error`` as it does.
    """
    if len(text) <= MAX_INLINE_RAW and _CSV_SPECIAL.search(text) is None:
        return [text.split(delimiter)] if text else []
    return list(csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=False))


@dataclass(frozen=True, slots=True)
class RegistryReading:
    """What a registry file gives, as the importer reads it: region names (first
    wins) and the registered voters of each table it lists (None when not a number)."""

    names: dict[str, tuple[int, str]]
    registered: dict[str, int | None]


def read_registry(binding: Binding, data: bytes, election: Election) -> RegistryReading:
    """Read a logged registry file again; raises ValueError when it cannot be.

    The same steps as the importer (``tabular.open_table_file`` and
    ``importing.import_bytes``): decode with the logged encoding, skip leading
    blank lines and the header, split the rest into CSV records (a blank one
    is not a row), read each row with the mapping.
    """
    header, mapping = binding.header, binding.mapping
    if header is None or mapping is None or not binding.registry:
        raise ValueError(binding.problem or "not a registry import")
    if data.startswith(b"PK\x03\x04"):
        raise ValueError("a zipped registry is not re-read")
    encoding = binding.event.encoding
    try:
        if encoding == "utf-8-sig":
            text = data[3:].decode("utf-8")
        elif encoding.startswith("utf-16"):
            text = data.decode("utf-16")
        else:
            text = data.decode(_codec(encoding, data))
    except (UnicodeDecodeError, KeyError) as exc:
        raise ValueError(f"the file is not {encoding}: {exc}") from None
    lines = text.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    names: dict[str, tuple[int, str]] = {}
    registered: dict[str, int | None] = {}
    for _, _, fields in split_rows(lines[1:], binding.delimiter, binding.width):
        read_registry_row(header, fields, binding.width, names, registered)
    return RegistryReading(names, registered)


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
    try:
        rows = csv_rows(text, binding.delimiter)
    except csv.Error as exc:
        reading = unreadable_row(row, str(exc))
    else:
        if len(rows) != 1 or not rows[0] or (len(rows[0]) == 1 and not rows[0][0].strip()):
            raise ValueError(f"raw bytes hold {len(rows)} CSV rows, not one data row")
        reading = judge_row(header, rows[0], binding.width, row, context)  # as the importer
    # region codes are strings (RegionCode is a NewType): the reader's fresh dict will do
    return Reading(reading.table_id, reading.counts, reading.findings, reading.region_names)
