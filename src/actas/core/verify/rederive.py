"""Verification steps 4 and 5: what each leaf says, re-derived, against ``submissions.jsonl``.

Pure. For every imported row (a RECORD leaf) the row's raw bytes are read
again with its file's mapping (:mod:`actas.core.verify.replay`); the published line must
be exactly the line rendered from that reading, which one byte comparison
checks. Only a line that differs is parsed, to say precisely what differs.
Other leaves (photos, transcriptions, decisions, events) are parsed and
matched with their leaf; their counts cannot be re-derived and are taken as
published (and counted as such in the report).

The outcome is every table's versions in log order, ready for reconciliation,
and the region names the imports gave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from actas.core.bundle import format as b
from actas.core.bundle.compare import Compare
from actas.core.definitions import ImportMapping, parse_mapping
from actas.core.errors import ActasError, DefinitionError, PayloadError
from actas.core.log import sealed
from actas.core.log.leaf import inline_raw
from actas.core.model import Counts, Election
from actas.core.payload import PayloadFormat, get_format
from actas.core.results import rules
from actas.core.results.photo_intake import payload_counts
from actas.core.results.reconcile import Version
from actas.core.verify import replay
from actas.core.verify.published import LineCheck, PublishedLine, counts_diff
from actas.core.verify.report import leaf_where
from actas.core.verify.reread import CHUNK, Chunk, Job, JobResult, Mapper, reread_chunk

__all__ = ["CHUNK", "Chunk", "Derived", "Job", "Mapper", "Rederive", "reread_chunk"]


@dataclass(slots=True)
class Derived:
    """Every table's versions (log order) and the region names, as the log gives them."""

    versions: dict[str, list[Version]] = field(default_factory=dict)
    names: dict[str, tuple[str, bool]] = field(default_factory=dict)  # code -> (name, strict)
    registry_seen: bool = False  # a registry was imported whose effects are not in the log
    registry: dict[str, int | None] = field(
        default_factory=dict
    )  # re-read registries: table -> voters
    rows_reread: bool = True  # False: region names were not re-derived either

    @property
    def relaxed(self) -> bool:
        """Whether some published values must be taken as they are (see ``notes``)."""
        return self.registry_seen or not self.rows_reread


