"""Open-data bundle writer (and the Parquet reader the CLI hands to the verifier).

An adapter: it reads one consistent snapshot of the store, renders every file
with :mod:`actas.core.bundle.format` and writes them into a folder, with a ``MANIFEST`` of
SHA-256 hashes. Exporting the same store twice gives byte-identical files:
nothing in the bundle depends on the time of export. The layout and the
verification procedure are ``docs/verification.md``.

    summary = export_bundle(service, Path("bundle"))          # or service.export(...)
    report = verify.verify(read_bundle(Path("bundle")), read_parquet=parquet_columns)
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from actas.adapters.elections import definition_mapping_texts
from actas.adapters.store.protocol import Store
from actas.adapters.tlog import Log
from actas.core.audit import trail
from actas.core.bundle import format as b
from actas.core.errors import ActasError, InputError, NotFound, StoreError
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.log.leaf import inline_raw
from actas.core.log.nodes import read_nodes
from actas.core.model import Election
from actas.core.results.reconcile import TableResult
from actas.core.results.tally import tally_to_json, unpack

__all__ = [
    "BlobSource",
    "ExportSummary",
    "Exportable",
    "builtin_mapping_texts",
    "export_bundle",
    "parquet_bytes",
    "parquet_columns",
    "read_bundle",
]

MAX_BUNDLE_FILE = 8 << 30  # refuse to read a single bundle file above 8 GiB


class BlobSource(Protocol):
    """Where photos come from: the content-addressed blob store (or a fake)."""

    def get(self, sha256: str) -> bytes: ...


class Exportable(Protocol):
    """What the exporter needs of the app's service: its store, election, log and clock."""

    @property
    def store(self) -> Store[Any]: ...

    @property
    def election(self) -> Election: ...

    @property
    def log(self) -> Log: ...

    @property
    def clock(self) -> Callable[[], str]: ...


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    size: int  # leaves in the log (= the checkpoint's tree size)
    root: str  # hex root hash
    tables: int
    regions: int
    photos: int  # photos written
    photos_missing: int  # photos referenced by a leaf but not in the blob store
    files: int  # files listed in MANIFEST
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        out["path"] = str(self.path)
        return out


# --------------------------------------------------------------------------- writing


class _Writer:
    """Writes files under a folder, hashing them on the way (for the MANIFEST)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hashes: dict[str, str] = {}

    @contextmanager
    def open(self, rel: str) -> Iterator[_HashingFile]:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            out = _HashingFile(fh)
            yield out
        self.hashes[rel] = out.sha.hexdigest()

    def put(self, rel: str, data: bytes) -> None:
        with self.open(rel) as fh:
            fh.write(data)


class _HashingFile:
    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.fh.write(data)


def builtin_mapping_texts(election: Election) -> dict[str, str]:
    """Format name -> exact TOML text of the election's built-in import mappings."""
    return definition_mapping_texts(election, None)


