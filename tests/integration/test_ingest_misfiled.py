"""The same picture sent for another table is found through the perceptual-hash band
indexes (near duplicates share a band), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib

from actas.adapters.blobs import MemoryBlobs
from actas.adapters.photo.reader import PhotoReading
from actas.app.photos.ingest import Ingestor, IngestSummary
from actas.app.service import Service

BASE = 0xF0E1_D2C3_B4A5_9687  # high bit set: stored as a negative BIGINT


def reading(n: int, phash: int) -> tuple[PhotoReading, bytes, str]:
    data = f"photo {n}".encode()
    sha = hashlib.sha256(data).hexdigest()
    r = PhotoReading(f"p{n}.jpg", sha, len(data), phash=phash, width=9, height=12)
    return r, data, f"0101010{n:02d}.01"  # no QR: filed under the claimed table


def test_near_duplicate_pictures_of_other_tables_are_flagged(service: Service) -> None:
    ing = Ingestor(service, MemoryBlobs(), service.clock())
    summary = IngestSummary()
    ing.write([reading(1, BASE)], summary)
    flips = [(1 << 0) | (1 << 13) | (1 << 40) | (1 << 63), (1 << 5) | (1 << 18) | (1 << 31)]
    far = (1 << 1) | (1 << 14) | (1 << 27) | (1 << 40) | (1 << 53)  # one bit in every band
    ing.write(
        [
            reading(2, BASE ^ flips[0]),  # 4 bits apart: same picture
            reading(3, BASE ^ flips[1]),  # 3 bits apart
            reading(4, BASE ^ far),  # 5 bits apart: another picture
        ],
        summary,
    )
    assert summary.findings.get("photo.duplicate_elsewhere") == 2
    flagged = service.findings(code="photo.duplicate_elsewhere")["findings"]
    assert sorted(f["table_id"] for f in flagged) == ["010101002.01", "010101003.01"]
