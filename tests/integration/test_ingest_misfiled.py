"""Duplicates are decided by what differs between sheets, not by how alike the pictures
look: two sheets printed from one template (their whole-picture hashes within a few
bits) are never the same picture; a re-sent photo of one sheet (another file, the same
QR payload) is recognised; every photo without a QR reading is queued for people at
once, and the queue says how many wait and for how long."""

from __future__ import annotations

import io

from PIL import Image

from actas.adapters.blobs import MemoryBlobs
from actas.adapters.photo.imaging import hamming, perceptual_hash
from actas.app.people.accounts import People
from actas.app.people.transcription import Transcription
from actas.app.photos.ingest import ingest_photo
from actas.app.service import Service
from actas.dev import synth

COUNTS = (120, 80, 30, 10, 5, 4, 3, 2, 1, 1)


def sheet(svc: Service, table_id: str, votes: tuple[int, ...], *, qr: bool = True) -> bytes:
    e = svc.election
    options = synth.split_votes(e, votes[: len(e.candidates)], 7)
    data, _ = synth.render(e, table_id, options, 3, seed=7, with_qr=qr, size=(900, 1200))
    return data


def resend(data: bytes) -> bytes:
    """The same photo as another phone app sends it: smaller, recompressed."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    img = img.resize((img.width * 4 // 5, img.height * 4 // 5), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def test_sheets_of_one_template_are_not_duplicates_and_resends_are_found(
    service: Service,
) -> None:
    blobs = MemoryBlobs()
    a = sheet(service, "010101001.01", COUNTS)
    b = sheet(service, "010101002.01", (*COUNTS[:1], 81, *COUNTS[2:]))
    again = resend(a)
    # the old check: the pictures look the same (a perceptual hash within 4 bits)
    assert hamming(perceptual_hash(a), perceptual_hash(b)) <= 4
    first = ingest_photo(service, a, "a.jpg", blobs=blobs)
    other = ingest_photo(service, b, "b.jpg", blobs=blobs)
    copy = ingest_photo(service, again, "a-again.jpg", blobs=blobs)
    assert first["table_id"] == "010101001.01" and other["table_id"] == "010101002.01"
    assert copy["table_id"] == "010101001.01" and not copy["duplicate"]
    assert not service.findings(code="photo.duplicate_elsewhere")["findings"]
    [found] = service.findings(code="photo.resent")["findings"]
    assert found["table_id"] == "010101001.01" and found["severity"] == "info"
    assert first["sha256"][:12] in found["message"]
    # the exact same bytes again are not logged twice
    assert ingest_photo(service, a, "a-copy.jpg", blobs=blobs)["duplicate"]


def test_a_photo_without_qr_is_queued_at_ingest(service: Service) -> None:
    tasks = Transcription(People(service, now=lambda: 1722225600.0 + 90, secret=b""))
    assert tasks.queue()["waiting"] == 0
    unread = ingest_photo(service, sheet(service, "010101003.01", COUNTS, qr=False), "n.jpg")
    assert unread["counts"] is None
    queue = tasks.queue()  # nobody asked for the next photo yet
    assert queue["waiting"] == 1 and queue["states"] == {"open": 1}
    assert queue["oldest_received_at"] == "2024-07-29T04:00:00.000000Z"
    assert queue["oldest_age_seconds"] == 90