def export_bundle(
    service: Exportable,
    out_dir: Path,
    photos: bool = False,
    blobs: BlobSource | None = None,
) -> ExportSummary:
    """Write the open-data bundle of ``service``'s store into ``out_dir``.

    ``out_dir`` must be absent, empty, or an earlier bundle (it has a MANIFEST),
    which is replaced whole. A checkpoint is signed first when the log has grown
    since the latest one. With ``photos``, photos come from ``blobs``; without a
    blob store none are written.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / b.MANIFEST).is_file():
        raise InputError(
            f"{out_dir} is not empty and is not an Actas bundle; choose another folder"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".actas-export-", dir=out_dir.parent))
    try:
        summary = _write(service, work, blobs if photos else None)
        os.chmod(work, 0o755)  # noqa: S103 - a bundle is public by design
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=".actas-old-", dir=out_dir.parent))
            old.rmdir()
            out_dir.rename(old)
            work.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportSummary(out_dir, *summary)


def _write(
    service: Exportable, root: Path, blobs: BlobSource | None
) -> tuple[int, str, int, int, int, int, int, str]:
    store, election = service.store, service.election
    w = _Writer(root)
    definition = store.get_meta("election")
    key = store.get_meta("verifier_key")
    if definition is None or key is None:
        raise StoreError("the store has no election or no verifier key: run 'actas init'")
    w.put(b.ELECTION, definition.encode("utf-8"))
    w.put(b.VERIFIER_KEY, (key.strip() + "\n").encode("ascii"))
    mappings = definition_mapping_texts(election, store.get_meta("mappings"))
    for name, text in mappings.items():
        w.put(f"{b.MAPPINGS_DIR}/{name}.toml", text.encode("utf-8"))
    with store.snapshot() as conn:  # one state of the store for every read below
        size = store.size(conn)
        disclosed = store.disclosed_entries(conn)
        audit_leaves: list[trail.AuditLeaf] = []
        subs = _audit_leaves(store.iter_submissions(conn), audit_leaves)
        hashes: list[bytes] = []
        blob_ids = _leaves_and_submissions(w, election, subs, disclosed, hashes)
        stored = store.checkpoint(size)
        try:
            root_hash = merkle.root(size, store.node_reader(conn))
        except NotFound as exc:
            raise StoreError(
                f"the store is damaged: its Merkle tree is incomplete ({exc})"
            ) from None
        _check_leaves(hashes, size, stored[1] if stored else root_hash, store.node_reader(conn))
        note = _checkpoint(service, size, root_hash)
        results = store.table_results(conn)
        regions = _region_results(store.all_region_results(conn), election)
    w.put(b.CHECKPOINT, note.encode("utf-8"))
    _audits(w, election, audit_leaves, results)
    w.put(b.TABLES_JSON, b.json_lines(b.table_json(election, r) for r in results))
    table_rows = [b.table_row(election, r) for r in results]
    w.put(b.TABLES_CSV, b.render_csv(b.table_columns(election), table_rows))
    w.put(b.TABLES_PARQUET, parquet_bytes(b.table_columns(election), table_rows, _TABLE_TYPES))
    del table_rows
    w.put(b.RESULTS_JSON, b.json_lines(regions))
    region_rows = [b.region_row(election, r) for r in regions]
    w.put(b.RESULTS_CSV, b.render_csv(b.region_columns(election), region_rows))
    w.put(b.RESULTS_PARQUET, parquet_bytes(b.region_columns(election), region_rows, _REGION_TYPES))
    written = missing = 0
    if blobs is not None:
        for sha in sorted(blob_ids):
            data = _blob(blobs, sha)
            if data is None:
                missing += 1
                continue
            w.put(b.photo_path(sha, data), data)
            written += 1
    readme = b.readme_text(
        election,
        size=size,
        root_hex=root_hash.hex(),
        verifier_key=key.strip(),
        tables=len(results),
        regions=len(regions),
        mappings=list(mappings),
        photos=written,
    )
    w.put(b.README, readme.encode("utf-8"))
    manifest = "".join(
        f"{w.hashes[p]}  {p}\n" for p in sorted(w.hashes, key=lambda p: p.encode("utf-8"))
    )
    (root / b.MANIFEST).write_text(manifest, "utf-8")
    return (
        size,
        root_hash.hex(),
        len(results),
        len(regions),
        written,
        missing,
        len(w.hashes),
        note,
    )


def _checkpoint(service: Exportable, size: int, root_hash: bytes) -> str:
    """The signed note for exactly ``size`` leaves: the stored one, or a new one."""
    existing = service.store.checkpoint(size)
    if existing is not None:
        if existing[1] != root_hash:
            raise StoreError(
                f"the stored checkpoint of size {size} has another root: damaged store"
            )
        return existing[2]
    log = service.log
    note = cp.sign_checkpoint(cp.Checkpoint(log.origin, size, root_hash), log.signer())
    text = note.decode("utf-8")
    service.store.add_checkpoint(size, root_hash, text, service.clock())
    return text


def _check_leaves(hashes: list[bytes], size: int, root_hash: bytes, reader: Any) -> None:
    """The leaves written must be the logged tree: a damaged leaf, or a missing row, is a
    ``StoreError`` naming it, never a bundle that fails ``actas verify`` later."""
    if len(hashes) != size:
        raise StoreError(
            f"the store holds {len(hashes)} submissions but its log has {size} leaves:"
            " the store is damaged (rows lost); nothing was exported"
        )
    if merkle.root_from_leaf_hashes(hashes) == root_hash:
        return
    where = "a leaf"
    try:  # the first pair of leaves whose parent is not the stored node
        pairs = read_nodes(reader, [(1, i) for i in range(size // 2)])
        bad = next(
            (
                i
                for i in range(size // 2)
                if pairs[(1, i)] != merkle.node_hash(*hashes[2 * i : 2 * i + 2])
            ),
            None,
        )
        if bad is not None:
            where = f"leaf {2 * bad} or {2 * bad + 1} (its bytes no longer hash to the stored tree)"
    except ActasError:
        pass
    raise StoreError(
        f"the store is damaged: {where} does not match the Merkle tree it was logged in"
        f" (root {root_hash.hex()[:16]}…); nothing was exported"
    )


def _leaves_and_submissions(
    w: _Writer,
    election: Election,
    subs: Any,
    disclosed: set[int],
    hashes: list[bytes],
) -> set[str]:
    """``leaves.txt`` and ``submissions.jsonl``. A transcription entry whose photo is not
    settled (not in ``disclosed``) is published as its commitment only: no raw bytes
    (they hold the secret salt and the entry), no table, no counts."""
    blob_ids: set[str] = set()
    with w.open(b.LEAVES) as leaves, w.open(b.SUBMISSIONS) as lines:
        for s in subs:
            if s.seq != len(hashes):
                raise StoreError(
                    f"the store is damaged: submission {len(hashes)} is missing"
                    f" (the next one is {s.seq}); nothing was exported"
                )
            hashes.append(merkle.leaf_hash(s.leaf))
            leaves.write(base64.b64encode(s.leaf) + b"\n")
            raw_b64 = None if inline_raw(s.kind, len(s.raw)) else base64.b64encode(s.raw).decode()
            sealed = s.kind == "transcription" and s.seq not in disclosed
            entry = b.submission_json(
                election,
                seq=s.seq,
                kind=s.kind,
                channel=s.channel,
                table_id=None if sealed else s.table_id,
                counts=None if sealed else s.counts,
                findings=() if sealed else s.findings,
                blob_sha256=s.blob_sha256,
                raw_sha256=hashlib.sha256(s.raw).hexdigest(),
                raw_b64=None if sealed else raw_b64,
            )
            lines.write((b.dumps(entry) + "\n").encode("utf-8"))
            if s.blob_sha256:
                blob_ids.add(s.blob_sha256)
    return blob_ids


def _region_results(
    rows: Sequence[tuple[int, str, str, str]], election: Election
) -> list[dict[str, Any]]:
    """The published regional results (national first, then each level by code) from
    the store's (level, code, name, packed tally) rows."""
    return [
        tally_to_json(election, unpack(code, data), {code: name}) for _, code, name, data in rows
    ]


