"""What a verification found: every :class:`Failure`, and the :class:`VerifyReport`. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actas.core.bundle import format as b

__all__ = ["Failure", "VerifyReport", "leaf_where"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One thing that does not hold: a stable code, where it is, and what differs."""

    code: str
    where: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "where": self.where, "message": self.message}

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome: ``ok`` when nothing failed; what was checked, the failures, the notes."""

    ok: bool
    checks: Mapping[str, int]  # what was checked, and how many of each
    failures: tuple[Failure, ...]  # the first ``max_failures``
    total_failures: int
    notes: tuple[str, ...] = ()
    size: int | None = None  # the checkpoint's tree size
    root: str | None = None  # the checkpoint's root, hex

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "root": self.root,
            "checks": dict(self.checks),
            "total_failures": self.total_failures,
            "failures": [f.to_json() for f in self.failures],
            "notes": list(self.notes),
        }

    def codes(self) -> set[str]:
        return {f.code for f in self.failures}


def leaf_where(i: int) -> str:
    """Where leaf ``i`` is, as a failure names it: its line of ``leaves.txt``."""
    return f"{b.LEAVES} line {i + 1} (leaf {i})"
