"""Photo ingestion: files or folders of acta photos -> blobs, submissions, leaves.

The CPU work (:mod:`actas.adapters.photo.reader`: hashing, safe opening, QR decoding, perceptual
hash, one JPEG decode per photo) runs in a process pool across all cores; one writer stores a
batch of photos' bytes in the blob store (in parallel threads, each blob synced)
*before* committing their submissions and leaves in one transaction. Safe to
kill at any moment: rerunning skips every photo already logged (same SHA-256,
checked by the workers before decoding) and completes the rest, so no photo is
lost and none is logged twice.

A decoded QR text is accepted only if it parses under the election's payload
format; anything else is a finding on the logged photo, never a result (how a reading
becomes a submission is pure: :mod:`actas.core.results.photo_intake`; the photo rows
and their perceptual hashes are :mod:`actas.adapters.store.photos`). A photo
without a readable QR can be read by OCR (held for human confirmation, never
tallied) when ``ocr=True``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actas.adapters.blobs import BlobStore, open_blobs
from actas.adapters.lifeline import die_with_parent
from actas.adapters.photo import reader as photoread
from actas.adapters.photo.imaging import Limits, strip_metadata
from actas.adapters.photo.reader import PhotoReading, find_photos, read_photo
from actas.adapters.store import photos
from actas.adapters.store.photos import Connection, PhotoRecord
from actas.app.service import Service
from actas.core.errors import ActasError, InputError, NotFound
from actas.core.model import Finding, Severity, Submission
from actas.core.payload import Payload, get_format
from actas.core.results import rules
from actas.core.results.photo_intake import PhotoRead, Receipt, photo_submission
from actas.core.results.reconcile import Version

__all__ = [
    "IngestSummary",
    "Ingestor",
    "ingest_paths",
    "ingest_photo",
    "public_copy",
]

BATCH = 64
PUT_THREADS = 8


@dataclass
class IngestSummary:
    photos: int = 0
    decoded: int = 0  # a QR payload that parses
    unreadable: int = 0  # stored and logged, no payload (goes to transcription)
    broken: int = 0  # could not be opened safely (stored and logged with a finding)
    rejected: int = 0  # not stored (empty or over the size limit)
    duplicates: int = 0  # already in the log
    queued: int = 0  # put in the transcription queue at once
    seconds: float = 0.0
    stages: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.photos / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["per_second"] = round(self.per_second, 1)
        return out


class Ingestor:
    """The single writer: blobs first, then submissions + leaves in one transaction."""

    def __init__(self, svc: Service, blobs: BlobStore, received_at: str) -> None:
        self.svc = svc
        self.blobs = blobs
        self.received_at = received_at
        election = svc.election
        self.fmt = get_format(election.payload_format or "ve-2024-qr", len(election.options))
        registry = svc.store.registry()
        self.ctx = rules.Context(
            election,
            registry_registered={t: r for t, r in registry.items() if r is not None} or None,
            registry_tables=frozenset(registry) or None,
        )

    def submission(
        self, reading: PhotoReading, claimed: str | None, actor: str, channel: str
    ) -> tuple[Submission, Payload | None]:
        """The submission of one read photo, and its parsed payload
        (:func:`actas.core.results.photo_intake.photo_submission`)."""
        photo = PhotoRead(
            name=reading.name,
            sha256=reading.sha256,
            size=reading.size,
            payload=reading.payload,
            format=reading.format,
            rejected=tuple(reason for _text, reason in reading.rejected),
            error=reading.error,
        )
        receipt = Receipt(self.received_at, channel, actor, claimed)
        return photo_submission(photo, receipt, self.fmt, self.ctx)

    def write(
        self,
        items: Sequence[tuple[PhotoReading, bytes | None, str | None]],
        summary: IngestSummary,
        actor: str = "",
        channel: str = "photo",
    ) -> list[tuple[PhotoReading, int | None, Submission | None]]:
        """Store a batch: blobs, then one transaction for submissions, leaves, photos."""
        out: list[tuple[PhotoReading, int | None, Submission | None]] = []
        subs: list[Submission] = []
        readings: list[PhotoReading] = []
        store = self.svc.store
        with store.read() as conn:
            known = store.known_identities(
                [f"blob:{r.sha256}" for r, _, _ in items if r.sha256], conn
            )
        seen_now: set[str] = set()
        fresh: list[tuple[PhotoReading, bytes, str | None]] = []
        for reading, data, claimed in items:
            summary.photos += 1
            if reading.too_large or not reading.size or not reading.sha256 or data is None:
                summary.rejected += 1
                summary.problems.append(f"{reading.name}: {reading.error or 'not stored'}")
                out.append((reading, None, None))
                continue
            if f"blob:{reading.sha256}" in known or reading.sha256 in seen_now:
                summary.duplicates += 1
                out.append((reading, None, None))
                continue
            seen_now.add(reading.sha256)
            fresh.append((reading, data, claimed))
        # the bytes are safe before their submissions exist
        stored = self._put_all([data for _, data, _ in fresh])
        for (reading, _, claimed), sha in zip(fresh, stored, strict=True):
            if sha != reading.sha256:  # not the bytes that were examined (the file changed)
                summary.rejected += 1
                summary.problems.append(f"{reading.name}: the file changed while reading")
                out.append((reading, None, None))
                continue
            sub, _ = self.submission(reading, claimed, actor, channel)
            if reading.error:
                summary.broken += 1
                summary.problems.append(f"{reading.name}: {reading.error}")
            elif reading.payload is None:
                summary.unreadable += 1
            else:
                summary.decoded += 1
                summary.stages[reading.stage] = summary.stages.get(reading.stage, 0) + 1
            subs.append(sub)
            readings.append(reading)
        if not subs:
            return out
        with store.write() as conn:
            fresh_known = store.known_identities([s.identity() for s in subs], conn)
            keep = [
                (s, r)
                for s, r in zip(subs, readings, strict=True)
                if s.identity() not in fresh_known
            ]
            subs = [s for s, _ in keep]
            seqs = self.svc.log.append(conn, subs)
            records = []
            versions: dict[str, list[Version]] = {}
            for seq, (sub, reading) in zip(seqs, keep, strict=True):
                records.append(
                    PhotoRecord(
                        sha256=reading.sha256,
                        seq=seq,
                        table_id=sub.table_id,
                        phash=reading.phash,
                        width=reading.width,
                        height=reading.height,
                        format=reading.format,
                        stage=reading.stage,
                        decode_ms=int(reading.ms),
                        capture=reading.capture,
                    )
                )
                if sub.table_id and sub.counts is not None:
                    versions.setdefault(sub.table_id, []).append(
                        Version(seq, sub.source.channel, sub.counts)
                    )
                for f in sub.findings:
                    summary.findings[f.code] = summary.findings.get(f.code, 0) + 1
            resent = self._resent(conn, seqs, keep)
            photos.add_photos(conn, records)
            if resent:
                photos.add_findings(conn, resent)
                summary.findings["photo.resent"] = summary.findings.get("photo.resent", 0) + len(
                    resent
                )
            summary.queued += self._queue_unread(conn, seqs, keep)
            self.svc._reconcile(conn, versions.keys(), versions)
            for seq, (sub, reading) in zip(seqs, keep, strict=True):
                out.append((reading, seq, sub))
        return out

    def _put_all(self, datas: Sequence[bytes]) -> list[str]:
        """Store blobs, several at a time (each put syncs its file: waiting, not CPU)."""
        if len(datas) <= 1:
            return [self.blobs.put(d) for d in datas]
        with ThreadPoolExecutor(min(PUT_THREADS, len(datas))) as pool:
            return list(pool.map(self.blobs.put, datas))

    def _resent(
        self, conn: Connection, seqs: Sequence[int], keep: Sequence[tuple[Submission, PhotoReading]]
    ) -> list[tuple[int, Finding]]:
        """An info finding on each photo of a sheet already received: the same QR payload
        bytes, another file. Not an
        error and not new evidence: the same sheet photographed or sent again.

        Different payloads are never the same sheet, however alike the pictures: sheets
        printed from one template look the same to a whole-picture hash. A photo
        without a read QR is not compared (docs/photos.md)."""
        read = [
            (seq, s, r)
            for seq, (s, r) in zip(seqs, keep, strict=True)
            if r.payload is not None and s.counts is not None and s.table_id
        ]
        if not read:
            return []
        known = photos.same_payload(conn, [str(s.table_id) for _, s, _ in read])
        out: list[tuple[int, Finding]] = []
        for seq, sub, reading in read:
            assert reading.payload is not None
            key = (str(sub.table_id), reading.payload)
            earlier = known.setdefault(key, [])
            first = next((sha for sha, _ in earlier if sha != reading.sha256), None)
            if first is not None:
                message = (
                    f"the same sheet as photo {first[:12]}… (the same QR payload): sent again,"
                    " not a new source"
                )
                out.append((seq, Finding("photo.resent", Severity.INFO, message, sub.table_id)))
            earlier.append((reading.sha256, seq))
        return out

    def _queue_unread(
        self, conn: Connection, seqs: Sequence[int], keep: Sequence[tuple[Submission, PhotoReading]]
    ) -> int:
        """Queue for people, in the same transaction, every opened photo whose QR gave no
        accepted reading (:meth:`actas.app.people.transcription.Transcription.enqueue`)."""
        unread = [
            (seq, s, r)
            for seq, (s, r) in zip(seqs, keep, strict=True)
            if s.counts is None and not r.error
        ]
        if not unread:
            return 0
        from actas.app.people.accounts import People
        from actas.app.people.transcription import Transcription

        # queueing needs no pseudonym: no server secret is read
        tasks = Transcription(People(self.svc, secret=b""))
        return sum(tasks.enqueue(conn, r.sha256, seq, s.table_id, "no_qr") for seq, s, r in unread)


def _logged_photos(svc: Service) -> frozenset[str]:
    """SHA-256 of every photo already in the log: the ``photos`` rows, written in the
    same transaction as their leaves (a hint for skipping early; :meth:`Ingestor.write`
    still checks every identity inside its own transaction)."""
    with svc.store.read() as conn:
        return photos.logged_photos(conn)


def public_copy(svc: Service, sha256: str, blobs: BlobStore | None = None) -> str | None:
    """The blob name of the photo's public derivative (no EXIF/GPS, at most 1600 px),
    made on first request and recorded in ``photos.public_sha256``; None when the
    photo is unknown or cannot be opened safely."""
    try:
        with svc.store.read() as conn:
            known = photos.public_sha256(conn, sha256)
    except NotFound:
        return None
    if known:
        return known
    blobs = blobs or open_blobs(svc.settings.blobs, svc.settings.s3_endpoint)
    try:
        public = blobs.put(strip_metadata(blobs.get(sha256)))
    except ActasError:
        return None
    with svc.store.write() as conn:
        photos.set_public_sha256(conn, sha256, public)
    return public


def ingest_photo(
    svc: Service,
    data: bytes,
    name: str,
    *,
    claimed_table: str | None = None,
    actor: str = "",
    channel: str = "photo",
    blobs: BlobStore | None = None,
) -> dict[str, Any]:
    """One uploaded photo (the witness path): decode at once, log, return what was read."""
    blobs = blobs or open_blobs(svc.settings.blobs, svc.settings.s3_endpoint)
    limits = Limits(max_bytes=svc.settings.max_upload)
    if len(data) > limits.max_bytes:
        raise InputError(f"the photo is {len(data):,} bytes; the limit is {limits.max_bytes:,}")
    if not data:
        raise InputError("the photo is empty")
    ing = Ingestor(svc, blobs, svc.clock())
    reading = read_photo(data, name, ing.fmt, limits)
    summary = IngestSummary()
    [(reading, seq, sub)] = ing.write([(reading, data, claimed_table)], summary, actor, channel)
    svc.retally()
    if seq is None:
        with svc.store.read() as conn:
            seqs = svc.store.seqs_by_blob(reading.sha256, conn)
        return {"sha256": reading.sha256, "duplicate": True, "seq": seqs[0] if seqs else None}
    assert sub is not None
    return {
        "sha256": reading.sha256,
        "duplicate": False,
        "seq": seq,
        "table_id": sub.table_id,
        "counts": sub.counts.to_json() if sub.counts else None,
        "stage": reading.stage,
        "findings": [f.to_json() for f in sub.findings],
    }


def _init_reader(parent_pid: int, known: frozenset[str]) -> None:
    """A decoding worker: it ends with the ingest that started it (no orphan after a SIGKILL)."""
    die_with_parent(parent_pid)
    photoread.init_worker(known)


def ingest_paths(
    svc: Service,
    paths: Sequence[Path],
    *,
    workers: int | None = None,
    blobs: BlobStore | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    batch_size: int = BATCH,
) -> IngestSummary:
    """Ingest every photo under ``paths`` with a process pool; resumable and idempotent."""
    t0 = time.perf_counter()
    files = find_photos(paths)
    blobs = blobs or open_blobs(svc.settings.blobs, svc.settings.s3_endpoint)
    ing = Ingestor(svc, blobs, svc.clock())
    summary = IngestSummary()
    # the workers skip what is already logged before paying for decoding (resuming)
    known = _logged_photos(svc)
    fmt = ing.fmt
    max_bytes = svc.settings.max_upload
    args = [(str(p), fmt.name, len(svc.election.options), max_bytes) for p in files]
    n_workers = workers or os.cpu_count() or 1
    own = executor is None and n_workers > 1 and len(args) > 1
    pool: Executor | None = executor or (
        ProcessPoolExecutor(n_workers, initializer=_init_reader, initargs=(os.getpid(), known))
        if own
        else None
    )
    try:
        results: Iterator[PhotoReading] = (
            pool.map(photoread.read_pooled if own else photoread.read_file, args, chunksize=4)
            if pool
            else (photoread.read_file(a, known) for a in args)
        )
        batch: list[tuple[PhotoReading, bytes | None, str | None]] = []
        done = summary.photos
        for path, reading in zip(files, results, strict=True):
            if reading.known:
                summary.photos += 1
                summary.duplicates += 1
                done += 1
                continue
            data = None
            if not reading.too_large and reading.size:
                try:
                    data = path.read_bytes()  # write() checks it is what was examined
                except OSError as exc:
                    reading = PhotoReading(path.name, reading.sha256, 0, error=str(exc))
            batch.append((reading, data, None))
            if len(batch) >= batch_size:
                ing.write(batch, summary)
                done += len(batch)
                batch = []
                if progress:
                    progress(done, len(files))
        if batch:
            ing.write(batch, summary)
    finally:
        if own and pool is not None:
            pool.shutdown()
    svc.retally()
    if progress:
        progress(len(files), len(files))
    summary.seconds = time.perf_counter() - t0
    return summary