def _blob(blobs: BlobSource, sha: str) -> bytes | None:
    """A photo's bytes; ``None`` only when the blob store does not have it. A photo it
    has but cannot read, or whose bytes are not those logged, is a ``StoreError`` naming
    it (it used to be counted as "not in the store")."""
    try:
        data = blobs.get(sha)
    except (NotFound, KeyError):
        return None
    except StoreError as exc:
        raise StoreError(f"photo {sha} is damaged in the blob store: {exc}") from None
    except OSError as exc:
        raise StoreError(f"photo {sha} cannot be read from the blob store: {exc}") from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise StoreError(
            f"photo {sha} is damaged in the blob store: its bytes do not match its name"
        )
    return data


# --------------------------------------------------------------------------- Parquet

_TABLE_TYPES = {"table_id": "s", "status": "s", "channels": "s", "seqs": "s", "differing": "s"}
_REGION_TYPES = {
    "level": "s",
    "code": "s",
    "name": "s",
    "tables_coverage": "f",
    "registered_coverage": "f",
    "turnout": "f",
}


def parquet_bytes(columns: Sequence[str], rows: Sequence[b.Row], types: dict[str, str]) -> bytes:
    """The rows as a Parquet file (string, float64 or int64 columns; nulls kept)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"s": pa.string(), "f": pa.float64(), "i": pa.int64()}
    arrays = [pa.array([r[col] for r in rows], type=kinds[types.get(col, "i")]) for col in columns]
    table = pa.Table.from_arrays(arrays, names=list(columns))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=False)
    return bytes(sink.getvalue().to_pybytes())


def parquet_columns(data: bytes) -> dict[str, list[Any]]:
    """A Parquet file's columns, name -> values (handed to :func:`actas.core.verify.procedure.verify`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        columns: dict[str, list[Any]] = pq.read_table(pa.BufferReader(data)).to_pydict()
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"not a readable Parquet file: {exc}") from None
    return columns


