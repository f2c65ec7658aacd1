"""The nouns of Actas: elections, regions, tables, counts, submissions, findings.

Pure data: frozen dataclasses, no I/O. Everything else in the package takes
and returns these.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NewType, cast

__all__ = [
    "Candidate",
    "Counts",
    "Election",
    "Finding",
    "Level",
    "Option",
    "RegionCode",
    "Severity",
    "Source",
    "Submission",
    "SubmissionKind",
    "TableId",
    "TableIdScheme",
]

TableId = NewType("TableId", str)
RegionCode = NewType("RegionCode", str)


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class SubmissionKind(enum.StrEnum):
    RECORD = "record"  # a row of an imported results file
    PHOTO = "photo"  # an acta photo, with whatever was decoded from it
    TRANSCRIPTION = "transcription"  # counts typed by a person from a photo
    DECISION = "decision"  # a reviewer's or coordinator's decision about a table
    EVENT = "event"  # anything else worth logging (seed commitment, role change)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    name: str
    short: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """A ballot option (a party card) in payload order; votes count for ``candidate``."""

    id: str
    name: str
    candidate: str


@dataclass(frozen=True, slots=True)
class Level:
    """One level of the region hierarchy, e.g. state, municipality, parish, centre."""

    id: str
    name: str
    name_en: str = ""
    width: int = 0  # digits of this level's part of a table id; 0 = free text


@dataclass(frozen=True)
class TableIdScheme:
    """How a table id encodes its regions.

    A table id is the level parts joined by ``separator`` followed by
    ``table_separator`` and the table part: with widths 2,2,2,3 and table width
    2, Venezuela's ``201301006.01`` is state ``20``, municipality ``2013``,
    parish ``201301``, centre ``201301006``, table ``01``. A region's code is
    the prefix of the table id up to its level.
    """

    levels: tuple[Level, ...]
    separator: str = ""
    table_separator: str = "."
    table_width: int = 0
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _ends: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", _fixed_pattern(self))
        ends, total = [], 0
        for lv in self.levels:
            total += lv.width
            ends.append(total)
        object.__setattr__(self, "_ends", tuple(ends))

    def make(self, parts: tuple[str, ...], table: str) -> TableId:
        """Build a canonical table id from level parts and the table number.

        Numeric parts are zero-padded to the level width. Raises ValueError when
        a part is malformed (empty, too long, not digits where a width is set).
        """
        if len(parts) != len(self.levels):
            raise ValueError(f"expected {len(self.levels)} region parts, got {len(parts)}")
        out = [_pad(p, lvl.width, lvl.id) for p, lvl in zip(parts, self.levels, strict=True)]
        return TableId(
            self.separator.join(out) + self.table_separator + _pad(table, self.table_width, "table")
        )

    def split(self, table_id: str) -> tuple[tuple[str, ...], str]:
        """Inverse of :meth:`make`; raises ValueError on an id that does not fit."""
        fast = self._pattern
        if fast is not None:
            m = fast.fullmatch(table_id)
            if m is None:
                shape = "#" * sum(lv.width for lv in self.levels)
                shape += self.table_separator + "#" * self.table_width
                raise ValueError(f"table id {table_id[:40]!r} does not have the form {shape}")
            groups = m.groups()
            return tuple(groups[:-1]), groups[-1]
        head, sep, table = table_id.rpartition(self.table_separator)
        if not sep or not head or not table:
            raise ValueError(f"table id {table_id!r} has no {self.table_separator!r} table part")
        if self.separator:
            parts = tuple(head.split(self.separator))
        else:
            parts_l: list[str] = []
            pos = 0
            for lvl in self.levels:
                if lvl.width <= 0:
                    raise ValueError("a scheme without a separator needs a width on every level")
                parts_l.append(head[pos : pos + lvl.width])
                pos += lvl.width
            if pos != len(head):
                raise ValueError(f"table id {table_id!r} has the wrong length")
            parts = tuple(parts_l)
        if self.make(parts, table) != table_id:
            raise ValueError(f"table id {table_id!r} is not in canonical form")
        return parts, table

    def region_codes(self, table_id: str) -> tuple[RegionCode, ...]:
        """The code of every region containing the table, top level first."""
        if self._pattern is not None and self._pattern.fullmatch(table_id):
            # prefixes (a NewType call per code would cost more than the slice)
            return cast(tuple[RegionCode, ...], tuple([table_id[:e] for e in self._ends]))
        parts, _ = self.split(table_id)  # raises for an id that does not fit
        if not self.separator:
            return cast(tuple[RegionCode, ...], tuple([table_id[:e] for e in self._ends]))
        return tuple(RegionCode(self.separator.join(parts[: i + 1])) for i in range(len(parts)))

    def top_code(self, table_id: str) -> RegionCode:
        """``region_codes(table_id)[0]``, without building the others (rules ask it of
        every imported row); a fixed-width id's top region is its first digits."""
        if self._pattern is not None and self._pattern.fullmatch(table_id):
            return RegionCode(table_id[: self._ends[0]])
        return self.region_codes(table_id)[0]

    def level_of(self, code: str) -> int:
        """Index of the level a region code belongs to."""
        if self.separator:
            n = code.count(self.separator) + 1
            if n > len(self.levels):
                raise ValueError(f"region code {code!r} is too deep")
            return n - 1
        total = 0
        for i, lvl in enumerate(self.levels):
            total += lvl.width
            if len(code) == total and code.isdigit():
                return i
        raise ValueError(f"{code!r} is not a region code")

    def parent_of(self, code: str) -> RegionCode | None:
        i = self.level_of(code)
        if i == 0:
            return None
        if self.separator:
            return RegionCode(code.rsplit(self.separator, 1)[0])
        return RegionCode(code[: sum(lvl.width for lvl in self.levels[:i])])


