"""Use cases: what the CLI and the web app call. Wiring only: core + adapters.

svc = Service.init(settings, "ve-2024")          # once
svc = Service.open(settings)                     # afterwards
svc.import_file(Path("RESULTADOS_2024_CSV_V1.csv"))
svc.results(level=0)
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from actas.adapters.blobs import open_blobs
from actas.adapters.bundle_files import ExportSummary, builtin_mapping_texts, export_bundle
from actas.adapters.elections import load_builtin_mappings, load_builtin_text
from actas.adapters.store import SqlStore, open_store
from actas.adapters.tabular import open_table_file
from actas.adapters.tlog import Log
from actas.app.settings import Settings
from actas.core.definitions import ImportMapping, parse_election, parse_mapping
from actas.core.errors import InputError, NotFound, StoreError
from actas.core.model import (
    Election,
    Finding,
    Severity,
    Source,
    Submission,
    SubmissionKind,
    TableId,
)
from actas.core.results import rules
from actas.core.results.reconcile import Status, TableResult, Version, reconcile
from actas.core.results.rows import Header, header_for, read_registry_row, read_row
from actas.core.results.tally import fill_registered, tally_packed, tally_to_json, unpack

__all__ = ["ImportSummary", "Service", "utcnow"]


def _read_mapping(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


Progress = Callable[[int, int], None]
BATCH = 5000


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


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


class Service:
    def __init__(
        self,
        settings: Settings,
        store: SqlStore,
        election: Election,
        clock: Callable[[], str] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.election = election
        self.clock = clock
        self.log = Log(store, election, settings.origin, settings.keys_dir)

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def init(
        cls,
        settings: Settings,
        election: str,
        clock: Callable[[], str] = utcnow,
    ) -> Service:
        """Create a data folder for ``election`` (a built-in id or a TOML file)."""
        path = Path(election)
        if path.suffix == ".toml" and path.is_file():
            text = path.read_text("utf-8")
            origin = str(path)
        else:
            text = load_builtin_text(election)
            origin = f"{election}/election.toml"
        definition = parse_election(text, origin)
        settings.home.mkdir(parents=True, exist_ok=True)
        store = open_store(settings.database_url, migrate=True)
        existing = store.get_meta("election")
        if existing is not None:
            old = parse_election(existing, "stored definition")
            if old.id != definition.id:
                raise StoreError(
                    f"{settings.home} already holds election {old.id!r}; use another --home"
                )
        else:
            with store.write() as conn:
                store.set_meta("election", text, conn)
                store.set_meta("created_at", clock(), conn)
                if definition.region_names:
                    store.upsert_region_names(
                        conn, {c: (0, n) for c, n in definition.region_names.items()}
                    )
        svc = cls(settings, store, definition, clock)
        svc.log.ensure_keys()
        if existing is None:
            svc.retally()
        return svc

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], str] = utcnow) -> Service:
        db = settings.database_url
        if db.startswith("sqlite:///") and not Path(db[len("sqlite:///") :]).exists():
            raise StoreError(f"no Actas data in {settings.home}; run 'actas init' first")
        store = open_store(db, migrate=True)
        text = store.get_meta("election")
        if text is None:
            store.close()  # no connection left to the garbage collector
            raise StoreError(f"no election in {settings.home}; run 'actas init' first")
        return cls(settings, store, parse_election(text, "stored definition"), clock)

    def close(self) -> None:
        self.store.close()

    # ----------------------------------------------------------------- importing

    @functools.cached_property
    def _definition_hashes(self) -> tuple[str, dict[str, str]]:
        """SHA-256 of the stored election definition and of each built-in mapping's text
        (what every import event names); read once, since neither changes after init."""
        definition = self.store.get_meta("election")
        election = hashlib.sha256(definition.encode("utf-8")).hexdigest() if definition else ""
        mappings = {
            name: hashlib.sha256(text.encode("utf-8")).hexdigest()
            for name, text in builtin_mapping_texts(self.election).items()
        }
        return election, mappings

    def mappings(self) -> list[ImportMapping]:
        return load_builtin_mappings(self.election)

    def _mapping_for(
        self,
        header: Sequence[str],
        name: str,
        fmt: str | None,
        mapping_file: Path | None,
        custom: bytes | None = None,
    ) -> ImportMapping:
        if mapping_file is not None:
            if custom is None:
                custom = _read_mapping(mapping_file)
            try:
                text = custom.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{mapping_file}: not UTF-8 text: {exc}") from None
            return parse_mapping(text, self.election, str(mapping_file))
        known = self.mappings()
        if fmt:
            for m in known:
                if m.name == fmt:
                    return m
            raise InputError(f"unknown format {fmt!r}; known: {', '.join(m.name for m in known)}")
        cols = {h.strip() for h in header}
        fits = [
            m for m in known if m.match and set(m.match) <= cols and m.required_columns() <= cols
        ]
        if not fits:
            raise InputError(
                f"{name}: no known format has these columns ({', '.join(list(cols)[:8])}…); "
                "pass --format or --mapping FILE"
            )
        fits.sort(key=lambda m: (len(m.match), m.kind == "results"), reverse=True)
        return fits[0]

    def import_file(
        self,
        path: Path,
        fmt: str | None = None,
        mapping_file: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        return self.import_bytes(data, path.name, fmt, mapping_file, progress)

    def import_bytes(
        self,
        data: bytes,
        name: str,
        fmt: str | None = None,
        mapping_file: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        table_file = open_table_file(data, name)
        # a custom mapping is logged (its exact bytes) so that its rows can be re-read offline
        custom = None if mapping_file is None else _read_mapping(mapping_file)
        mapping = self._mapping_for(table_file.header, name, fmt, mapping_file, custom)
        try:
            header = header_for(mapping, self.election, table_file.header)
        except ValueError as exc:
            raise InputError(f"{name}: {exc}") from None
        sha = hashlib.sha256(data).hexdigest()
        received = self.clock()
        summary = ImportSummary(name, mapping.name, sha, table_file.encoding)
        registry = self.store.registry()
        ctx = rules.Context(
            self.election,
            registry_registered={t: r for t, r in registry.items() if r is not None} or None,
            registry_tables=frozenset(registry) or None,
        )
        event: dict[str, Any] = {
            "event": "import",
            "file": name,
            "sha256": sha,
            "size": len(data),
            "format": mapping.name,
            "encoding": table_file.encoding,
            "header": table_file.header_raw.decode(table_file.codec, "replace"),
        }
        # the definitions the rows are read under, by hash: verify refuses a bundle whose
        # election.toml or mappings/<format>.toml is not the text this import used
        definition_sha256, builtin_sha256 = self._definition_hashes
        if definition_sha256:
            event["election_sha256"] = definition_sha256
        if custom is None and mapping.name in builtin_sha256:
            event["mapping_sha256"] = builtin_sha256[mapping.name]
        before: list[Submission] = []  # a custom mapping's leaf comes before the event naming it
        if custom is not None and mapping_file is not None:
            event["mapping_sha256"] = hashlib.sha256(custom).hexdigest()
            before.append(
                Submission(
                    kind=SubmissionKind.EVENT,
                    source=Source("mapping", mapping_file.name, event["mapping_sha256"]),
                    received_at=received,
                    raw=custom,
                    meta={"format": mapping.name},
                )
            )
        file_event = Submission(
            kind=SubmissionKind.EVENT,
            source=Source("import", name, sha),
            received_at=received,
            raw=json.dumps(event, sort_keys=True, separators=(",", ":")).encode(),
            meta={"format": mapping.name},
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
            sub, row_names = self._row_submission(
                header, row.fields, row.raw, row.number, width, ctx, sha, name, received
            )
            batch.append(sub)
            for code, nm in row_names.items():
                if code not in names:
                    names[code] = (self.election.scheme.level_of(code), nm)
            if len(batch) >= BATCH:
                self._flush(batch, names, summary, touched)
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
            self._import_registry(
                file_event, [*before, file_event, content], names, reg_rows, summary
            )
        else:
            self._flush(batch, names, summary, touched)
        if progress:
            progress(summary.read, total_rows)
        summary.tables = len(touched)
        with self.store.write() as conn:
            self.store.add_source(
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
        self.retally()
        return summary

    def _row_submission(
        self,
        header: Header,
        fields: list[str],
        raw: bytes,
        number: int,
        width: int,
        ctx: rules.Context,
        sha: str,
        name: str,
        received: str,
    ) -> tuple[Submission, dict[str, str]]:
        row_names: dict[str, str] = {}
        if fields and fields[0].startswith("\0"):
            reading_findings: tuple[Finding, ...] = (
                Finding("row.unreadable", Severity.ERROR, f"row {number}: {fields[0][1:]}"),
            )
            table_id, counts, meta = None, None, {}
        else:
            reading = read_row(header, fields, width)
            table_id, counts, meta = reading.table_id, reading.counts, reading.meta
            row_names = cast(dict[str, str], reading.region_names)  # RegionCode is a str
            reading_findings = reading.findings
            if counts is not None and table_id is not None:
                reading_findings = reading_findings + tuple(rules.check(table_id, counts, ctx))
        sub = Submission(
            kind=SubmissionKind.RECORD,
            source=Source(header.mapping.name, name, sha, number),
            received_at=received,
            raw=raw,
            table_id=table_id,
            counts=counts,
            findings=reading_findings,
            meta=meta,
        )
        return sub, row_names

    def _flush(
        self,
        batch: list[Submission],
        names: dict[str, tuple[int, str]],
        summary: ImportSummary,
        touched: set[str],
    ) -> None:
        if not batch:
            return
        ids = [s.identity() for s in batch]  # once: an import asks for them per row
        with self.store.write() as conn:
            known = self.store.known_identities(ids, conn)
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
            seqs = self.log.append(conn, fresh, fresh_ids)
            self.store.upsert_region_names(conn, names)
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
            self._reconcile(conn, new_versions.keys(), new_versions)

    def _import_registry(
        self,
        event: Submission,
        leaves: list[Submission],
        names: dict[str, tuple[int, str]],
        reg_rows: dict[str, int | None],
        summary: ImportSummary,
    ) -> None:
        with self.store.write() as conn:
            if self.store.known_identities([event.identity()], conn):
                summary.duplicates = summary.read
                return
            self.log.append(conn, leaves)
            self.store.upsert_region_names(conn, names)
            if reg_rows:
                self.store.upsert_registry(conn, reg_rows)
            summary.loaded = summary.read

    def _reconcile(
        self, conn: Any, tables: Iterable[str], fresh: dict[str, list[Version]] | None = None
    ) -> None:
        """Recompute the results of ``tables``. ``fresh`` holds versions just appended:
        tables seen for the first time need no read-back."""
        tables = sorted(tables)
        new: frozenset[str] = frozenset()
        if fresh is None:
            versions = self.store.versions(tables, conn)
        else:
            seen = self.store.tables_with_results(tables, conn)
            versions = {t: v for t, v in fresh.items() if t not in seen}
            versions.update(self.store.versions(sorted(seen), conn))
            new = frozenset(t for t in tables if t not in seen)
        results: list[TableResult] = []
        removed = []
        for t in tables:
            r = reconcile(TableId(t), versions.get(t, []))
            if r is None:
                removed.append(t)
            else:
                results.append(r)
        self.store.put_table_results(conn, results, removed, new)

    def rebuild_results(self) -> int:
        """Recompute every table's result from the submissions (e.g. after a crash)."""
        with self.store.write() as conn:
            tables = self.store.all_table_ids(conn)
            self.store.put_table_results(
                conn, [], [r.table_id for r in self.store.table_results(conn)]
            )
            self._reconcile(conn, tables)
        self.retally()
        return len(tables)

    # ----------------------------------------------------------------- results

    def retally(self) -> None:
        """Recompute every region's results from the table results (from scratch:
        no Python work per table, see :mod:`actas.core.results.tally`)."""
        k = len(self.election.candidates)
        with self.store.read() as conn:  # one snapshot
            arrays = self.store.table_arrays(k, conn)
            registry = self.store.registry_arrays(conn)
            names = self.store.region_names(conn)
        # registered voters from the registry where the actas do not say
        arrays = fill_registered(arrays, registry)
        rows = [
            (code, level, names.get(code, ""), data)
            for code, level, data in tally_packed(self.election, arrays, registry)
        ]
        with self.store.write() as conn:
            self.store.put_region_results(conn, rows)

    def results(
        self, level: str | int | None = None, region: str | None = None
    ) -> list[dict[str, Any]]:
        """Results of one region (``region``), or of every region at a level."""
        if region is not None or self._level_index(level) < 0:
            code = "" if region in (None, "", "national") else str(region)
            found = self.store.region_result(code)
            if found is None:
                raise NotFound(f"no results for region {code[:40]!r}")
            return [tally_to_json(self.election, unpack(code, found[1]), {code: found[0]})]
        rows = self.store.region_results(self._level_index(level))
        return [tally_to_json(self.election, unpack(c, d), {c: n}) for c, n, d in rows]

    def children(self, code: str) -> list[dict[str, Any]]:
        """Results of the regions directly below ``code`` ("" = the nation)."""
        level = -1 if code == "" else self.election.scheme.level_of(code)
        if level + 1 >= len(self.election.levels):
            return []
        rows = self.store.region_results(level + 1, code or None)
        return [tally_to_json(self.election, unpack(c, d), {c: n}) for c, n, d in rows]

    def _level_index(self, level: str | int | None) -> int:
        if level is None or level in ("national", "nation", -1):
            return -1
        ids = [lv.id for lv in self.election.levels]
        if isinstance(level, int) or (isinstance(level, str) and level.isdigit()):
            i = int(level)
            if 0 <= i < len(ids):
                return i
        elif level in ids:
            return ids.index(level)
        raise InputError(f"unknown level {level!r}; levels: national, {', '.join(ids)}")

    def table(self, table_id: str) -> dict[str, Any]:
        """Everything about one table: result, submissions, findings, leaves and their
        inclusion proofs in the latest checkpoint (:mod:`actas.core.results.tableview`)."""
        from actas.core.results.tableview import Checkpoint, table_json

        try:
            self.election.scheme.split(table_id)
        except ValueError as exc:
            raise InputError(f"malformed table id: {exc}") from None
        latest = self.store.checkpoint()
        cp = None
        if latest is not None:
            cp = Checkpoint(*latest, self.store.get_meta("verifier_key") or "")
        with self.store.read() as conn:
            result = self.store.table_result(table_id, conn)
            subs = self.store.submissions_of(table_id, conn)
            if result is None and not subs:
                raise NotFound(f"no submission for table {table_id}")
            names = self.store.region_names(conn, self.election.scheme.region_codes(table_id))
            return table_json(
                self.election, table_id, result, subs, names, cp, self.store.node_reader(conn)
            )

    def conflicts(self) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            results = self.store.table_results(conn, status=str(Status.CONFLICT))
            out = []
            for r in results:
                subs = self.store.submissions_of(r.table_id, conn)
                out.append(
                    {
                        "table_id": r.table_id,
                        "differing": list(r.differing),
                        "versions": [
                            {
                                "seq": s.seq,
                                "channel": s.channel,
                                "counts": s.counts.to_json() if s.counts else None,
                                "findings": [f.code for f in s.findings],
                            }
                            for s in subs
                            if s.counts is not None
                        ],
                    }
                )
        return out

    def findings(
        self, code: str | None = None, severity: str | None = None, limit: int = 1000
    ) -> dict[str, Any]:
        with self.store.read() as conn:
            counts = self.store.finding_counts(conn)
            items = self.store.findings(conn, code, severity, limit)
        return {
            "summary": [
                {"code": c, "severity": s, "count": n} for (c, s), n in sorted(counts.items())
            ],
            "findings": [{"seq": seq, **f.to_json()} for seq, f in items],
        }

    # ----------------------------------------------------------------- analysis (analysis.py)

    def import_claims(self, data: bytes | None = None, name: str = "") -> dict[str, Any]:
        """Log a claims file (docs/claims.md) and keep its claims; None = the built-in one."""
        from actas.app import analysis

        return analysis.import_claims(self, data, name)

    def claims(self) -> list[dict[str, Any]]:
        """Every imported claims file with its claims."""
        from actas.app import analysis

        return analysis.stored_claims(self)

    def analyse(
        self,
        seed: int = 0,
        nrep: int = 1000,
        flag_limit: int | None = 100,
        winner: str | None = None,
    ) -> dict[str, Any]:
        """Every forensic method over the counted tables, with the stored claims."""
        from actas.app import analysis

        return analysis.analyse(self, seed=seed, nrep=nrep, flag_limit=flag_limit, winner=winner)

    # ----------------------------------------------------------------- open data

    def export(self, out_dir: Path, photos: bool = False) -> ExportSummary:
        """Write the open-data bundle into ``out_dir`` (see :mod:`actas.adapters.bundle_files`)."""
        blobs = open_blobs(self.settings.blobs, self.settings.s3_endpoint) if photos else None
        return export_bundle(self, out_dir, photos, blobs)