# --------------------------------------------------------------------------- reading


def read_bundle(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (path relative, with ``/``) -> its bytes; or
    every file of a zip of the bundle (as downloaded), with or without one top folder."""
    folder = Path(folder)
    if folder.is_file() and zipfile.is_zipfile(folder):
        return _read_zip(folder)
    if not folder.is_dir():
        raise NotFound(f"{folder} is not a folder (nor a zip of a bundle)")
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            raise InputError(f"{path} is a symbolic link; a bundle holds regular files only")
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_BUNDLE_FILE:
            raise InputError(f"{path} is larger than {MAX_BUNDLE_FILE} bytes")
        out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def _read_zip(path: Path) -> dict[str, bytes]:
    """:func:`read_bundle` of a zip: nothing is extracted; names are checked as MANIFEST
    paths are (no absolute paths, no ``..``), sizes before reading (no zip bombs)."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in infos)
            if total > MAX_BUNDLE_FILE:
                raise InputError(f"{path} unpacks to {total} bytes, over {MAX_BUNDLE_FILE}")
            names = [i.filename for i in infos]
            tops = {n.split("/", 1)[0] for n in names}
            # a zip of the folder itself: one top folder holding everything
            strip = len(tops) == 1 and all("/" in n for n in names)
            for info in infos:
                name = info.filename.split("/", 1)[1] if strip else info.filename
                parts = name.split("/")
                if name.startswith("/") or "\\" in name or ".." in parts or "" in parts:
                    raise InputError(f"{path}: {info.filename[:80]!r} is not a bundle path")
                out[name] = z.read(info)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path} cannot be read as a zip: {exc}") from None
    return out


def _audit_leaves(subs: Iterator[Any], out: list[trail.AuditLeaf]) -> Iterator[Any]:
    """Pass the submissions through, keeping the audit documents (EVENT leaves on ``audit``)."""
    for s in subs:
        if s.kind == "event" and s.channel == "audit":
            out.append(trail.AuditLeaf(s.seq, merkle.leaf_hash(s.leaf).hex(), s.raw))
        yield s


def _audits(
    w: _Writer,
    election: Election,
    leaves: list[trail.AuditLeaf],
    results: Sequence[TableResult],
) -> None:
    """``audits.json``: every audit's sample and decision as its leaves give them (if any),
    a quick count's estimate from the results this bundle publishes."""
    trails, _ = trail.read_trails(leaves, election.id)  # the verifier reports the problems
    if trails:
        ordered = sorted(trails.values(), key=lambda t: t.commitment_seq)
        votes_of = b.counted_votes(election, results)
        w.put(b.AUDITS_JSON, b.json_lines(trail.summary(t, votes_of=votes_of) for t in ordered))
