"""A witness's folder: its key, the latest checkpoint per log, and the evidence it keeps.

::

    <folder>/witness.key     PRIVATE+KEY+<name>+… (mode 0600), made on first use
    <folder>/witness.pub     the cosignature vkey (type 0x04) to give to logs and verifiers
    <folder>/state.json      {"logs": {origin: {"size", "root", "note"}}}, replaced atomically
    <folder>/evidence/       one JSON file per fork seen: both signed checkpoints

``state.json`` is written to a temporary file, flushed to disk and renamed over the old
one, so a crash leaves either the old record or the new one, never a mix. Updates are
serialised by a lock held across read-check-write (the race the spec warns about), in
this process by a thread lock and across processes by ``flock`` on ``state.lock``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from actas.core.errors import StoreError
from actas.core.log import checkpoint as cp
from actas.core.log.witness import Fork, LogRecord

__all__ = ["WitnessFolder", "write_atomic"]

T = TypeVar("T")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data``: temporary file, fsync, rename, fsync of the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc.strerror}") from None


class WitnessFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- key

    def signer(self, name: str | None = None) -> cp.Signer:
        """The witness key; made with ``name`` on first use (a name is then required)."""
        key_file = self.folder / "witness.key"
        if key_file.exists():
            try:
                signer = cp.Signer.from_text(key_file.read_text("ascii").strip())
            except (OSError, UnicodeDecodeError) as exc:
                raise StoreError(f"cannot read the witness key {key_file}: {exc}") from None
            if name is not None and name != signer.name:
                raise StoreError(
                    f"the witness key in {self.folder} is named {signer.name!r}, not {name!r}"
                )
            return signer
        if name is None:
            raise StoreError(f"no witness key in {self.folder}: give --name to make one")
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        signer = cp.generate_signer(name, os.urandom(32))
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(signer.to_text() + "\n")
        from actas.core.log.cosignature import CosignatureVerifier

        vkey = CosignatureVerifier.from_signer(signer).to_text()
        (self.folder / "witness.pub").write_text(vkey + "\n", "ascii")
        return signer

    # ----------------------------------------------------------------- state

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.folder / "state.lock", "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        path = self.folder / "state.json"
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return {"logs": {}}
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read the witness state {path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("logs"), dict):
            raise StoreError(f"the witness state {path} is not an object with 'logs'")
        return data

    def records(self) -> dict[str, LogRecord]:
        with self._locked():
            logs = self._read()["logs"]
        return {origin: _record(origin, item) for origin, item in logs.items()}

    def update(self, origin: str, decide: Callable[[LogRecord | None], T],
               new_record: Callable[[T], LogRecord | None]) -> T:  # fmt: skip
        """Under the lock: ``decide(current record)``, then persist ``new_record(result)``."""
        with self._locked():
            state = self._read()
            item = state["logs"].get(origin)
            result = decide(None if item is None else _record(origin, item))
            record = new_record(result)
            if record is not None:
                state["logs"][origin] = {
                    "size": record.size,
                    "root": base64.b64encode(record.root_hash).decode("ascii"),
                    "note": record.note.decode("utf-8"),
                }
                text = json.dumps(state, ensure_ascii=False, sort_keys=True, indent=1)
                write_atomic(self.folder / "state.json", text.encode("utf-8") + b"\n")
            return result

    # ----------------------------------------------------------------- evidence

    def keep_fork(self, fork: Fork) -> Path:
        """Write the evidence once (named by the hash of both notes); returns its path."""
        folder = self.folder / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(fork.recorded + b"\0" + fork.submitted).hexdigest()[:16]
        path = folder / f"fork-{fork.size}-{digest}.json"
        if not path.exists():
            text = json.dumps(fork.to_json(), ensure_ascii=False, indent=1) + "\n"
            write_atomic(path, text.encode("utf-8"))
        return path

    def evidence(self) -> list[dict[str, Any]]:
        folder = self.folder / "evidence"
        if not folder.is_dir():
            return []
        return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]


def _record(origin: str, item: dict[str, Any]) -> LogRecord:
    try:
        return LogRecord(
            origin, int(item["size"]), base64.b64decode(item["root"]), item["note"].encode("utf-8")
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"the witness state for {origin!r} is damaged: {exc}") from None
