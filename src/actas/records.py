"""One row of a results or registry file -> table id, counts, names and findings.

Pure: the importer (an adapter) splits a file into rows of text fields and
calls :func:`read_row`. A row that cannot be read still yields a
:class:`RowReading` with findings, so that it can be logged as received.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .manifest import TEMPLATE_FIELD, ImportMapping
from .model import Counts, Election, Finding, RegionCode, Severity, TableId

__all__ = ["Header", "RowReading", "header_for", "read_row"]

_MAX_COUNT = 10_000_000  # larger than any polling station anywhere


@dataclass(frozen=True, slots=True)
class Header:
    """A mapping bound to a file's header: column name -> position."""

    mapping: ImportMapping
    election: Election
    index: dict[str, int]
    missing_optional: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowReading:
    table_id: TableId | None
    counts: Counts | None
    findings: tuple[Finding, ...]
    region_names: dict[RegionCode, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)


def header_for(mapping: ImportMapping, election: Election, columns: Sequence[str]) -> Header:
    """Bind ``mapping`` to a header row. Raises ValueError naming missing columns."""
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name.strip(), i)
    missing = sorted(c for c in mapping.required_columns() if c not in index)
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)} for format {mapping.name!r}")
    optional = [c for c in mapping.columns.values() if c not in index]
    optional += [c for group in mapping.column_sums.values() for c in group if c not in index]
    optional += [c for c in mapping.region_names.values() if c not in index]
    return Header(mapping, election, index, tuple(sorted(optional)))


def _int(text: str, column: str, findings: list[Finding], table: str | None) -> int | None:
    t = text.strip()
    if not t:
        return None
    if t.isascii() and t.isdigit():
        v = int(t)
        if v <= _MAX_COUNT:
            return v
        findings.append(_bad(column, f"{column} is absurdly large ({t[:20]})", table))
        return None
    msg = "is negative" if t.startswith("-") else "is not a whole number"
    findings.append(_bad(column, f"{column} {msg}: {t[:40]!r}", table))
    return None


def _bad(column: str, message: str, table: str | None) -> Finding:
    return Finding("row.bad_value", Severity.ERROR, message, table, (column,))


def _table_id(h: Header, fields: Sequence[str]) -> tuple[TableId | None, Finding | None]:
    m = h.mapping
    scheme = h.election.scheme
    if not m.id_template and not m.id_column:
        return None, None  # a registry keyed by a region column: rows name regions, not tables
    try:
        if m.id_template:

            def fill(match: re.Match[str]) -> str:
                name, width = match.group(1), int(match.group(2) or 0)
                value = fields[h.index[name]].strip()
                if width:
                    if not (value.isascii() and value.isdigit()):
                        raise ValueError(f"{name} is not a number: {value[:20]!r}")
                    value = value.lstrip("0").rjust(width, "0")
                    if len(value) > width:
                        raise ValueError(f"{name} has more than {width} digits: {value[:20]!r}")
                return value

            candidate = TEMPLATE_FIELD.sub(fill, m.id_template)
        else:
            value = fields[h.index[m.id_column]].strip()
            candidate = value
            if m.id_pattern:
                match = re.fullmatch(m.id_pattern, value)
                if not match:
                    raise ValueError(f"{m.id_column} {value[:40]!r} does not match the id pattern")
                candidate = match.group(1)
        scheme.split(candidate)
        return TableId(candidate), None
    except ValueError as exc:
        return None, Finding("table.malformed_id", Severity.ERROR, f"bad table id: {exc}")


def read_row(h: Header, fields: Sequence[str], row_width: int | None = None) -> RowReading:
    """Read one data row. Never raises for bad data: problems become findings."""
    findings: list[Finding] = []
    width = len(h.index) if row_width is None else row_width
    if len(fields) != width:
        findings.append(
            Finding(
                "row.wrong_width",
                Severity.ERROR,
                f"row has {len(fields)} fields, the header has {width}",
            )
        )
        if len(fields) < width:
            return RowReading(None, None, tuple(findings))
    table_id, problem = _table_id(h, fields)
    if problem:
        findings.append(problem)
    names: dict[RegionCode, str] = {}
    if table_id is not None and h.mapping.region_names:
        codes = h.election.scheme.region_codes(table_id)
        for i, lvl in enumerate(h.election.levels):
            col = h.mapping.region_names.get(lvl.id)
            if col is not None and col in h.index:
                name = fields[h.index[col]].strip()
                if name:
                    names[codes[i]] = name[:200]
    meta: dict[str, str] = {}
    for role in ("photo_url", "photo_name"):
        col = h.mapping.columns.get(role)
        if col is not None and col in h.index:
            value = fields[h.index[col]].strip()
            if value:
                meta[role] = value[:500]
    if h.mapping.kind == "registry":
        return RowReading(table_id, None, tuple(findings), names, meta)

    tid = str(table_id) if table_id else None
    bad_before = len(findings)
    election = h.election
    options: tuple[int, ...] | None = None
    votes: list[int | None]
    if h.mapping.options:
        opt_values = [
            _int(fields[h.index[h.mapping.options[o.id]]], h.mapping.options[o.id], findings, tid)
            for o in election.options
        ]
        missing = [o.id for o, v in zip(election.options, opt_values, strict=True) if v is None]
        if missing and len(findings) == bad_before:
            findings.append(
                Finding("row.missing_value", Severity.ERROR, f"no count for {missing[:3]}", tid)
            )
        if all(v is not None for v in opt_values):
            options = tuple(v for v in opt_values if v is not None)
            votes = list(election.votes_from_options(options))
        else:
            votes = [None]
    else:
        votes = []
        for cand in election.candidates:
            total: int | None = 0
            for col in h.mapping.candidates[cand.id]:
                v = _int(fields[h.index[col]], col, findings, tid)
                if v is None:
                    if len(findings) == bad_before:
                        findings.append(
                            Finding(
                                "row.missing_value", Severity.ERROR, f"{col} is empty", tid, (col,)
                            )
                        )
                    total = None
                elif total is not None:
                    total += v
            votes.append(total)

    def number(name: str) -> int | None:
        group = h.mapping.column_sums.get(name)
        if group is not None:  # a role given as several columns: their sum, if all known
            if any(c not in h.index for c in group):
                return None
            parts = [_int(fields[h.index[c]], c, findings, tid) for c in group]
            return None if any(v is None for v in parts) else sum(v for v in parts if v)
        col = h.mapping.columns.get(name)
        if col is None or col not in h.index:
            return None
        return _int(fields[h.index[col]], col, findings, tid)

    extra = {r: number(r) for r in ("registered", "valid", "null", "invalid", "ballots")}
    if len(findings) > bad_before or any(v is None for v in votes) or table_id is None:
        return RowReading(table_id, None, tuple(findings), names, meta)
    counts = Counts(
        votes=tuple(v for v in votes if v is not None),
        options=options,
        null=extra["null"],
        invalid=extra["invalid"],
        registered=extra["registered"],
        ballots=extra["ballots"],
        valid_reported=extra["valid"],
    )
    return RowReading(table_id, counts, tuple(findings), names, meta)
