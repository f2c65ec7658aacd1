"""One row of a results or registry file -> table id, counts, names and findings.

Pure: the importer (an adapter) splits a file into rows of text fields and
calls :func:`read_row`. A row that cannot be read still yields a
:class:`RowReading` with findings, so that it can be logged as received.
Clean rows take a fast path (:mod:`.rowplan`) that gives the same answers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from actas.core.definitions import TEMPLATE_FIELD, ImportMapping
from actas.core.model import Election, Finding, RegionCode, Severity, TableId
from actas.core.results.reading import MAX_COUNT, ROLES, RowReading, counts_of
from actas.core.results.rowplan import RowPlan, read_clean, row_plan

__all__ = ["Header", "RowReading", "header_for", "read_registry_row", "read_row", "split_rows"]


@dataclass(frozen=True, slots=True)
class Header:
    """A mapping bound to a file's header: column name -> position."""

    mapping: ImportMapping
    election: Election
    index: dict[str, int]
    missing_optional: tuple[str, ...] = ()
    plan: RowPlan | None = None  # the fast path for clean rows, when the mapping allows one


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
    header = Header(mapping, election, index, tuple(sorted(optional)))
    return Header(
        mapping, election, index, header.missing_optional, row_plan(mapping, election, index)
    )


def _int(text: str, column: str, findings: list[Finding], table: str | None) -> int | None:
    t = text.strip()
    if not t:
        return None
    if t.isascii() and t.isdigit():
        v = int(t)
        if v <= MAX_COUNT:
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
    if h.plan is not None:
        width = len(h.index) if row_width is None else row_width
        if len(fields) == width:
            fast = read_clean(h.plan, fields)
            if fast is not None:
                return fast
    return _read_any(h, fields, row_width)


def split_rows(
    lines: Sequence[str], delimiter: str, width: int | None = None
) -> Iterator[tuple[int, int, list[str]]]:
    """The data rows of a file's lines (after its header): ``(first line, lines, fields)``
    of each, a row whose quoting spans lines taking all of them; blank lines are no
    rows; a row the csv module refuses is ``["\\0" + its error]``. The importer and the
    verifier's re-reading split files with it, so they cannot disagree on a row.

    A broken quote (an opening quote never closed) would swallow every line after it
    into one field. So a record that spans lines but does not come out as one row of
    ``width`` fields (the header's), or that swallowed a line which is a whole row of
    ``width`` fields by itself, or that the csv module refuses, is taken to be a
    broken line: that first line alone is the row (split by itself, as the verifier
    re-reads its raw bytes), and reading starts again at the next line — one finding
    for the broken row, none of the rows after it lost.
    """
    pos = 0
    while pos < len(lines):
        reader = csv.reader(iter(lines[pos:]), delimiter=delimiter, strict=False)
        consumed = 0
        restart = None
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start, consumed = consumed, reader.line_num
                if consumed - start > 1:
                    restart = start
                    break
                yield pos + start, max(consumed - start, 1), [f"\0{exc}"]
                continue
            start, consumed = consumed, reader.line_num
            if (
                consumed - start > 1
                and width is not None
                and _broken(fields, lines[pos + start + 1 : pos + consumed], delimiter, width)
            ):
                restart = start
                break
            if fields and not (len(fields) == 1 and not fields[0].strip()):
                yield pos + start, consumed - start, fields
        first = pos + restart
        yield first, 1, _one_line(lines[first], delimiter)
        pos = first + 1


def _broken(fields: list[str], swallowed: Sequence[str], delimiter: str, width: int) -> bool:
    """Whether a record over several lines is a broken quote: not one row of ``width``
    fields, or it swallowed a line that is a whole row of ``width`` fields by itself."""
    if len(fields) != width:
        return True
    return any(len(_one_line(line, delimiter)) == width for line in swallowed)


def _one_line(line: str, delimiter: str) -> list[str]:
    """The fields of one line by itself, as its raw bytes re-read give them."""
    text = line.rstrip("\r\n")
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=False), [""])
    except csv.Error as exc:
        return [f"\0{exc}"]


def read_registry_row(
    h: Header,
    fields: Sequence[str],
    row_width: int | None,
    names: dict[str, tuple[int, str]],
    registered: dict[str, int | None],
) -> None:
    """Read one row of a registry file into ``names`` (region code -> (level, name);
    the first name wins) and ``registered`` (table id -> registered voters, None when
    not a number). The importer and the verifier's re-reading both use it."""
    m, election = h.mapping, h.election
    reading = read_row(h, fields, row_width)
    for code, name in reading.region_names.items():
        names.setdefault(code, (election.scheme.level_of(code), name))
    if m.region_column:
        region = fields[h.index[m.region_column]].strip()
        name_col = m.region_names.get(m.region_level)
        if name_col and region:
            level = [lv.id for lv in election.levels].index(m.region_level)
            width = sum(lv.width for lv in election.levels[: level + 1])
            region = region.zfill(width) if width else region
            names.setdefault(region, (level, fields[h.index[name_col]].strip()[:200]))
    elif reading.table_id is not None:
        column = m.columns.get("registered")
        value = fields[h.index[column]].strip() if column in h.index else ""
        registered[reading.table_id] = int(value) if value.isdigit() else None


def _read_any(h: Header, fields: Sequence[str], row_width: int | None = None) -> RowReading:
    """The general reader: every row, with a finding for each problem."""
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

    extra = {r: number(r) for r in ROLES}
    if len(findings) > bad_before or any(v is None for v in votes) or table_id is None:
        return RowReading(table_id, None, tuple(findings), names, meta)
    counts = counts_of(tuple(v for v in votes if v is not None), options, extra)
    return RowReading(table_id, counts, tuple(findings), names, meta)
