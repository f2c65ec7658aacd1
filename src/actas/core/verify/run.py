"""One verification under way: the files, the failures, the counts and the notes. Pure.

Every step of the procedure (:mod:`actas.core.verify.procedure`) takes the
:class:`Run`, records a :class:`~actas.core.verify.report.Failure` for each thing
that does not hold and counts what it checked.
"""

from __future__ import annotations

from collections.abc import Mapping

from actas.core.bundle.compare import Compare
from actas.core.log import checkpoint as cp
from actas.core.verify.report import Failure, VerifyReport

__all__ = ["Run"]


class Run:
    """One verification under way: the bundle's files, and what was found so far."""

    def __init__(self, files: Mapping[str, bytes], limit: int) -> None:
        self.files = files
        self.cmp = Compare(limit)
        self.checks: dict[str, int] = {}
        self.notes: list[str] = []
        self.checkpoint: cp.Checkpoint | None = None

    def fail(self, code: str, where: str, message: str) -> None:
        self.cmp.fail(code, where, message)

    def count(self, name: str, n: int = 1) -> None:
        self.checks[name] = self.checks.get(name, 0) + n

    def report(self) -> VerifyReport:
        c = self.checkpoint
        return VerifyReport(
            ok=self.cmp.total == 0,
            checks=dict(self.checks),
            failures=tuple(Failure(*f) for f in self.cmp.failures),
            total_failures=self.cmp.total,
            notes=tuple(self.notes),
            size=None if c is None else c.size,
            root=None if c is None else c.root_hash.hex(),
        )
