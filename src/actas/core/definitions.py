"""Election definitions and import mappings: TOML text in, validated dataclasses out.

Pure: the caller reads the file and passes its text and a name for messages.
Every error is a :class:`~actas.core.errors.DefinitionError` naming the file, the key
and the reason. Formats: ``docs/election-format.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from actas.core.errors import DefinitionError
from actas.core.model import Candidate, Election, Level, Option, TableIdScheme
from actas.core.payload import FORMATS

__all__ = ["ROLES", "TEMPLATE_FIELD", "ImportMapping", "parse_election", "parse_mapping"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,63}$")
TEMPLATE_FIELD = re.compile(r"\{([^{}:]+)(?::0?(\d+))?\}")


def _load(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{origin}: not valid TOML: {exc}") from None


class _Reader:
    """Typed access to a TOML table with precise error messages."""

    def __init__(self, data: Mapping[str, Any], origin: str, path: str = "") -> None:
        self.data, self.origin, self.path = data, origin, path

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> DefinitionError:
        return DefinitionError(f"{self.origin}: [{self._key(key)}] {reason}")

    def table(self, key: str, required: bool = True) -> _Reader:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is missing")
            value = {}
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(value, self.origin, self._key(key))

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "is missing")
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {type(value).__name__}")
        return value

    def integer(self, key: str, default: int | None = None, minimum: int = 0) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, "must be an integer")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}")
        return value

    def array(self, key: str, required: bool = True) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is missing")
            return []
        if not isinstance(value, list):
            raise self.fail(key, "must be an array")
        return value

    def ident(self, key: str) -> str:
        value = self.text(key)
        if not _ID.match(value):
            raise self.fail(key, f"{value!r} is not a valid id (letters, digits, _ . - space)")
        return value


def parse_election(text: str, origin: str = "<election>") -> Election:
    """Parse and validate an election definition."""
    root = _Reader(_load(text, origin), origin)
    el = root.table("election")
    regions = root.table("regions")
    levels: list[Level] = []
    for i, item in enumerate(regions.array("levels")):
        if not isinstance(item, dict):
            raise regions.fail(f"levels[{i}]", "must be a table")
        lr = _Reader(item, origin, f"regions.levels[{i}]")
        width = lr.integer("width", 0)
        levels.append(Level(lr.ident("id"), lr.text("name"), lr.text("name_en", ""), width or 0))
    if not levels:
        raise regions.fail("levels", "needs at least one level")
    if len({lv.id for lv in levels}) != len(levels):
        raise regions.fail("levels", "level ids must be unique")
    scheme = TableIdScheme(
        levels=tuple(levels),
        separator=regions.text("separator", ""),
        table_separator=regions.text("table_separator", "."),
        table_width=regions.integer("table_width", 0) or 0,
    )
    if not scheme.separator and any(lv.width <= 0 for lv in levels):
        raise regions.fail("levels", "every level needs a width when separator is empty")
    if not scheme.table_separator:
        raise regions.fail("table_separator", "must not be empty")
    names = regions.table("names", required=False).data
    for code, name in names.items():
        if not isinstance(name, str):
            raise regions.fail(f"names.{code}", "must be a string")
        try:
            if scheme.level_of(code) != 0:
                raise ValueError("not a top-level code")
        except ValueError as exc:
            raise regions.fail(f"names.{code}", str(exc)) from None

    candidates: list[Candidate] = []
    for i, item in enumerate(root.array("candidates")):
        cr = _Reader(item if isinstance(item, dict) else {}, origin, f"candidates[{i}]")
        candidates.append(Candidate(cr.ident("id"), cr.text("name"), cr.text("short", "")))
    if not candidates:
        raise root.fail("candidates", "needs at least one candidate")
    cand_ids = [c.id for c in candidates]
    if len(set(cand_ids)) != len(cand_ids):
        raise root.fail("candidates", "candidate ids must be unique")

    options: list[Option] = []
    for i, item in enumerate(root.array("options", required=False)):
        orr = _Reader(item if isinstance(item, dict) else {}, origin, f"options[{i}]")
        cand = orr.text("candidate")
        if cand not in cand_ids:
            raise orr.fail("candidate", f"{cand!r} is not a candidate id")
        oid = orr.text("id")
        options.append(Option(oid, orr.text("name", oid), cand))
    if not options:  # one option per candidate
        options = [Option(c.id, c.name, c.id) for c in candidates]
    if len({o.id for o in options}) != len(options):
        raise root.fail("options", "option ids must be unique")

    payload = root.table("payload", required=False)
    fmt = payload.text("format", "")
    if fmt and fmt not in FORMATS:
        raise payload.fail("format", f"unknown payload format {fmt!r}; known: {sorted(FORMATS)}")
    expected = root.table("expected", required=False)
    geo = root.table("geometry", required=False)
    return Election(
        id=el.ident("id"),
        name=el.text("name"),
        name_en=el.text("name_en", ""),
        date=el.text("date"),
        country=el.text("country", ""),
        fictional=bool(el.data.get("fictional", False)),
        candidates=tuple(candidates),
        options=tuple(options),
        scheme=scheme,
        payload_format=fmt,
        expected_tables=expected.integer("tables"),
        expected_registered=expected.integer("registered"),
        expected_source=expected.text("source", ""),
        geometry=geo.text("file", ""),
        geometry_key=geo.text("key", ""),
        attribution=geo.text("attribution", ""),
        region_names=dict(names),
        timezone=el.text("timezone", ""),
    )


@dataclass(frozen=True, slots=True)
class ImportMapping:
    """How the columns of a CSV file map to tables, counts and names.

    A count role in ``[columns]`` (registered, valid, null, invalid, ballots)
    names one column, or a list of columns whose values are summed, as a
    candidate may (e.g. ballots issued = early + on the day + outside); a
    summed role is unknown for a row when any of its columns is empty.
    """

    name: str
    kind: str  # "results" or "registry"
    description: str
    match: tuple[str, ...]
    id_template: str = ""  # e.g. "{CENTRO:09}.{MESA:02}"
    id_column: str = ""
    id_pattern: str = ""  # regex with one group giving the table id
    region_column: str = ""  # registry files keyed by a region code
    region_level: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)  # role -> column
    # role -> columns whose values are summed (a role given as a list in [columns])
    column_sums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    candidates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    region_names: Mapping[str, str] = field(default_factory=dict)  # level id -> column
    encoding: str = "auto"
    delimiter: str = ","

    def template_fields(self) -> list[tuple[str, int]]:
        return [
            (m.group(1), int(m.group(2) or 0)) for m in TEMPLATE_FIELD.finditer(self.id_template)
        ]

    def required_columns(self) -> set[str]:
        cols = set(self.match)
        cols.update(name for name, _ in self.template_fields())
        if self.id_column:
            cols.add(self.id_column)
        if self.region_column:
            cols.add(self.region_column)
        for group in self.candidates.values():
            cols.update(group)
        cols.update(self.options.values())
        return cols


ROLES = ("registered", "valid", "null", "invalid", "ballots", "photo_url", "photo_name")


def parse_mapping(text: str, election: Election, origin: str = "<mapping>") -> ImportMapping:
    """Parse an import mapping and check it against the election."""
    root = _Reader(_load(text, origin), origin)
    fmt = root.table("format")
    kind = fmt.text("kind", "results")
    if kind not in ("results", "registry"):
        raise fmt.fail("kind", "must be 'results' or 'registry'")
    table = root.table("table")
    id_template = table.text("id", "")
    id_column = table.text("id_column", "")
    id_pattern = table.text("id_pattern", "")
    region_column = table.text("region_column", "")
    region_level = table.text("region_level", "")
    if sum(bool(x) for x in (id_template, id_column, region_column)) != 1:
        raise table.fail("id", "give exactly one of id (a template), id_column or region_column")
    if id_pattern:
        try:
            if re.compile(id_pattern).groups != 1:
                raise table.fail("id_pattern", "must have exactly one group (the table id)")
        except re.error as exc:
            raise table.fail("id_pattern", f"invalid regex: {exc}") from None
    if region_column and region_level not in {lv.id for lv in election.levels}:
        raise table.fail("region_level", f"must be one of {[lv.id for lv in election.levels]}")
    if id_template and not TEMPLATE_FIELD.search(id_template):
        raise table.fail("id", "template has no {COLUMN} field")

    cols = root.table("columns", required=False)
    columns: dict[str, str] = {}
    column_sums: dict[str, tuple[str, ...]] = {}
    for role, value in cols.data.items():
        if role not in ROLES:
            raise cols.fail(role, f"unknown role; known: {', '.join(ROLES)}")
        if isinstance(value, list):  # several columns whose values are summed
            if role in ("photo_url", "photo_name"):
                raise cols.fail(role, "must be one column")
            if not value or not all(isinstance(v, str) and v for v in value):
                raise cols.fail(role, "must be a column name or a non-empty list of column names")
            if len(set(value)) != len(value):
                raise cols.fail(role, "lists a column twice")
            column_sums[role] = tuple(value)
        else:
            columns[role] = cols.text(role)

    cand_ids = {c.id for c in election.candidates}
    cands = root.table("candidates", required=False)
    candidates: dict[str, tuple[str, ...]] = {}
    for cid, value in cands.data.items():
        if cid not in cand_ids:
            raise cands.fail(cid, f"is not a candidate of {election.id}")
        group = (value,) if isinstance(value, str) else value
        if not isinstance(group, list | tuple) or not all(isinstance(v, str) for v in group):
            raise cands.fail(cid, "must be a column name or a list of column names")
        candidates[cid] = tuple(group)
    opts = root.table("options", required=False)
    option_ids = {o.id for o in election.options}
    options: dict[str, str] = {}
    for oid in opts.data:
        if oid not in option_ids:
            raise opts.fail(oid, f"is not a ballot option of {election.id}")
        options[oid] = opts.text(oid)
    if kind == "results":
        if options and set(options) != option_ids:
            raise opts.fail("", "must map every ballot option or none")
        if not options and set(candidates) != cand_ids:
            missing = sorted(cand_ids - set(candidates))
            raise cands.fail("", f"must map every candidate; missing {missing}")
    names = root.table("region_names", required=False)
    level_ids = {lv.id for lv in election.levels}
    for lid in names.data:
        if lid not in level_ids:
            raise names.fail(lid, f"is not a region level; levels: {sorted(level_ids)}")
    delimiter = fmt.text("delimiter", ",")
    if len(delimiter) != 1:
        raise fmt.fail("delimiter", "must be one character")
    match = fmt.array("match", required=False)
    return ImportMapping(
        name=fmt.ident("name"),
        kind=kind,
        description=fmt.text("description", ""),
        match=tuple(str(m) for m in match),
        id_template=id_template,
        id_column=id_column,
        id_pattern=id_pattern,
        region_column=region_column,
        region_level=region_level,
        columns=columns,
        column_sums=column_sums,
        candidates=candidates,
        options=options,
        region_names={k: names.text(k) for k in names.data},
        encoding=fmt.text("encoding", "auto"),
        delimiter=delimiter,
    )
