"""How many independent sources agree on a table's result (pure: no I/O).

``grade(result, submissions)`` counts the versions that agree with the table's
counts by kind of source: ``qr`` (a photo's QR payload), ``transcription``
(accepted double entries), ``import`` (rows of imported files). A reviewer's
decision is reported with its reason. The portal shows it as, e.g., "QR and 2
transcriptions agree".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from actas.core.model import Counts
from actas.core.results.reconcile import Status, TableResult

__all__ = ["grade"]

SOURCE = {"photo": "qr", "transcription": "transcription", "record": "import"}


class _Sub(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def counts(self) -> Counts | None: ...
    @property
    def raw(self) -> bytes: ...
    @property
    def actor(self) -> str: ...


def _agrees(a: Counts, b: Counts) -> bool:
    x, y = a.comparable(), b.comparable()
    return all(x[k] == y[k] for k in x.keys() & y.keys())


def grade(result: TableResult | None, subs: Sequence[_Sub]) -> dict[str, Any] | None:
    if result is None:
        return None
    seqs = set(result.seqs)
    versions = [s for s in subs if s.seq in seqs and s.counts is not None]
    readings = [s for s in versions if s.kind != "decision"]
    by: dict[str, int] = {}
    if result.counts is not None:
        for s in readings:
            assert s.counts is not None
            if _agrees(s.counts, result.counts):
                name = SOURCE.get(s.kind, s.kind)
                by[name] = by.get(name, 0) + 1
    out: dict[str, Any] = {
        "status": str(result.status),
        "agree": dict(sorted(by.items())),
        "agreeing": sum(by.values()),
        "versions": len(readings),
        "decision": None,
    }
    if result.status is Status.RESOLVED:
        decision = max((s for s in versions if s.kind == "decision"), key=lambda s: s.seq)
        try:
            body = json.loads(decision.raw)
            reason = str(body.get("reason", ""))
        except (ValueError, AttributeError):
            reason = ""
        out["decision"] = {"seq": decision.seq, "reason": reason, "actor": decision.actor}
    return out