def _fixed_pattern(scheme: TableIdScheme) -> re.Pattern[str] | None:
    """For schemes with fixed digit widths everywhere, one regex does the whole split."""
    if scheme.separator or not scheme.table_width or any(lv.width <= 0 for lv in scheme.levels):
        return None
    body = "".join(f"([0-9]{{{lv.width}}})" for lv in scheme.levels)
    return re.compile(f"{body}{re.escape(scheme.table_separator)}([0-9]{{{scheme.table_width}}})")


def _pad(part: str, width: int, what: str) -> str:
    part = part.strip()
    if not part:
        raise ValueError(f"empty {what} part")
    if width:
        if not (part.isascii() and part.isdigit()):
            raise ValueError(f"{what} part {part!r} is not a number")
        if len(part) > width:
            part = part.lstrip("0").rjust(width, "0")
            if len(part) > width:
                raise ValueError(f"{what} part {part!r} is longer than {width} digits")
        return part.rjust(width, "0")
    return part


@dataclass(frozen=True, slots=True)
class Election:
    """An election definition (see ``docs/election-format.md``)."""

    id: str
    name: str
    date: str
    candidates: tuple[Candidate, ...]
    options: tuple[Option, ...]
    scheme: TableIdScheme
    payload_format: str = ""
    expected_tables: int | None = None
    expected_registered: int | None = None
    country: str = ""
    name_en: str = ""
    expected_source: str = ""
    fictional: bool = False
    geometry: str = ""  # path of a GeoJSON file for the top level, relative to the definition
    geometry_key: str = ""  # property of a feature that holds the top-level region code
    region_names: Mapping[str, str] = field(default_factory=dict)
    attribution: str = ""
    timezone: str = ""  # IANA zone the portal shows times in (America/Caracas); "" = by country

    @property
    def levels(self) -> tuple[Level, ...]:
        return self.scheme.levels

    def candidate_index(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.candidates)}

    def option_to_candidate(self) -> tuple[int, ...]:
        """For each option in payload order, the index of its candidate."""
        idx = self.candidate_index()
        return tuple(idx[o.candidate] for o in self.options)

    def votes_from_options(self, options: tuple[int, ...]) -> tuple[int, ...]:
        votes = [0] * len(self.candidates)
        for ci, n in zip(self.option_to_candidate(), options, strict=True):
            votes[ci] += n
        return tuple(votes)


