"""`actas ingest` end to end: real V1 counts on synthetic photos, hostile files,
idempotence, and a run killed with SIGKILL halfway."""

from __future__ import annotations

import csv
import io
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from actas.adapters.elections import load_builtin
from actas.app.photos.ingest import ingest_paths
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.log import merkle
from actas.dev.synth import split_votes
from actas.dev.synthset import SheetSpec, generate_set

pytestmark = pytest.mark.slow

E = load_builtin("ve-2024")
CODES = {
    "gonzalez": "EG",
    "maduro": "NM",
    "martinez": "LM",
    "bertucci": "JABE",
    "brito": "JOBR",
    "ecarri": "AE",
    "fermin": "CF",
    "ceballos": "DC",
    "marquez": "EM",
    "rausseo": "BERA",
}
N = 24


def clock() -> str:
    return "2024-07-29T05:00:00.000000Z"


@pytest.fixture(scope="module")
def v1_rows(ve: Path) -> list[dict[str, str]]:
    text = (ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    return rows[:: len(rows) // N][:N]


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory, v1_rows: list[dict[str, str]]) -> Path:
    out = tmp_path_factory.mktemp("ingest-photos")
    specs = []
    for i, r in enumerate(v1_rows):
        votes = [int(r[CODES[c.id]]) for c in E.candidates]
        specs.append(
            SheetSpec(
                table_id=f"{int(r['CENTRO']):09d}.{int(r['MESA']):02d}",
                options=split_votes(E, votes, i),
                null=int(r["VOTOS_NULOS"]),
                seed=i,
                size=(1000, 1333),
            )
        )
    generate_set(E, specs, out, workers=2)
    (out / "truth.jsonl").unlink()
    return out


def hostile(folder: Path, good: Path) -> None:
    folder.mkdir()
    (folder / "zero.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[:3000])
    (folder / "letter.jpg").write_bytes(b"Dear witness, this is not a photo.\n")
    # a 20,000 x 20,000 PNG: a valid header that promises 400 megapixels
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    (folder / "huge.png").write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def test_ingest_real_counts_and_hostile_files(
    tmp_path: Path, photo_dir: Path, v1_rows: list[dict[str, str]]
) -> None:
    svc = Service.init(Settings.from_env(env={}, home=tmp_path / "h"), "ve-2024", clock=clock)
    bad = tmp_path / "bad"
    hostile(bad, sorted(photo_dir.glob("*.jpg"))[0])
    s = ingest_paths(svc, [photo_dir, bad], workers=2)
    assert s.photos == N + 4
    assert s.decoded == N and s.duplicates == 0
    assert s.rejected == 1  # the zero-byte file: nothing to keep
    assert s.broken == 3  # truncated, not an image, too many pixels: kept for review
    assert len(s.problems) == 4 and all(
        p.split(":")[0] in {"zero.jpg", "truncated.jpg", "letter.jpg", "huge.png"}
        for p in s.problems
    )
    assert s.findings.get("photo.unreadable") == 3
    r = svc.results()[0]
    assert r["tables"]["counted"] == N
    assert r["valid"] == sum(int(x["VOTOS_VALIDOS"]) for x in v1_rows)
    by_cand = {c["id"]: c["votes"] for c in r["candidates"]}
    assert by_cand["gonzalez"] == sum(int(x["EG"]) for x in v1_rows)
    # again: nothing new
    again = ingest_paths(svc, [photo_dir, bad], workers=1)
    assert again.duplicates == N + 3 and again.decoded == 0
    assert svc.log.size() == N + 3
    svc.close()


def test_unknown_table_is_kept_and_flagged(tmp_path: Path) -> None:
    out = tmp_path / "p"
    generate_set(E, [SheetSpec("990101001.01", (1,) * 38, 0, seed=1, size=(1000, 1333))], out)
    svc = Service.init(Settings.from_env(env={}, home=tmp_path / "h"), "ve-2024", clock=clock)
    s = ingest_paths(svc, [out], workers=1)
    assert s.decoded == 1 and s.findings.get("table.unknown") == 1
    assert svc.table("990101001.01")["submissions"][0]["findings"][0]["code"] == "table.unknown"
    svc.close()


def test_sigkill_halfway_then_rerun(tmp_path: Path, photo_dir: Path) -> None:
    home = tmp_path / "h"
    Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=clock).close()
    env = {**os.environ, "ACTAS_HOME": str(home)}
    cmd = [
        sys.executable,
        "-m",
        "actas",
        "ingest",
        str(photo_dir),
        "--workers",
        "1",
        "--batch",
        "2",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    svc = Service.open(Settings.from_env(env={}, home=home))
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if svc.log.size() > 0:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = svc.log.size()
    assert before < N, "the run finished before it could be killed; use more photos"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert svc.log.size() == N
    with svc.store.read() as conn:
        subs = list(svc.store.iter_submissions(conn))
        blobs = [s.blob_sha256 for s in subs]
        assert len(blobs) == len(set(blobs)) == N
        assert [s.seq for s in subs] == list(range(N))
        stored_root = merkle.root(N, svc.store.node_reader(conn))
    assert stored_root == merkle.root_from_leaf_hashes([merkle.leaf_hash(s.leaf) for s in subs])
    assert svc.results()[0]["tables"]["counted"] == N
    svc.log.publish_checkpoint(clock())
    bundle = tmp_path / "bundle"
    svc.export(bundle)
    check = subprocess.run(
        [sys.executable, "-m", "actas", "verify", str(bundle)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    svc.close()


def test_portal_serves_only_a_metadata_free_copy(tmp_path: Path, photo_dir: Path) -> None:
    import warnings

    from PIL import Image

    with warnings.catch_warnings():  # starlette's notice about httpx2 is not ours to fix
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from actas.web.app import create_app

    settings = Settings.from_env(env={}, home=tmp_path / "h")
    svc = Service.init(settings, "ve-2024", clock=clock)
    ingest_paths(svc, [sorted(photo_dir.glob("*.jpg"))[0]], workers=1)
    with svc.store.read() as conn:
        sha = conn.exec_driver_sql("SELECT sha256 FROM photos").scalar()
    client = TestClient(create_app(settings, svc))
    r = client.get(f"/photos/{sha}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert (
        r.content != (photo_dir / sorted(p.name for p in photo_dir.glob("*.jpg"))[0]).read_bytes()
    )
    img = Image.open(io.BytesIO(r.content))
    assert max(img.size) <= 1600 and not dict(img.getexif())
    assert client.get(f"/photos/{'0' * 64}").status_code == 404
    svc.close()
