"""The writer's batch path: blobs stored in parallel before one transaction, bytes
checked against what was examined, and workers that skip photos already logged."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
from pathlib import Path

import pytest
from PIL import Image

from actas.adapters.blobs import MemoryBlobs
from actas.adapters.photo.reader import PhotoReading, read_file
from actas.app.photos import ingest
from actas.app.photos.ingest import Ingestor, IngestSummary, ingest_paths
from actas.app.service import Service


def reading(n: int) -> tuple[PhotoReading, bytes, str]:
    data = f"photo {n}".encode()
    sha = hashlib.sha256(data).hexdigest()
    r = PhotoReading(f"p{n}.jpg", sha, len(data), phash=n, width=9, height=12)
    return r, data, f"0101010{n % 100:02d}.01"  # no QR: filed under the claimed table


def test_a_batch_is_stored_then_logged_in_one_go(service: Service) -> None:
    blobs = MemoryBlobs()
    ing = Ingestor(service, blobs, service.clock())
    summary = IngestSummary()
    items = [reading(n) for n in range(1, 41)]
    out = ing.write(items, summary)
    assert service.log.size() == 40 and summary.unreadable == 40
    assert sorted(seq for _, seq, _ in out if seq is not None) == list(range(40))
    assert set(blobs.data) == {r.sha256 for r, _, _ in items}


def test_bytes_that_are_not_what_was_examined_are_not_logged(service: Service) -> None:
    blobs = MemoryBlobs()
    ing = Ingestor(service, blobs, service.clock())
    summary = IngestSummary()
    good = reading(1)
    changed_reading, _, claimed = reading(2)
    changed = (changed_reading, b"the file was rewritten after it was read", claimed)
    ing.write([good, changed], summary)
    assert service.log.size() == 1 and summary.rejected == 1
    assert summary.problems == ["p2.jpg: the file changed while reading"]


def _jpeg(tmp_path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("L", (64, 48), 200).save(buf, format="JPEG")
    path = tmp_path / "plain.jpg"
    path.write_bytes(buf.getvalue())
    return path


def test_a_worker_hashes_a_known_photo_and_does_not_examine_it(tmp_path: Path) -> None:
    path = _jpeg(tmp_path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    args = (str(path), "ve-2024-qr", 38, 25_000_000)
    fresh = read_file(args)
    assert not fresh.known and fresh.sha256 == sha and fresh.stage == "none"
    assert fresh.phash is not None and fresh.capture["width"] == 64
    known = read_file(args, frozenset({sha}))
    assert known.known and known.sha256 == sha and known.stage == "" and known.phash is None
    assert read_file(args, frozenset({"0" * 64})).stage == "none"


def test_a_rerun_skips_what_is_logged_in_every_worker(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for n in range(4):
        buf = io.BytesIO()
        Image.new("L", (64, 48), 40 * n).save(buf, format="JPEG")
        (folder / f"{n}.jpg").write_bytes(buf.getvalue())
    blobs = MemoryBlobs()
    first = ingest_paths(service, [folder], workers=2, blobs=blobs)
    assert first.unreadable == 4 and service.log.size() == 4

    def examined(*_: object) -> None:
        raise AssertionError("a photo already logged was examined again")

    # forked pool workers inherit the patch; elsewhere only the in-process path is checked
    monkeypatch.setattr(ingest, "read_photo", examined)
    forked = multiprocessing.get_start_method() == "fork"
    for workers in (2, 1) if forked else (1,):
        again = ingest_paths(service, [folder], workers=workers, blobs=blobs)
        assert again.photos == again.duplicates == 4 and again.unreadable == 0
    assert service.log.size() == 4
