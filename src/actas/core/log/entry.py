"""A log entry as read back: a submission with its leaf index and leaf bytes.

What a store returns for each leaf (``actas.adapters.store``): the leaf as logged and
what was read from it and judged (table, counts, findings), which are data about the
leaf and not part of it (``docs/log-format.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from actas.core.log import merkle
from actas.core.model import Counts, Finding

__all__ = ["LoggedSubmission"]


@dataclass(frozen=True, slots=True)
class LoggedSubmission:
    """A submission as stored: its leaf index and hash, what was read and judged."""

    seq: int
    kind: str
    channel: str
    table_id: str | None
    received_at: str
    blob_sha256: str
    actor: str
    counts: Counts | None
    leaf: bytes
    raw: bytes
    findings: tuple[Finding, ...]

    @property
    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.leaf)
