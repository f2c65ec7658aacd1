"""One row of a results or registry file -> table id, counts, names and findings.

Pure: the importer (an adapter) splits a file into rows of text fields and
calls :func:`read_row`. A row that cannot be read still yields a
:class:`RowReading` with findings, so that it can be logged as received.
"""

from __future__ import annotations

import csv
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from actas.core.definitions import TEMPLATE_FIELD, ImportMapping
from actas.core.model import Counts, Election, Finding, RegionCode, Severity, TableId

__all__ = ["Header", "RowReading", "header_for", "read_registry_row", "read_row", "split_rows"]

_MAX_COUNT = 10_000_000  # larger than any polling station anywhere
_ROLES = ("registered", "valid", "null", "invalid", "ballots")  # the count roles beside votes


@dataclass(frozen=True, slots=True)
class Header:
    """A mapping bound to a file's header: column name -> position."""

    mapping: ImportMapping
    election: Election
    index: dict[str, int]
    missing_optional: tuple[str, ...] = ()
    plan: _Plan | None = None  # the fast path for clean rows, when the mapping allows one


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
    header = Header(mapping, election, index, tuple(sorted(optional)))
    return Header(mapping, election, index, header.missing_optional, _plan(header))


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
    if h.plan is not None:
        width = len(h.index) if row_width is None else row_width
        if len(fields) == width:
            fast = _read_clean(h.plan, fields)
            if fast is not None:
                return fast
    return _read_any(h, fields, row_width)


def split_rows(lines: Sequence[str], delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """The data rows of a file's lines (after its header): ``(first line, lines, fields)``
    of each, a row whose quoting spans lines taking all of them; blank lines are no
    rows; a row the csv module refuses is ``["\\0" + its error]``. The importer and the
    verifier's re-reading split files with it, so they cannot disagree on a row."""
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=False)
    consumed = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, consumed = consumed, reader.line_num
            yield start, max(consumed - start, 1), [f"\0{exc}"]
            continue
        start, consumed = consumed, reader.line_num
        if fields and not (len(fields) == 1 and not fields[0].strip()):
            yield start, consumed - start, fields


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

    extra = {r: number(r) for r in _ROLES}
    if len(findings) > bad_before or any(v is None for v in votes) or table_id is None:
        return RowReading(table_id, None, tuple(findings), names, meta)
    counts = _counts(tuple(v for v in votes if v is not None), options, extra)
    return RowReading(table_id, counts, tuple(findings), names, meta)