class Rederive:
    """Steps 4 and 5 over a bundle's leaves: :meth:`run` gives the :class:`Derived` tables."""

    def __init__(
        self,
        election: Election,
        mappings: Mapping[str, ImportMapping],
        cmp: Compare,
        checks: dict[str, int],
        notes: list[str],
        election_sha256: str = "",
        mapping_hashes: Mapping[str, str] | None = None,
    ) -> None:
        """``election_sha256``: of the bundle's election.toml; ``mapping_hashes``: format
        name -> SHA-256 of the bundle's mappings/<format>.toml (what imports name)."""
        self.election = election
        self.election_sha256 = election_sha256
        self.mapping_hashes = mapping_hashes or {}
        self.mappings = mappings
        self.cmp = cmp
        self.checks = checks
        self.notes = notes
        self.context = rules.Context(election)
        self.lines = LineCheck(election, cmp, checks)
        # (file sha256, received_at) -> (binding index, whether the rules' context is reproducible)
        self.bindings: list[replay.Binding] = []
        self.runs: dict[tuple[str, str], tuple[int, bool]] = {}
        self.by_file: dict[str, tuple[int, bool]] = {}
        self.reported: set[tuple[str, str]] = set()
        self.contexts: list[rules.Context] = []  # per binding: what the importer's rules knew
        self.logged_mappings: dict[str, ImportMapping | None] = {}  # sha256 -> custom mapping
        self.registry: dict[str, int | None] = {}  # the registry re-read so far (log order)
        self.registry_names: dict[int, dict[str, tuple[int, str]]] = {}  # by leaf index
        self.pending: dict[tuple[str, str], int] = {}  # registry events awaiting their file
        self.payload: PayloadFormat | None = None
        try:
            fmt = election.payload_format or "ve-2024-qr"
            self.payload = get_format(fmt, len(election.options))
        except ActasError:
            pass

    def count(self, name: str, n: int = 1) -> None:
        self.checks[name] = self.checks.get(name, 0) + n

    def run(
        self,
        leaves: Sequence[replay.LeafInfo | None],
        data: bytes | None,
        rederive: bool,
        mapper: Mapper | None = None,
    ) -> Derived:
        derived = Derived(names={c: (n, True) for c, n in self.election.region_names.items()})
        derived.rows_reread = rederive
        lines = (data or b"").split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        elif data is not None:
            self.cmp.fail("submission.malformed", b.SUBMISSIONS, "the last line has no newline")
        for i, leaf in enumerate(leaves):  # large raw bytes travel in submissions.jsonl
            if leaf is not None and leaf.raw is None and i < len(lines):
                self.lines.raw_from_line(i, lines[i], leaf)
        # 1. in log order: bind every import event, and collect the rows to read again
        jobs: list[Job] = []
        context: dict[int, tuple[int, bool, bool]] = {}  # seq -> binding, reproducible, names
        for i, leaf in enumerate(leaves) if rederive else ():
            if leaf is None or leaf.raw is None:
                continue
            if leaf.kind == "event" and leaf.channel == "import":
                self._event(i, leaf, derived, leaves[i + 1] if i + 1 < len(leaves) else None)
            elif leaf.kind == "event" and leaf.channel == "mapping":
                self._mapping_leaf(i, leaf)
            elif leaf.kind == "event" and leaf.channel == "registry":
                self._registry_leaf(i, leaf, derived)
            elif leaf.kind == "record":
                sha = str(leaf.source.get("sha256", ""))
                found = self.runs.get((sha, leaf.received_at)) or self.by_file.get(sha)
                if found is None:
                    self.cmp.fail(
                        "record.no_event", leaf_where(i), f"no import event for file {sha or '?'}"
                    )
                    continue
                row = leaf.source.get("row")
                jobs.append(
                    Job(
                        i,
                        found[0],
                        leaf.raw,
                        row if isinstance(row, int) else 0,
                        leaf.channel,
                        leaf.blob,
                        leaf.raw_sha256,
                        not inline_raw(leaf.kind, leaf.raw_len),
                        lines[i] if i < len(lines) else None,
                    )
                )
                context[i] = (found[0], found[1], not derived.registry_seen)
        # 2. read the rows again, in chunks (on several cores when the mapper allows)
        bindings = tuple(self.bindings)
        contexts = tuple(self.contexts) if self.registry_names else ()
        chunks = (
            Chunk(self.election, bindings, tuple(jobs[k : k + CHUNK]), contexts)
            for k in range(0, len(jobs), CHUNK)
        )
        results: dict[int, JobResult] = {}
        for out in (mapper or map)(reread_chunk, chunks):
            for done in out:
                results[done[0]] = done
        del jobs
        # 3. in log order: names, versions, and every line that is not exactly as expected
        matched_rows = 0  # counted once at the end: rows whose line is exactly as expected
        versions = derived.versions
        for i, leaf in enumerate(leaves):
            line = lines[i] if i < len(lines) else None
            if i in self.registry_names:  # a registry's names, in their place in the log
                for code, (_, name) in self.registry_names[i].items():
                    derived.names.setdefault(code, (name, True))
            if leaf is None:
                continue
            reading: replay.Reading | None = None
            strict = True
            result = results.get(i)
            if result is not None:
                bid, strict, names_strict = context[i]
                _, reading, matched, error = result
                if reading is None:
                    self._unreadable(i, leaf, self.bindings[bid], error)
                else:
                    names = derived.names
                    for code, name in reading.region_names.items():
                        if code not in names:
                            names[code] = (name, names_strict)
                    if matched:
                        matched_rows += 1
                        table_id, counts = reading.table_id, reading.counts
                        if table_id is not None and counts is not None:
                            version = Version(i, leaf.channel, counts, False)
                            if table_id in versions:
                                versions[table_id].append(version)
                            else:
                                versions[table_id] = [version]
                        continue
                    self.count("records_rederived")
            if line is None:
                continue
            pub = self.lines.parse(i, line, leaf)
            if pub is None:
                continue
            self.count("submissions")
            if reading is not None and result is not None:
                self.lines.compare(i, pub, reading, self.bindings[context[i][0]], strict)
                self._version(derived, i, leaf, reading.table_id, reading.counts)
                continue
            if rederive and leaf.kind == "photo" and leaf.raw is not None:
                counts = self._photo(i, leaf.raw, pub)
            elif rederive and leaf.kind == "transcription" and leaf.raw is not None:
                counts = self._transcription(i, leaf.raw, pub)
            else:
                counts = pub.counts
                if counts is not None:
                    self.count(f"counts_not_rederived_{leaf.kind}")
            self._version(derived, i, leaf, pub.table_id, counts)
        if matched_rows:
            for name in ("records_rederived", "submissions", "findings_rederived"):
                self.count(name, matched_rows)
        n = len(leaves)
        if len(lines) > n:
            self.cmp.fail(
                "submission.extra",
                f"{b.SUBMISSIONS} lines {n + 1}-{len(lines)}",
                f"there are only {n} leaves",
            )
        elif len(lines) < n and data is not None:
            self.cmp.fail(
                "submission.missing",
                f"{b.SUBMISSIONS} lines {len(lines) + 1}-{n}",
                f"{n - len(lines)} leaves have no line",
            )
        if derived.registry_seen:
            self.notes.append(
                "a registry (or a file of unknown format) was imported and its file is not in "
                "the log, so region names, expected totals and registry findings after it were "
                "not re-derived"
            )
        derived.registry = self.registry
        if self.registry_names:
            self.count("registries_rederived", len(self.registry_names))
        return derived

    # ----------------------------------------------------------------- re-reading

    def _event(
        self, i: int, leaf: replay.LeafInfo, derived: Derived, following: replay.LeafInfo | None
    ) -> None:
        assert leaf.raw is not None
        try:
            event = replay.parse_event(leaf.raw)
        except ValueError as exc:
            self.cmp.fail("event.malformed", leaf_where(i), f"import event: {exc}")
            return
        if event.sha256 != leaf.source.get("sha256"):
            self.cmp.fail(
                "event.malformed", leaf_where(i), "the event names another file than its source"
            )
        if event.election_sha256 and self.election_sha256 != event.election_sha256:
            self.cmp.fail(
                "election.mismatch",
                leaf_where(i),
                f"the import was made under election definition {event.election_sha256}; "
                f"the bundle's election.toml is {self.election_sha256 or '(absent)'}",
            )
        mappings = self.mappings
        if event.mapping_sha256 in self.logged_mappings:  # a custom mapping, logged before
            custom = self.logged_mappings[event.mapping_sha256]
            mappings = {event.format: custom} if custom is not None else {}
        elif event.mapping_sha256:  # a built-in one: the bundle's copy must be that text
            bundled = self.mapping_hashes.get(event.format)
            if bundled != event.mapping_sha256:
                mappings = {}
                message = (
                    f"the import read its rows with mapping {event.mapping_sha256}; no earlier "
                    f"leaf holds it and mappings/{event.format}.toml "
                    + ("is absent" if bundled is None else f"is {bundled}")
                )
                self.cmp.fail("mapping.missing", leaf_where(i), message)
        binding = replay.bind(event, self.election, mappings)
        if binding.mapping is None:
            derived.registry_seen = True  # its rows cannot be read: their effects are unknown
        self.bindings.append(binding)
        reg = {t: r for t, r in self.registry.items() if r is not None}
        self.contexts.append(
            rules.Context(self.election, reg or None, frozenset(self.registry) or None)
        )
        entry = (len(self.bindings) - 1, not derived.registry_seen)
        self.runs[(event.sha256, leaf.received_at)] = entry
        self.by_file.setdefault(event.sha256, entry)
        if binding.registry:  # re-derivable when the next leaf is its file
            if (
                following is not None
                and following.kind == "event"
                and following.channel == "registry"
                and following.raw_sha256 == event.sha256
                and following.received_at == leaf.received_at
            ):
                self.pending[(event.sha256, leaf.received_at)] = len(self.bindings) - 1
            else:
                derived.registry_seen = True  # an older log: the file is not in it

    def _mapping_leaf(self, i: int, leaf: replay.LeafInfo) -> None:
        """A custom import mapping, logged as its exact bytes before the import using it."""
        assert leaf.raw is not None
        name = str(leaf.source.get("name", "mapping.toml"))
        try:
            mapping = parse_mapping(leaf.raw.decode("utf-8"), self.election, name)
        except (UnicodeDecodeError, DefinitionError) as exc:
            self.cmp.fail("mapping.invalid", leaf_where(i), f"the logged mapping {name}: {exc}")
            self.logged_mappings[leaf.raw_sha256] = None
            return
        self.logged_mappings[leaf.raw_sha256] = mapping
        self.count("mappings_logged")

    def _registry_leaf(self, i: int, leaf: replay.LeafInfo, derived: Derived) -> None:
        """A registry file, logged after its import event: read its rows again."""
        assert leaf.raw is not None
        key = (str(leaf.source.get("sha256", "")), leaf.received_at)
        bid = self.pending.pop(key, None)
        if bid is None or leaf.raw_sha256 != key[0]:
            message = "a registry file without its import event just before it"
            self.cmp.fail("registry.no_event", leaf_where(i), message)
            return
        try:
            found = replay.read_registry(self.bindings[bid], leaf.raw, self.election)
        except (ValueError, IndexError) as exc:
            self.cmp.fail("registry.unreadable", leaf_where(i), str(exc))
            derived.registry_seen = True
            return
        self.registry.update(found.registered)
        self.registry_names[i] = found.names

    def _unreadable(
        self, i: int, leaf: replay.LeafInfo, binding: replay.Binding, error: str
    ) -> None:
        """A row that cannot be read again: said once per file when the file itself is the cause."""
        self.count("records_not_rederived")
        key = (binding.event.sha256, error)
        if binding.header is None and key in self.reported:
            return
        self.reported.add(key)
        code = "mapping.missing" if binding.mapping is None else "record.unreadable"
        row = leaf.source.get("row")
        self.cmp.fail(code, f"{leaf_where(i)} ({binding.event.file} row {row})", error)

    def _photo(self, i: int, raw: bytes, pub: PublishedLine) -> Counts | None:
        """A photo's counts are its QR payload's (logged as the raw bytes); none without one."""
        where = f"{b.SUBMISSIONS} line {pub.line} (leaf {i}, photo)"
        counts: Counts | None = None
        if raw:
            if self.payload is None:
                self.cmp.fail("photo.payload", where, "the election has no payload format")
                return pub.counts
            try:
                p = self.payload.parse(raw)
            except PayloadError as exc:
                self.cmp.fail(
                    "photo.payload", where, f"the logged QR payload does not parse: {exc}"
                )
                return pub.counts
            counts = payload_counts(self.election, p)  # as the photo was ingested
            if pub.table_id != p.table_id:
                message = f"the QR payload gives table {p.table_id}, published {pub.table_id}"
                self.cmp.fail("record.table_mismatch", where, message)
        if counts != pub.counts:
            self.cmp.fail("record.counts_mismatch", where, counts_diff(counts, pub.counts))
        self.count("photos_rederived")
        return counts

    def _transcription(self, i: int, raw: bytes, pub: PublishedLine) -> Counts | None:
        """A disclosed entry (salt || entry, :mod:`actas.core.log.sealed`): its counts, if it counts."""
        where = f"{b.SUBMISSIONS} line {pub.line} (leaf {i}, transcription)"
        try:
            _, entry = sealed.unseal(raw)
            options = tuple(entry["options"])
            counts = Counts(
                votes=self.election.votes_from_options(options),
                options=options,
                null=entry["null"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            self.cmp.fail("transcription.malformed", where, f"the sealed entry: {exc}")
            return pub.counts
        if pub.counts is None:  # an entry that did not agree: disclosed, never counted
            self.count("transcriptions_opened")
            return None
        if pub.table_id != entry.get("table"):
            message = f"the entry gives table {entry.get('table')}, published {pub.table_id}"
            self.cmp.fail("record.table_mismatch", where, message)
        if counts != pub.counts:
            self.cmp.fail("record.counts_mismatch", where, counts_diff(counts, pub.counts))
        self.count("transcriptions_rederived")
        return counts

    @staticmethod
    def _version(
        derived: Derived,
        i: int,
        leaf: replay.LeafInfo,
        table_id: str | None,
        counts: Counts | None,
    ) -> None:
        if table_id is not None and counts is not None:
            derived.versions.setdefault(table_id, []).append(
                Version(i, leaf.channel, counts, leaf.kind == "decision")
            )
