"""Content-addressed blob storage for acta photos: a local folder or S3-compatible.

Blobs are named by the SHA-256 of their bytes and never change. Keys are sharded
``ab/cd/<sha256>`` (folder) or ``<prefix>/ab/cd/<sha256>`` (S3). ``put`` is
idempotent and atomic (a reader never sees a partial blob); ``get`` checks the
hash of what it reads.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from actas.core.errors import NotFound, StoreError

__all__ = ["BlobStore", "LocalBlobs", "MemoryBlobs", "S3Blobs", "open_blobs"]

_SHA = re.compile(r"^[0-9a-f]{64}$")


def _check(sha256: str) -> str:
    if not _SHA.match(sha256):
        raise NotFound(f"not a blob name: {sha256[:80]!r}")
    return sha256


def _key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store bytes; return their SHA-256 (hex). Idempotent."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes named ``sha256``; NotFound when absent."""
        ...

    def exists(self, sha256: str) -> bool: ...


class MemoryBlobs:
    """A dict-backed blob store for tests."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.data.setdefault(sha, bytes(data))
        return sha

    def get(self, sha256: str) -> bytes:
        try:
            return self.data[_check(sha256)]
        except KeyError:
            raise NotFound(f"no blob {sha256}") from None

    def exists(self, sha256: str) -> bool:
        return _check(sha256) in self.data


class LocalBlobs:
    """Blobs in a folder, sharded by the first two bytes of their hash."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / _key(_check(sha256))

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"cannot store blob {sha}: {exc.strerror}") from None
        return sha

    def get(self, sha256: str) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no blob {sha256}") from None
        except OSError as exc:
            raise StoreError(f"cannot read blob {sha256}: {exc.strerror}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(f"blob {sha256} is damaged: its bytes do not match its name")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()


class S3Blobs:
    """Blobs in an S3-compatible bucket (AWS, MinIO, Ceph, moto...)."""

    def __init__(
        self, bucket: str, prefix: str = "", endpoint: str = "", client: Any = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            from actas.adapters.extras import require

            require("s3", "photo storage on S3")
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint or None)
        self.client = client

    def _name(self, sha256: str) -> str:
        key = _key(_check(sha256))
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if self.exists(sha):
            return sha
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._name(sha),
                Body=data,
                ChecksumSHA256=_b64(bytes.fromhex(sha)),
            )
        except Exception as exc:  # botocore raises many kinds; all are I/O here
            raise StoreError(f"cannot store blob {sha} in s3://{self.bucket}: {exc}") from None
        return sha

    def get(self, sha256: str) -> bytes:
        name = self._name(sha256)
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=name)
            data: bytes = obj["Body"].read()
        except Exception as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"no blob {sha256}") from None
            raise StoreError(f"cannot read blob {sha256} from s3://{self.bucket}: {exc}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(f"blob {sha256} is damaged: its bytes do not match its name")
        return data

    def exists(self, sha256: str) -> bool:
        name = self._name(sha256)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
            return True
        except Exception as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StoreError(f"cannot reach s3://{self.bucket}: {exc}") from None


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode("ascii")


def open_blobs(location: str, endpoint: str = "") -> BlobStore:
    """``s3://bucket/prefix`` or a folder path."""
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://") :].partition("/")
        if not bucket:
            raise StoreError(f"no bucket in {location!r}")
        return S3Blobs(bucket, prefix, endpoint)
    return LocalBlobs(Path(location))
