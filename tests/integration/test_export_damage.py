"""``actas export`` refuses a damaged store and names the damage (issue 19 D15: corrupted
leaves were exported silently, a corrupt photo was dropped as "not in the store")."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from actas.adapters.blobs import LocalBlobs
from actas.adapters.bundle_files import _blob
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import StoreError

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,201301006,{m},600,300,1,200,100,0,0,0,0,0,0,0,0,u\n"


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    home = tmp_path / "home"
    s = Service.init(Settings.from_env(env={}, home=home), "ve-2024")
    data = tmp_path / "a.csv"
    data.write_text(HEADER + "".join(ROW.format(m=m) for m in range(1, 6)))
    s.import_file(data)
    s.log.publish_checkpoint("2024-07-29T05:00:00.000000Z")
    return s


def test_a_damaged_leaf_is_named_and_nothing_is_exported(svc: Service, tmp_path: Path) -> None:
    svc.close()
    db = sqlite3.connect(svc.settings.home / "actas.db")
    (leaf,) = db.execute("SELECT leaf FROM submissions WHERE seq = 3").fetchone()
    db.execute(
        "UPDATE submissions SET leaf = ? WHERE seq = 3", (bytes(leaf).replace(b"0", b"9", 1),)
    )
    db.commit()
    db.close()
    svc = Service.open(svc.settings)
    out = tmp_path / "bundle"
    with pytest.raises(StoreError, match=r"damaged: .*leaf.* does not match the Merkle tree"):
        svc.export(out)
    assert not out.exists()
    svc.close()


def test_a_missing_row_is_named(svc: Service, tmp_path: Path) -> None:
    svc.close()
    db = sqlite3.connect(svc.settings.home / "actas.db")
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("DELETE FROM submissions WHERE seq = 2")
    db.commit()
    db.close()
    svc = Service.open(svc.settings)
    with pytest.raises(StoreError, match="submission 2 is missing"):
        svc.export(tmp_path / "bundle")
    svc.close()


def test_a_corrupt_photo_is_not_reported_missing(tmp_path: Path) -> None:
    blobs = LocalBlobs(tmp_path / "blobs")
    sha = blobs.put(b"\xff\xd8\xff a photo")
    blobs.path(sha).write_bytes(b"\xff\xd8\xff a phot0")
    with pytest.raises(StoreError, match=f"photo {sha} is damaged"):
        _blob(blobs, sha)
    assert _blob(blobs, hashlib.sha256(b"absent").hexdigest()) is None