def _counts(
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


# ----------------------------------------------------------------- the fast path
#
# Most rows of a real file are clean: the right width, a well-formed id and
# plain digits in every count. For those, ``_read_clean`` gives exactly what
# ``_read_any`` gives, from column positions worked out once per file; any row
# it is not sure of (an empty, signed, spaced, huge or non-ASCII value, a bad
# id) goes to ``_read_any``, which explains the problem. A property test holds
# the two to the same answers.

_MAX_DIGITS = len(str(_MAX_COUNT)) - 1  # any run of this many digits is <= _MAX_COUNT
# cells joined by NUL: each 1.._MAX_DIGITS ASCII digits, nothing else
_PLAIN_COUNTS = re.compile(rf"[0-9]{{1,{_MAX_DIGITS}}}(?:\0[0-9]{{1,{_MAX_DIGITS}}})*")


@dataclass(frozen=True, slots=True)
class _Plan:
    election: Election
    id_parts: tuple[tuple[str, int, int], ...]  # (literal before, column, width or 0)
    id_tail: str
    id_col: int  # with an id column instead of a template; -1 without
    id_regex: re.Pattern[str] | None
    option_cols: tuple[int, ...] | None
    candidate_cols: tuple[tuple[int, ...], ...]
    extras: tuple[tuple[str, tuple[int, ...] | None], ...]  # role -> columns (None: absent)
    names: tuple[tuple[int, int], ...]  # (level index, column)
    meta: tuple[tuple[str, int], ...]
    count_cells: Callable[[Sequence[str]], tuple[str, ...]]  # the vote cells, in order
    single_columns: bool  # one column per candidate
    # the vote cells and then every present role's cells; each role's slice of them
    all_cells: Callable[[Sequence[str]], tuple[str, ...]]
    extra_slices: tuple[tuple[str, int, int], ...]  # (role, start, end), None roles left out
    vote_cells: int  # how many of all_cells are vote cells
    # a template of fixed-width numbers only ("{CENTRO:09}.{MESA:02}"): the id is
    # id_format % the cells' integers, id_len characters long when none is too wide
    id_format: str | None = None
    id_cells: Callable[[Sequence[str]], tuple[str, ...]] | None = None
    id_len: int = 0


def _cells(cols: Sequence[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    if len(cols) == 1:
        col = cols[0]
        return lambda fields: (fields[col],)
    return operator.itemgetter(*cols)


def _plan(h: Header) -> _Plan | None:
    m, ix = h.mapping, h.index
    if m.kind != "results" or not (m.id_template or m.id_column):
        return None
    parts: list[tuple[str, int, int]] = []
    pos = 0
    for match in TEMPLATE_FIELD.finditer(m.id_template):
        parts.append(
            (m.id_template[pos : match.start()], ix[match.group(1)], int(match.group(2) or 0))
        )
        pos = match.end()
    extras: list[tuple[str, tuple[int, ...] | None]] = []
    for role in _ROLES:
        group = m.column_sums.get(role)
        col = m.columns.get(role)
        if group is not None:
            cols = None if any(c not in ix for c in group) else tuple(ix[c] for c in group)
        elif col is not None and col in ix:
            cols = (ix[col],)
        else:
            cols = None
        extras.append((role, cols))
    election = h.election
    option_cols = tuple(ix[m.options[o.id]] for o in election.options) if m.options else None
    candidate_cols = (
        ()
        if m.options
        else tuple(tuple(ix[c] for c in m.candidates[k.id]) for k in election.candidates)
    )
    cells = option_cols if option_cols is not None else [c for g in candidate_cols for c in g]
    if not cells:
        return None
    every = list(cells)
    slices = []
    for role, role_cols in extras:
        if role_cols is not None:
            slices.append((role, len(every), len(every) + len(role_cols)))
            every.extend(role_cols)
    return _Plan(
        election=election,
        id_parts=tuple(parts),
        id_tail=m.id_template[pos:],
        **_id_format(parts, m.id_template[pos:]),
        id_col=-1 if m.id_template else ix[m.id_column],
        id_regex=re.compile(m.id_pattern) if m.id_pattern and not m.id_template else None,
        option_cols=option_cols,
        candidate_cols=candidate_cols,
        extras=tuple(extras),
        names=tuple(
            (i, ix[m.region_names[lvl.id]])
            for i, lvl in enumerate(election.levels)
            if lvl.id in m.region_names and m.region_names[lvl.id] in ix
        ),
        meta=tuple(
            (role, ix[m.columns[role]])
            for role in ("photo_url", "photo_name")
            if role in m.columns and m.columns[role] in ix
        ),
        count_cells=_cells(cells),
        single_columns=all(len(g) == 1 for g in candidate_cols),
        all_cells=_cells(every),
        extra_slices=tuple(slices),
        vote_cells=len(cells),
    )


def _count(text: str) -> int | None:
    """A plain count, or None when the general reader must look at it."""
    if len(text) <= _MAX_DIGITS and text.isdigit() and text.isascii():
        return int(text)
    return None


def _id_format(parts: Sequence[tuple[str, int, int]], tail: str) -> dict[str, Any]:
    """The plan's ``id_format``, ``id_cells`` and ``id_len`` when every template field
    has a width (else none: the general template code builds the id)."""
    if not parts or any(width <= 0 for _, _, width in parts):
        return {}
    fmt = "".join(f"{lit.replace('%', '%%')}%0{width}d" for lit, _, width in parts)
    return {
        "id_format": fmt + tail.replace("%", "%%"),
        "id_cells": _cells([col for _, col, _ in parts]),
        "id_len": sum(len(lit) + width for lit, _, width in parts) + len(tail),
    }


def _clean_id(p: _Plan, fields: Sequence[str]) -> str | None:
    if p.id_cells is not None and p.id_format is not None:
        # plain digits only (a space, a sign, a non-ASCII digit: the general reader)
        cells = p.id_cells(fields)
        joined = "".join(cells)
        if not (all(cells) and joined.isdigit() and joined.isascii()):
            return None
        tid = p.id_format % tuple(map(int, cells))
        return tid if len(tid) == p.id_len else None
    if p.id_col >= 0:
        value = fields[p.id_col].strip()
        if p.id_regex is None:
            return value
        match = p.id_regex.fullmatch(value)
        return None if match is None else match.group(1)
    pieces = []
    for literal, col, width in p.id_parts:
        value = fields[col].strip()
        if width:
            if not (value.isascii() and value.isdigit()):
                return None
            value = value.lstrip("0").rjust(width, "0")
            if len(value) > width:
                return None
        pieces.append(literal)
        pieces.append(value)
    pieces.append(p.id_tail)
    return "".join(pieces)


def _clean_extras(p: _Plan, fields: Sequence[str]) -> dict[str, int | None] | None:
    """The count roles of a row whose cells are not all plain; None: ask the general reader."""
    extra: dict[str, int | None] = {}
    for role, group in p.extras:
        if group is None:
            extra[role] = None
            continue
        parts = [fields[c] for c in group]
        if not _PLAIN_COUNTS.fullmatch("\0".join(parts)):
            # an empty cell makes the role unknown, as the general reader says,
            # unless another cell is bad (which it explains)
            if all(not t.strip() or _count(t) is not None for t in parts) and not all(parts):
                extra[role] = None
                continue
            return None
        extra[role] = sum(map(int, parts))
    return extra


def _read_clean(p: _Plan, fields: Sequence[str]) -> RowReading | None:
    tid = _clean_id(p, fields)
    if tid is None:
        return None
    try:  # region_codes checks the id's form as split does
        codes = p.election.scheme.region_codes(tid)
    except ValueError:
        return None
    every = p.all_cells(fields)
    if _PLAIN_COUNTS.fullmatch("\0".join(every)):  # the usual row: every count plain
        numbers = list(map(int, every))
        extra: dict[str, int | None] = dict.fromkeys(_ROLES)
        for role, start, end in p.extra_slices:
            extra[role] = numbers[start] if end == start + 1 else sum(numbers[start:end])
        values = numbers[: p.vote_cells]
    else:
        cells = p.count_cells(fields)
        if not _PLAIN_COUNTS.fullmatch("\0".join(cells)):
            return None
        values = list(map(int, cells))
        found = _clean_extras(p, fields)
        if found is None:
            return None
        extra = found
    options: tuple[int, ...] | None = None
    if p.option_cols is not None:
        options = tuple(values)
        votes = p.election.votes_from_options(options)
    elif p.single_columns:
        votes = tuple(values)
    else:
        totals = []
        pos = 0
        for cols in p.candidate_cols:
            totals.append(sum(values[pos : pos + len(cols)]))
            pos += len(cols)
        votes = tuple(totals)
    names: dict[RegionCode, str] = {}
    if p.names:
        for level, col in p.names:
            name = fields[col].strip()
            if name:
                names[codes[level]] = name[:200]
    meta: dict[str, str] = {}
    for role, col in p.meta:
        value = fields[col].strip()
        if value:
            meta[role] = value[:500]
    return RowReading(TableId(tid), _counts(votes, options, extra), (), names, meta)
