"""Importing a results or registry file: log it row by row, then recompute the results.

    summary = import_file(ctx, Path("RESULTADOS_2024_CSV_V1.csv"))

The file is decoded and split by :mod:`actas.adapters.tabular`, its format found
among the election's mappings (:func:`mapping_for`), and each data row becomes a
RECORD submission with its findings by :mod:`actas.core.results.row_intake`.
The log gets, in order: a custom mapping's exact bytes (if one was given), one
EVENT naming the file (its SHA-256, format, encoding, header and the hashes of
the definitions it is read under), then the rows. A registry file's rows are
not leaves: the file itself is, after its event. Rows already in the log are
counted as duplicates and not logged again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actas.adapters.tabular import open_table_file
from actas.app import results
from actas.app.context import Context
from actas.core.definitions import ImportMapping, parse_mapping
from actas.core.errors import InputError
from actas.core.model import Source, Submission, SubmissionKind
from actas.core.results.import_event import ImportEvent, import_leaves
from actas.core.results.reconcile import Version
from actas.core.results.row_intake import ImportedFile, row_submission, rules_context
from actas.core.results.rows import header_for, read_registry_row

__all__ = [
    "BATCH",
    "ImportSummary",
    "Progress",
    "import_bytes",
    "import_file",
    "mapping_for",
    "mappings",
    "no_fit_message",
]

Progress = Callable[[int, int], None]
BATCH = 5000


@dataclass
class ImportSummary:
    file: str
    format: str
    sha256: str
    encoding: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0  # rows logged but unreadable (no counts)
    duplicates: int = 0  # rows already in the log (same file, same row)
    findings: dict[str, int] = field(default_factory=dict)
    tables: int = 0  # distinct tables touched

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _read_mapping(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def mappings(ctx: Context) -> list[ImportMapping]:
    """The election's import mappings: the built-in ones and those found beside a
    custom definition."""
    return [parse_mapping(t, ctx.election, f"{n}.toml") for n, t in ctx.mapping_texts.items()]


def mapping_for(
    ctx: Context,
    header: Sequence[str],
    name: str,
    fmt: str | None,
    mapping_file: Path | None,
    custom: bytes | None = None,
) -> ImportMapping:
    """The mapping to read a file with: ``mapping_file`` (its bytes ``custom`` if read
    already), else the built-in one named ``fmt``, else the built-in one whose
    ``match`` columns the header has (the most specific; results before registry)."""
    if mapping_file is not None:
        if custom is None:
            custom = _read_mapping(mapping_file)
        try:
            text = custom.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{mapping_file}: not UTF-8 text: {exc}") from None
        return parse_mapping(text, ctx.election, str(mapping_file))
    known = mappings(ctx)
    if fmt:
        for m in known:
            if m.name == fmt:
                return m
        raise InputError(f"unknown format {fmt!r}; known: {', '.join(m.name for m in known)}")
    cols = {h.strip() for h in header}
    fits = [m for m in known if m.match and set(m.match) <= cols and m.required_columns() <= cols]
    if not fits:
        raise InputError(no_fit_message(name, header, known))
    fits.sort(key=lambda m: (len(m.match), m.kind == "results"), reverse=True)
    return fits[0]


def import_file(
    ctx: Context,
    path: Path,
    fmt: str | None = None,
    mapping_file: Path | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return import_bytes(ctx, data, path.name, fmt, mapping_file, progress)


def import_bytes(
    ctx: Context,
    data: bytes,
    name: str,
    fmt: str | None = None,
    mapping_file: Path | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    election, store = ctx.election, ctx.store
    table_file = open_table_file(data, name)
    # a custom mapping is logged (its exact bytes) so that its rows can be re-read offline
    custom = None if mapping_file is None else _read_mapping(mapping_file)
    mapping = mapping_for(ctx, table_file.header, name, fmt, mapping_file, custom)
    try:
        header = header_for(mapping, election, table_file.header)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    sha = hashlib.sha256(data).hexdigest()
    received = ctx.clock()
    file = ImportedFile(name, sha, received)
    summary = ImportSummary(name, mapping.name, sha, table_file.encoding)
    rules_ctx = rules_context(election, store.registry())
    # the definitions the rows are read under, by hash: verify refuses a bundle whose
    # election.toml or mappings/<format>.toml is not the text this import used
    definition_sha256, builtin_sha256 = ctx.definition_hashes
    event = ImportEvent(
        file=name,
        sha256=sha,
        format=mapping.name,
        encoding=table_file.encoding,
        header=table_file.header_raw.decode(table_file.codec, "replace"),
        election_sha256=definition_sha256 or "",
        mapping_sha256=builtin_sha256.get(mapping.name, "") if custom is None else "",
        size=len(data),
    )
    # a custom mapping's leaf comes before the event naming it
    *before, file_event = import_leaves(
        event, received, custom, mapping_file.name if mapping_file is not None else ""
    )
    total_rows = len(table_file._lines) - 1
    batch: list[Submission] = [*before, file_event]
    names: dict[str, tuple[int, str]] = {}
    reg_rows: dict[str, int | None] = {}
    touched: set[str] = set()
    width = len(table_file.header)
    for row in table_file.rows():
        summary.read += 1
        if mapping.kind == "registry":
            read_registry_row(header, row.fields, width, names, reg_rows)
            continue
        sub, row_names = row_submission(
            header, row.fields, row.raw, row.number, width, rules_ctx, file
        )
        batch.append(sub)
        for code, nm in row_names.items():
            if code not in names:
                names[code] = (election.scheme.level_of(code), nm)
        if len(batch) >= BATCH:
            _flush(ctx, batch, names, summary, touched)
            batch, names = [], {}
            if progress:
                progress(summary.read, total_rows)
    if mapping.kind == "registry":
        # the registry's rows are not leaves: the file itself is, after its event
        content = Submission(
            kind=SubmissionKind.EVENT,
            source=Source("registry", name, sha),
            received_at=received,
            raw=data,
            meta={"format": mapping.name},
        )
        _import_registry(ctx, file_event, [*before, file_event, content], names, reg_rows, summary)
    else:
        _flush(ctx, batch, names, summary, touched)
    if progress:
        progress(summary.read, total_rows)
    summary.tables = len(touched)
    with store.write() as conn:
        store.add_source(
            conn,
            {
                "channel": mapping.name,
                "name": name,
                "sha256": sha,
                "received_at": received,
                "rows_read": summary.read,
                "loaded": summary.loaded,
                "rejected": summary.rejected,
                "duplicates": summary.duplicates,
            },
        )
    results.retally(ctx)
    return summary


def _flush(
    ctx: Context,
    batch: list[Submission],
    names: dict[str, tuple[int, str]],
    summary: ImportSummary,
    touched: set[str],
) -> None:
    """Log a batch of submissions (those not logged before) and reconcile their tables."""
    if not batch:
        return
    store = ctx.store
    ids = [s.identity() for s in batch]  # once: an import asks for them per row
    with store.write() as conn:
        known = store.known_identities(ids, conn)
        fresh, fresh_ids = batch, ids
        if known:
            fresh = [s for s, i in zip(batch, ids, strict=True) if i not in known]
            fresh_ids = [i for i in ids if i not in known]
        found = summary.findings
        for s, i in zip(batch, ids, strict=True):
            if s.kind is SubmissionKind.RECORD:
                if i in known:
                    summary.duplicates += 1
                    continue
                if s.counts is None:
                    summary.rejected += 1
                else:
                    summary.loaded += 1
                for f in s.findings:
                    found[f.code] = found.get(f.code, 0) + 1
        seqs = ctx.log.append(conn, fresh, fresh_ids)
        store.upsert_region_names(conn, names)
        new_versions: dict[str, list[Version]] = {}
        for seq, s in zip(seqs, fresh, strict=True):
            if s.table_id is not None and s.counts is not None:
                version = Version(
                    seq, s.source.channel, s.counts, s.kind is SubmissionKind.DECISION
                )
                listed = new_versions.get(s.table_id)
                if listed is None:
                    new_versions[s.table_id] = [version]
                else:
                    listed.append(version)
        touched.update(new_versions)
        results.reconcile_tables(ctx, conn, new_versions.keys(), new_versions)


def _import_registry(
    ctx: Context,
    event: Submission,
    leaves: list[Submission],
    names: dict[str, tuple[int, str]],
    reg_rows: dict[str, int | None],
    summary: ImportSummary,
) -> None:
    """Log a registry file (unless logged before) and keep its names and registered voters."""
    store = ctx.store
    with store.write() as conn:
        if store.known_identities([event.identity()], conn):
            summary.duplicates = summary.read
            return
        ctx.log.append(conn, leaves)
        store.upsert_region_names(conn, names)
        if reg_rows:
            store.upsert_registry(conn, reg_rows)
        summary.loaded = summary.read


def no_fit_message(name: str, header: Sequence[str], known: Sequence[ImportMapping]) -> str:
    """Why no mapping reads a file: its columns in their real order, then each mapping
    tried and the columns it needs that the file lacks (its match columns in their
    order, then the others)."""
    cols = [h.strip() for h in header]
    have = set(cols)
    shown = ", ".join(repr(c) for c in cols[:12]) + (
        f", … ({len(cols)} in all)" if len(cols) > 12 else ""
    )
    lines = [f"{name}: no known format fits this file; its columns are {shown}."]
    for m in known:
        if not m.match:
            lines.append(f"  {m.name}: has no match columns (use --format {m.name})")
            continue
        need = list(dict.fromkeys([*m.match, *sorted(m.required_columns() - set(m.match))]))
        missing = [c for c in need if c not in have]
        lines.append(
            f"  {m.name}: lacks {', '.join(repr(c) for c in missing[:8])}"
            + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        )
    if not known:
        lines.append("  (the election has no import mappings)")
    lines.append("Pass --format NAME or --mapping FILE (docs/election-format.md).")
    return "\n".join(lines)
