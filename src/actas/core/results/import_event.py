"""The import event: the leaf logged before an imported file's rows, naming the file.

Its raw bytes are compact JSON with sorted keys (``docs/log-format.md``)::

    {"encoding":"utf-8","event":"import","file":"V1.csv","format":"cvzla",
     "header":"COD_EDO,…","sha256":"…","size":123, "election_sha256":"…","mapping_sha256":"…"}

(the two hashes only when known). The importer writes it with :func:`import_leaves` and
the verifier reads it back with :func:`parse_event`: one module holds both sides of the
format. A custom mapping is logged (its exact bytes, channel ``mapping``) in a leaf just
before the event that names it by hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from actas.core.model import Source, Submission, SubmissionKind

__all__ = ["ImportEvent", "event_bytes", "import_leaves", "parse_event"]

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ImportEvent:
    """The JSON of an import EVENT leaf's raw bytes."""

    file: str
    sha256: str
    format: str
    encoding: str
    header: str
    # the mapping the rows were read with: a custom one is logged in an earlier EVENT leaf
    # (channel mapping); a built-in one is the bundle's mappings/<format>.toml
    mapping_sha256: str = ""
    election_sha256: str = ""  # the election definition the import was made under
    size: int | None = None  # the file's length in bytes (written by every importer)


def event_bytes(event: ImportEvent) -> bytes:
    """The raw bytes of an import event leaf."""
    data: dict[str, Any] = {
        "event": "import",
        "file": event.file,
        "sha256": event.sha256,
        "format": event.format,
        "encoding": event.encoding,
        "header": event.header,
    }
    if event.size is not None:
        data["size"] = event.size
    if event.election_sha256:
        data["election_sha256"] = event.election_sha256
    if event.mapping_sha256:
        data["mapping_sha256"] = event.mapping_sha256
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def import_leaves(
    event: ImportEvent,
    received_at: str,
    custom_mapping: bytes | None = None,
    mapping_file_name: str = "",
) -> list[Submission]:
    """The leaves logged before a file's rows: its custom mapping (if any), then the event.

    With a custom mapping, the event's ``mapping_sha256`` is that mapping's hash."""
    out: list[Submission] = []
    if custom_mapping is not None:
        digest = hashlib.sha256(custom_mapping).hexdigest()
        event = ImportEvent(**{**_fields(event), "mapping_sha256": digest})
        out.append(
            Submission(
                kind=SubmissionKind.EVENT,
                source=Source("mapping", mapping_file_name, digest),
                received_at=received_at,
                raw=custom_mapping,
                meta={"format": event.format},
            )
        )
    out.append(
        Submission(
            kind=SubmissionKind.EVENT,
            source=Source("import", event.file, event.sha256),
            received_at=received_at,
            raw=event_bytes(event),
            meta={"format": event.format},
        )
    )
    return out


def _fields(event: ImportEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in ImportEvent.__slots__}


def parse_event(raw: bytes) -> ImportEvent:
    """Parse an import EVENT's raw JSON; raises ValueError when it is not one."""
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("event") != "import":
        raise ValueError("not an import event")
    values = {}
    for key in ("file", "sha256", "format", "encoding", "header"):
        value = data.get(key)
        if not isinstance(value, str):
            raise ValueError(f"{key} is missing or not a string")
        values[key] = value
    hashes = {}
    for key in ("mapping_sha256", "election_sha256"):
        value = data.get(key, "")
        if not isinstance(value, str) or (value and not _HEX64.fullmatch(value)):
            raise ValueError(f"{key} is not a SHA-256")
        hashes[key] = value
    size = data.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ValueError("size is not a byte count")
    return ImportEvent(**values, **hashes, size=size)
