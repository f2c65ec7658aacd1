"""Recompute everything from an exported bundle. No DB, no network, no files.

    report = verify(files)            # files: path -> bytes (e.g. export.read_bundle)
    report.ok, report.failures        # every failure: code, where, expected vs found

The procedure, specified in ``docs/verification.md``:

1. ``MANIFEST``: every listed file is present with that SHA-256; no file is unlisted.
2. The checkpoint opens with ``verifier.pub`` (and with a pinned key, which must
   be the same key when given).
3. Every line of ``leaves.txt`` is the base64 of canonical v1 leaf bytes; the
   RFC 9162 root of the first *size* leaves is the checkpoint's root; no leaf
   lies beyond the checkpoint.
4. Every line of ``submissions.jsonl`` belongs to the leaf of the same index
   (kind, channel, photo, raw hash).
5. Every imported row is read again from its raw bytes with the file's mapping
   (:mod:`actas.core.verify.replay`): table id, counts and findings must be the published ones.
6. Each table is reconciled again (:func:`actas.core.results.reconcile.reconcile`) and
   compared with ``tables.json``, ``tables.csv`` and (given a reader) ``tables.parquet``.
7. Every region is tallied again (:func:`actas.core.results.tally.tally_all`) and compared
   with ``results.json``, ``results.csv`` and ``results.parquet``.
8. With a previous checkpoint: same key and origin, not larger, its root is the
   root of the first leaves, and a consistency proof between the two verifies.
9. Photos, if any: each file hashes to its name and belongs to a leaf.
10. Audits (:mod:`actas.core.audit.trail`): each audit's leaves are consistent, its
    sample follows from its seed and committed frame, its audited values are of
    drawn tables, and ``audits.json`` (if any) shows that sample and decision.

Custom import mappings and registry files are leaves themselves, so their
effects are re-derived too. What cannot be re-derived from the log alone is
said in ``notes`` rather than failed: the effect of a registry imported before
registry files were logged, on region names, expected totals and findings.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from actas.core.audit import trail
from actas.core.bundle import format as b
from actas.core.bundle.compare import Compare
from actas.core.bundle.render import Renderer
from actas.core.definitions import ImportMapping, parse_election, parse_mapping
from actas.core.errors import DefinitionError, ProofError
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.model import Election, TableId
from actas.core.results.reconcile import TableResult, Version, reconcile
from actas.core.results.tally import (
    Registry,
    expected_from_registry,
    fill_registered,
    tally_all,
    tally_to_json,
)
from actas.core.verify import replay
from actas.core.verify.rederive import Derived, Mapper, Rederive

__all__ = ["Failure", "Mapper", "ParquetReader", "VerifyReport", "verify"]

#: Reads a Parquet file as columns: name -> values (the CLI passes ``export.parquet_columns``).
ParquetReader = Callable[[bytes], Mapping[str, Sequence[Any]]]

_LEAF_CHUNK = 5000  # leaves decoded per task handed to the mapper
_PHOTO = re.compile(r"photos/([0-9a-f]{2})/([0-9a-f]{64})\.([a-z0-9]{1,8})")
_REQUIRED = (
    *(b.ELECTION, b.VERIFIER_KEY, b.CHECKPOINT, b.LEAVES, b.SUBMISSIONS),
    *(b.TABLES_JSON, b.TABLES_CSV, b.RESULTS_JSON, b.RESULTS_CSV),
)


@dataclass(frozen=True, slots=True)
class Failure:
    """One thing that does not hold: a stable code, where it is, and what differs."""

    code: str
    where: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "where": self.where, "message": self.message}

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checks: Mapping[str, int]  # what was checked, and how many of each
    failures: tuple[Failure, ...]  # the first ``max_failures``
    total_failures: int
    notes: tuple[str, ...] = ()
    size: int | None = None  # the checkpoint's tree size
    root: str | None = None  # the checkpoint's root, hex

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "root": self.root,
            "checks": dict(self.checks),
            "total_failures": self.total_failures,
            "failures": [f.to_json() for f in self.failures],
            "notes": list(self.notes),
        }

    def codes(self) -> set[str]:
        return {f.code for f in self.failures}


def verify(
    files: Mapping[str, bytes],
    *,
    pinned_key: str | None = None,
    previous: bytes | None = None,
    read_parquet: ParquetReader | None = None,
    rederive: bool = True,
    max_failures: int = 100,
    mapper: Mapper | None = None,
) -> VerifyReport:
    """Check a bundle; never raises for bad data: every problem is a :class:`Failure`.

    ``pinned_key`` is verifier key text obtained independently of the bundle;
    ``previous`` an older signed checkpoint of the same log. ``rederive=False``
    skips re-reading rows (step 5; the published counts are then trusted).
    ``mapper`` (``map(function, chunks)``, e.g. a process pool's) re-reads rows
    on several cores; the default is the builtin ``map``.
    """
    run = _Run(files, max_failures)
    # Millions of small objects and no reference cycles to speak of: the cyclic
    # collector would traverse them over and over (a quarter of the time at a
    # million leaves). Reference counting frees them; the collector is restored.
    collecting = gc.isenabled()
    gc.disable()
    try:
        run.run(pinned_key, previous, read_parquet, rederive, mapper)
    finally:
        if collecting:
            gc.enable()
    return run.report()


class _Run:
    def __init__(self, files: Mapping[str, bytes], limit: int) -> None:
        self.files = files
        self.cmp = Compare(limit)
        self.checks: dict[str, int] = {}
        self.notes: list[str] = []
        self.checkpoint: cp.Checkpoint | None = None

    def fail(self, code: str, where: str, message: str) -> None:
        self.cmp.fail(code, where, message)

    def count(self, name: str, n: int = 1) -> None:
        self.checks[name] = self.checks.get(name, 0) + n

    def report(self) -> VerifyReport:
        c = self.checkpoint
        return VerifyReport(
            ok=self.cmp.total == 0,
            checks=dict(self.checks),
            failures=tuple(Failure(*f) for f in self.cmp.failures),
            total_failures=self.cmp.total,
            notes=tuple(self.notes),
            size=None if c is None else c.size,
            root=None if c is None else c.root_hash.hex(),
        )

    # ----------------------------------------------------------------- steps

    def run(
        self,
        pinned_key: str | None,
        previous: bytes | None,
        read_parquet: ParquetReader | None,
        rederive: bool,
        mapper: Mapper | None = None,
    ) -> None:
        self.manifest()
        for path in _REQUIRED:
            if path not in self.files:
                self.fail("file.missing", path, "a required file of the bundle is missing")
        election = self.election()
        if election is None:
            return
        verifier = self.key(pinned_key)
        self.checkpoint = self.open_checkpoint(verifier)
        leaves, hashes = self.leaves(election, mapper)
        signed = self.tree(hashes)
        mappings = self.mappings(election) if rederive else {}
        if not rederive:
            self.notes.append("rows were not re-read: the published counts were trusted")
        prefix = b.MAPPINGS_DIR + "/"
        mapping_hashes = {
            path[len(prefix) : -len(".toml")]: hashlib.sha256(data).hexdigest()
            for path, data in self.files.items()
            if path.startswith(prefix) and path.endswith(".toml")
        }
        definition = self.files.get(b.ELECTION)
        derived = Rederive(
            election,
            mappings,
            self.cmp,
            self.checks,
            self.notes,
            hashlib.sha256(definition).hexdigest() if definition is not None else "",
            mapping_hashes,
        ).run(leaves, self.files.get(b.SUBMISSIONS), rederive, mapper)
        results = self.tables(election, derived, read_parquet)
        self.regions(election, results, derived, read_parquet)
        if previous is not None:
            self.previous(previous, verifier, signed)
        self.photos(leaves)
        self.audits(election, leaves, hashes, results)

    def manifest(self) -> None:
        data = self.files.get(b.MANIFEST)
        if data is None:
            self.fail("manifest.absent", b.MANIFEST, "the bundle has no MANIFEST")
            return
        listed, problems = b.parse_manifest(data)
        for line, problem in problems:
            self.fail("manifest.malformed", f"MANIFEST line {line}", problem)
        for path, digest in listed.items():
            found = self.files.get(path)
            if found is None:
                self.fail("manifest.missing_file", path, "listed in MANIFEST but not in the bundle")
                continue
            actual = hashlib.sha256(found).hexdigest()
            if actual != digest:
                self.fail(
                    "manifest.hash_mismatch",
                    path,
                    f"SHA-256 is {actual}, MANIFEST says {digest}",
                )
        for path in sorted(self.files):
            if path != b.MANIFEST and path not in listed:
                self.fail("manifest.extra_file", path, "in the bundle but not listed in MANIFEST")
        self.count("manifest_files", len(listed))

    def election(self) -> Election | None:
        data = self.files.get(b.ELECTION)
        if data is None:
            return None
        try:
            return parse_election(data.decode("utf-8"), b.ELECTION)
        except (UnicodeDecodeError, DefinitionError) as exc:
            self.fail("election.invalid", b.ELECTION, str(exc).removeprefix(f"{b.ELECTION}: "))
            return None

    def mappings(self, election: Election) -> dict[str, ImportMapping]:
        out: dict[str, ImportMapping] = {}
        prefix = b.MAPPINGS_DIR + "/"
        for path in sorted(p for p in self.files if p.startswith(prefix) and p.endswith(".toml")):
            try:
                m = parse_mapping(self.files[path].decode("utf-8"), election, path)
            except (UnicodeDecodeError, DefinitionError) as exc:
                self.fail("mapping.invalid", path, str(exc).removeprefix(f"{path}: "))
                continue
            if path != f"{prefix}{m.name}.toml":
                self.fail(
                    "mapping.invalid", path, f"holds format {m.name!r}; name it {m.name}.toml"
                )
            out[m.name] = m
        self.count("mappings", len(out))
        return out

    def key(self, pinned_key: str | None) -> cp.Verifier | None:
        bundled: cp.Verifier | None = None
        data = self.files.get(b.VERIFIER_KEY)
        if data is not None:
            try:
                text = data.decode("ascii")
                if not text.endswith("\n") or "\n" in text[:-1] or "\r" in text:
                    raise ProofError("the key must be one line ending in a newline")
                bundled = cp.Verifier.from_text(text[:-1])
            except (UnicodeDecodeError, ProofError) as exc:
                self.fail("key.invalid", b.VERIFIER_KEY, str(exc))
        if pinned_key is None:
            if bundled is not None:
                self.notes.append(
                    "the checkpoint was checked with the bundle's own key; pin a key obtained "
                    "independently (--key) to know whose log this is"
                )
            return bundled
        try:
            pinned = cp.Verifier.from_text(pinned_key.strip())
        except ProofError as exc:
            self.fail("key.invalid", "pinned key", str(exc))
            return None
        if bundled is not None and bundled.to_text() != pinned.to_text():
            self.fail(
                "key.mismatch",
                b.VERIFIER_KEY,
                f"expected the pinned key {pinned.to_text()}, found {bundled.to_text()}",
            )
        self.count("pinned_key")
        return pinned

    def open_checkpoint(self, verifier: cp.Verifier | None) -> cp.Checkpoint | None:
        note = self.files.get(b.CHECKPOINT)
        if note is None or verifier is None:
            return None
        try:
            opened = cp.open_checkpoint(note, verifier)
        except ProofError as exc:
            self.fail(
                "checkpoint.invalid",
                b.CHECKPOINT,
                f"does not open with the key of {verifier.name} (not signed by it, or not "
                f"a signed checkpoint): {exc}",
            )
            return None
        self.count("checkpoint_signature")
        return opened

    def leaves(
        self, election: Election, mapper: Mapper | None
    ) -> tuple[list[replay.LeafInfo | None], list[bytes | None]]:
        data = self.files.get(b.LEAVES, b"")
        if data and not data.endswith(b"\n"):
            self.fail("leaf.format", b.LEAVES, "the last line has no newline")
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        out: list[replay.LeafInfo | None] = []
        hashes: list[bytes | None] = []
        chunks = (
            (election.id, k, lines[k : k + _LEAF_CHUNK]) for k in range(0, len(lines), _LEAF_CHUNK)
        )
        for parsed in (mapper or map)(replay.parse_leaf_lines, chunks):
            for i, digest, info, problem in parsed:
                hashes.append(digest)
                out.append(info)
                if problem:
                    code, message = problem.split(":", 1)
                    self.fail(code, _lw(i), message.strip())
        self.count("leaves", len(out))
        return out, hashes

    def tree(self, hashes: list[bytes | None]) -> list[bytes] | None:
        """Step 3's root; returns the checkpoint's leaf hashes when the root was rebuilt."""
        c = self.checkpoint
        if c is None:
            return None
        n = len(hashes)
        if n > c.size:
            self.fail(
                "log.unsigned_leaves",
                f"{b.LEAVES} lines {c.size + 1}-{n}",
                f"{n - c.size} leaves lie beyond the checkpoint's {c.size}: no signature covers them",
            )
        if n < c.size:
            self.fail(
                "log.too_short", b.LEAVES, f"the checkpoint covers {c.size} leaves, found {n}"
            )
            return None
        known = [h for h in hashes[: c.size] if h is not None]
        if len(known) != c.size:
            self.fail(
                "log.root_mismatch", b.LEAVES, "unreadable leaves: the root cannot be rebuilt"
            )
            return None
        # One root: the reference MTH hashes each node once and keeps none, which
        # is ~2.7x faster at 1M leaves than materialising every perfect node.
        root = merkle.root_from_leaf_hashes(known)
        if root != c.root_hash:
            self.fail(
                "log.root_mismatch",
                f"{b.LEAVES} leaves 0-{c.size - 1}",
                f"Merkle root is {root.hex()}, the checkpoint says {c.root_hash.hex()}",
            )
        self.count("tree_root")
        return known

    def tables(
        self, election: Election, derived: Derived, read_parquet: ParquetReader | None
    ) -> list[TableResult]:
        """Step 6: reconcile every table again and compare the three renderings."""
        versions = cast(dict[TableId, list[Version]], derived.versions)  # ids, by the scheme
        results = [r for t in sorted(versions) if (r := reconcile(t, versions[t]))]
        self.count("tables", len(results))
        table_text = Renderer(election).table
        rendered = [table_text(r) for r in results]
        self.cmp.json_array(
            self.files.get(b.TABLES_JSON),
            b.TABLES_JSON,
            lambda: [b.table_json(election, r) for r in results],
            ("table_id",),
            "table",
            lines=rendered,
        )
        del rendered
        cols = b.table_columns(election)
        values = b.table_column_values(election, results)  # no dict per table unless needed

        def rows() -> list[b.Row]:
            return b.column_rows(cols, values)

        canonical = b.render_csv_columns(cols, values)
        key = ("table_id",)
        self.cmp.csv(
            self.files.get(b.TABLES_CSV), b.TABLES_CSV, cols, rows, key, "table", canonical
        )
        del canonical
        self.parquet(b.TABLES_PARQUET, read_parquet, rows, key, "table", values)
        return results

    def regions(
        self,
        election: Election,
        results: list[TableResult],
        derived: Derived,
        read_parquet: ParquetReader | None,
    ) -> None:
        """Step 7: tally every region again and compare the three renderings."""
        arrays = b.table_arrays(results, len(election.candidates))
        from_registry = None
        if derived.registry and not derived.registry_seen:  # registries re-read from the log
            ids = sorted(derived.registry)
            voters = [derived.registry[t] for t in ids]
            registry = Registry(ids, np.array([-1 if v is None else v for v in voters], np.int64))
            arrays = fill_registered(arrays, registry)  # where the actas do not say
            from_registry = expected_from_registry(election, registry)
        levels = tally_all(election, arrays, from_registry)
        names = {code: name for code, (name, _) in derived.names.items()}
        expected = [
            tally_to_json(election, r, names) for level in sorted(levels) for r in levels[level]
        ]
        published = _loose_json_array(self.files.get(b.RESULTS_JSON)) if derived.relaxed else None
        if published is not None:
            found = {(o.get("level"), o.get("code")): o for o in published if isinstance(o, dict)}
            for obj in expected:
                pub = found.get((obj["level"], obj["code"]))
                if pub is not None:
                    _relax(obj, pub, derived)
        self.count("regions", len(expected))
        key = ("level", "code")
        region_text = Renderer(election).region
        rendered = [region_text(o) for o in expected]
        data = self.files.get(b.RESULTS_JSON)
        self.cmp.json_array(data, b.RESULTS_JSON, expected, key, "region", lines=rendered)
        del rendered
        rows = [b.region_row(election, o) for o in expected]
        cols = b.region_columns(election)
        self.cmp.csv(self.files.get(b.RESULTS_CSV), b.RESULTS_CSV, cols, rows, key, "region")
        self.parquet(b.RESULTS_PARQUET, read_parquet, rows, key, "region")

    def parquet(
        self,
        path: str,
        reader: ParquetReader | None,
        rows: list[b.Row] | Callable[[], list[b.Row]],
        key: tuple[str, ...],
        what: str,
        by_column: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        data = self.files.get(path)
        if reader is None:
            if data is not None:
                self.count("parquet_hash_only")
            return
        if data is None:
            self.fail("file.missing", path, "the Parquet copy is missing")
            return
        try:
            found = reader(data)
        except ValueError as exc:
            self.fail("file.unreadable", path, str(exc))
            return
        self.cmp.columns(path, found, rows, key, what, by_column)
        self.count("parquet_files")

    def previous(
        self, note: bytes, verifier: cp.Verifier | None, signed: list[bytes] | None
    ) -> None:
        """Step 8: this log extends the one the previous checkpoint saw."""
        new = self.checkpoint
        where = "previous checkpoint"
        if verifier is None or new is None or signed is None:
            self.fail("previous.unchecked", where, "the bundle's own checkpoint did not verify")
            return
        try:
            old = cp.open_checkpoint(note, verifier)
        except ProofError as exc:
            self.fail(
                "previous.invalid",
                where,
                f"does not open with the key of {verifier.name} (not signed by it, or not a "
                f"signed checkpoint): {exc}",
            )
            return
        if old.origin != new.origin:
            self.fail(
                "previous.origin", where, f"origin {old.origin!r}, this log is {new.origin!r}"
            )
            return
        if old.size > new.size:
            self.fail("previous.larger", where, f"size {old.size} exceeds this log's {new.size}")
            return
        nodes = merkle.MemoryNodes(signed)  # every perfect node, for the proof
        root = merkle.root(old.size, nodes)
        if root != old.root_hash:
            self.fail(
                "previous.root_mismatch",
                where,
                f"the first {old.size} leaves have root {root.hex()}, the previous checkpoint "
                f"says {old.root_hash.hex()}: the log was rewritten",
            )
            return
        proof = merkle.consistency_proof(old.size, new.size, nodes)
        if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
            self.fail("previous.consistency", where, "the consistency proof does not verify")
            return
        self.count("previous_checkpoint")

    def photos(self, leaves: list[replay.LeafInfo | None]) -> None:
        """Step 9: photos are content-addressed and belong to leaves."""
        referenced = {leaf.blob for leaf in leaves if leaf is not None and leaf.blob}
        present = 0
        for path in sorted(p for p in self.files if p.startswith(b.PHOTOS_DIR + "/")):
            m = _PHOTO.fullmatch(path)
            if m is None or m.group(1) != m.group(2)[:2]:
                self.fail("photo.bad_path", path, "not photos/<aa>/<sha256>.<ext>")
                continue
            actual = hashlib.sha256(self.files[path]).hexdigest()
            if actual != m.group(2):
                self.fail("photo.hash_mismatch", path, f"the photo's SHA-256 is {actual}")
            elif actual not in referenced:
                self.fail("photo.unreferenced", path, "no leaf names this photo")
            else:
                present += 1
        self.count("photos", present)
        if len(referenced) > present:
            self.notes.append(
                f"{len(referenced) - present} photos named by leaves are not included"
            )

    def audits(
        self,
        election: Election,
        leaves: list[replay.LeafInfo | None],
        hashes: list[bytes | None],
        results: list[TableResult],
    ) -> None:
        """Step 10: samples, decisions and quick-count estimates again from the audit
        leaves and the reconciled results; ``audits.json``."""
        picked = [
            trail.AuditLeaf(i, h.hex(), leaf.raw)
            for i, (leaf, h) in enumerate(zip(leaves, hashes, strict=True))
            if leaf is not None and leaf.channel == "audit" and leaf.kind == "event"
            if leaf.raw is not None and h is not None
        ]
        found = trail.check_bundle(
            picked,
            self.files.get(b.AUDITS_JSON),
            election.id,
            b.counted_votes(election, results),
        )
        for code, seq, _, message in found.failures:
            self.fail(code, _lw(seq) if seq is not None else b.AUDITS_JSON, message)
        for name, n in found.checks.items():
            self.count(name, n)
        self.notes.extend(found.notes)


# --------------------------------------------------------------------------- helpers


def _lw(i: int) -> str:
    return f"{b.LEAVES} line {i + 1} (leaf {i})"


def _loose_json_array(data: bytes | None) -> list[Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, list) else None


def _relax(expected: dict[str, Any], published: Mapping[str, Any], derived: Derived) -> None:
    """Take from ``published`` what the log cannot show: a registry's expected totals,
    and region names the re-read rows did not give."""
    if derived.registry_seen:
        for part in ("tables", "registered"):
            exp, pub = expected.get(part), published.get(part)
            if isinstance(exp, dict) and isinstance(pub, dict):
                for key in ("expected", "coverage"):
                    if key in pub:
                        exp[key] = pub[key]
    code = expected["code"]
    known = derived.names.get(code)
    if code and (known is None or not known[1]) and "name" in published:
        expected["name"] = published["name"]