@dataclass(frozen=True, slots=True)
class Counts:
    """The numbers on one acta, as one source reports them.

    ``votes`` is per candidate in election order and always present. The other
    fields are ``None`` when the source does not carry them, so that two sources
    are compared only on what both know.
    """

    votes: tuple[int, ...]
    options: tuple[int, ...] | None = None  # per ballot option (card), payload order
    null: int | None = None
    invalid: int | None = None  # a further counter some actas print (normally 0)
    registered: int | None = None  # registered voters of the table, when the source states it
    ballots: int | None = None  # ballots cast / issued, when stated separately
    valid_reported: int | None = None  # valid votes as printed; may disagree with sum(votes)
    # canonical_json() once made (a submission's and its table's result share it)
    _json: str | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    @property
    def valid(self) -> int:
        return sum(self.votes)

    def canonical_json(self) -> str:
        """``json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True)``, written
        directly and kept (imports store it twice per row); a unit test holds the two to
        the same text."""
        text = self._json
        if text is not None:
            return text
        out = [
            f'"{k}":{int(v)}'
            for k, v in (("ballots", self.ballots), ("invalid", self.invalid), ("null", self.null))
            if v is not None
        ]
        if self.options is not None:
            out.append(f'"options":[{",".join(map(str, map(int, self.options)))}]')
        out.extend(
            f'"{k}":{int(v)}'
            for k, v in (("registered", self.registered), ("valid_reported", self.valid_reported))
            if v is not None
        )
        out.append(f'"votes":[{",".join(map(str, map(int, self.votes)))}]')
        text = "{" + ",".join(out) + "}"
        object.__setattr__(self, "_json", text)
        return text

    def comparable(self) -> dict[str, Any]:
        """The fields this source knows, for comparison with another source."""
        out: dict[str, Any] = {"votes": self.votes}
        for name in ("options", "null", "invalid", "registered", "ballots"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"votes": list(self.votes)}
        for name in ("options", "null", "invalid", "registered", "ballots", "valid_reported"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Counts:
        opts = data.get("options")
        return cls(
            votes=tuple(int(v) for v in data["votes"]),
            options=tuple(int(v) for v in opts) if opts is not None else None,
            null=_opt_int(data.get("null")),
            invalid=_opt_int(data.get("invalid")),
            registered=_opt_int(data.get("registered")),
            ballots=_opt_int(data.get("ballots")),
            valid_reported=_opt_int(data.get("valid_reported")),
        )


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a submission came from: an import file row, an upload, a person."""

    channel: str  # importer name ("cvzla-v1", "generic", ...), "photo", "transcription", ...
    name: str = ""  # file name, uploader label
    sha256: str = ""  # hex SHA-256 of the whole source file, when there is one
    row: int | None = None  # 1-based data row (header excluded) within the file

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"channel": self.channel}
        if self.name:
            out["name"] = self.name
        if self.sha256:
            out["sha256"] = self.sha256
        if self.row is not None:
            out["row"] = self.row
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem or remark about a submission or a table. A value, never an exception."""

    code: str
    severity: Severity
    message: str
    table_id: str | None = None
    fields: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
        }
        if self.table_id is not None:
            out["table_id"] = self.table_id
        if self.fields:
            out["fields"] = list(self.fields)
        return out


@dataclass(frozen=True, slots=True)
class Submission:
    """One thing received, exactly as received, and what could be read from it.

    ``raw`` is the exact bytes (a CSV row, a QR payload, a JSON transcription);
    for photos it is the photo's decoded payload and ``blob_sha256`` names the
    photo bytes. ``seq`` is the submission's leaf index in the log once stored.
    """

    kind: SubmissionKind
    source: Source
    received_at: str  # RFC 3339 UTC, supplied by the caller
    raw: bytes
    table_id: TableId | None = None
    counts: Counts | None = None
    findings: tuple[Finding, ...] = ()
    blob_sha256: str = ""  # photo bytes, when the submission is a photo
    actor: str = ""  # pseudonymous actor id for human actions
    meta: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None

    def identity(self) -> str:
        """What makes two submissions the same thing received twice (for dedupe).

        A photo is identified by its bytes; an imported row by the file's hash and
        the row number; anything else by its raw bytes, channel and actor.
        """
        if self.blob_sha256:
            return f"blob:{self.blob_sha256}"
        if self.source.sha256 and self.source.row is not None:
            return f"row:{self.source.channel}:{self.source.sha256}:{self.source.row}"
        h = hashlib.sha256(self.raw).hexdigest()
        return f"raw:{self.kind}:{self.source.channel}:{self.actor}:{self.received_at}:{h}"
