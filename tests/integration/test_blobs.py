"""One contract for every blob store: memory, local folder, S3 (moto's server)."""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from actas.adapters.blobs import BlobStore, LocalBlobs, MemoryBlobs, S3Blobs, open_blobs
from actas.core.errors import NotFound, StoreError


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


@pytest.fixture(params=["memory", "local", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> BlobStore:
    if request.param == "memory":
        return MemoryBlobs()
    if request.param == "local":
        return LocalBlobs(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    for k, v in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    bucket = f"actas-{request.node.name.split('[')[0].replace('_', '-')[:30]}"
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=bucket)
    return S3Blobs(bucket, "photos", client=client)


def test_contract(store: BlobStore) -> None:
    data = b"\xff\xd8\xff an acta photo"
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.exists(sha)
    assert store.get(sha) == data
    assert store.put(data) == sha  # idempotent
    other = hashlib.sha256(b"nothing").hexdigest()
    assert not store.exists(other)
    with pytest.raises(NotFound):
        store.get(other)
    with pytest.raises(NotFound):
        store.get("../../etc/passwd")


def test_local_layout_and_damage(tmp_path: Path) -> None:
    blobs = LocalBlobs(tmp_path)
    sha = blobs.put(b"x")
    path = tmp_path / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == b"x"
    assert not list(path.parent.glob(".tmp-*"))
    path.write_bytes(b"y")
    with pytest.raises(StoreError, match="damaged"):
        blobs.get(sha)


def test_open_blobs(tmp_path: Path) -> None:
    assert isinstance(open_blobs(str(tmp_path)), LocalBlobs)
    with pytest.raises(StoreError):
        open_blobs("s3://")


def test_s3_and_local_hold_identical_bytes(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="identical")
    s3 = S3Blobs("identical", client=client)
    local = LocalBlobs(tmp_path)
    payloads = [bytes([i]) * (i * 1000 + 1) for i in range(5)]
    for p in payloads:
        assert s3.put(p) == local.put(p)
    for p in payloads:
        sha = hashlib.sha256(p).hexdigest()
        assert s3.get(sha) == local.get(sha) == p
