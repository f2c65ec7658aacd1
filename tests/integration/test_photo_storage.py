"""Photos in S3-compatible storage or a local folder: chosen by settings, same bundle.

- a photo is stored before its submission is committed: a failed upload logs nothing;
- the same photos ingested through moto's S3 server and through a local folder give
  byte-identical exports (``actas export --photos``: equal MANIFEST files).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actas.__main__ import app as cli
from actas.adapters.blobs import MemoryBlobs, S3Blobs, open_blobs
from actas.adapters.store import schema
from actas.app.photos.ingest import ingest_paths, ingest_photo
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import StoreError
from photoset import render_set

AWS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def fixed_clock() -> str:
    return "2024-07-29T04:00:00.000000Z"


class FailingBlobs(MemoryBlobs):
    """A blob store whose uploads fail after ``ok`` successful ones."""

    def __init__(self, ok: int = 0) -> None:
        super().__init__()
        self.ok = ok

    def put(self, data: bytes) -> str:
        if self.ok <= 0:
            raise StoreError("cannot store blob: the object store is unreachable")
        self.ok -= 1
        return super().put(data)


@pytest.fixture(scope="module")
def few_photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return render_set(tmp_path_factory.mktemp("few-photos"), 5)


def photo_rows(svc: Service) -> int:
    with svc.store.read() as conn:
        return len(conn.execute(schema.photos.select()).all())


def test_failed_upload_leaves_no_submission(service: Service, few_photos: list[Path]) -> None:
    data = few_photos[0].read_bytes()
    with pytest.raises(StoreError, match="unreachable"):
        ingest_photo(service, data, "a.jpg", blobs=FailingBlobs())
    assert service.log.size() == 0 and photo_rows(service) == 0
    # a batch whose third upload fails: nothing of the batch is logged
    with pytest.raises(StoreError):
        ingest_paths(service, few_photos, workers=1, blobs=FailingBlobs(ok=2))
    assert service.log.size() == 0 and photo_rows(service) == 0
    # once the store works again, the same photos go in (and are idempotent)
    good = MemoryBlobs()
    summary = ingest_paths(service, few_photos, workers=1, blobs=good)
    assert summary.decoded == 5 and service.log.size() == 5 and len(good.data) == 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server")
    port = free_port()
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_s3_and_local_photos_give_identical_exports(
    s3_endpoint: str, few_photos: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in AWS.items():
        monkeypatch.setenv(k, v)
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="actas-photos")
    s3_env = {"ACTAS_BLOBS": "s3://actas-photos/ve", "ACTAS_S3_ENDPOINT": s3_endpoint}
    # two data folders with the same database and key: one keeps photos in S3
    first = tmp_path / "s3-home"
    Service.init(Settings.from_env(env={}, home=first), "ve-2024", clock=fixed_clock).close()
    second = tmp_path / "local-home"
    shutil.copytree(first, second)
    homes = {first: s3_env, second: {}}
    for home, env in homes.items():
        svc = Service.open(Settings.from_env(env=env, home=home), clock=fixed_clock)
        try:
            assert ingest_paths(svc, few_photos, workers=1).decoded == 5
        finally:
            svc.close()
    s3 = open_blobs(s3_env["ACTAS_BLOBS"], s3_endpoint)
    assert isinstance(s3, S3Blobs)
    keys = s3.client.list_objects_v2(Bucket="actas-photos", Prefix="ve/")["Contents"]
    assert len(keys) == 5
    assert len(list((second / "blobs").rglob("*"))) > 5 and not (first / "blobs").exists()

    manifests = []
    for home, env in homes.items():
        out = tmp_path / f"bundle-{home.name}"
        result = CliRunner().invoke(
            cli, ["export", "--photos", "--home", str(home), str(out)], env={**env, **AWS}
        )
        assert result.exit_code == 0, result.output
        assert "photos: 5 written, 0 not in the store" in result.output
        manifests.append((out / "MANIFEST").read_bytes())
    assert manifests[0] == manifests[1]
    assert manifests[0].count(b" photos/") == 5
    with contextlib.suppress(Exception):
        s3.client.close()
