"""Running a witness (``actas witness serve``): the C2SP ``tlog-witness`` use case.

The decision is pure (:func:`actas.core.log.witness.decide`); this module gives it the
clock, the witness's key and record (:class:`~actas.adapters.witness_files.WitnessFolder`,
read and written under one lock so two requests cannot roll each other back), keeps the
evidence of a fork, and serves it over HTTP (:mod:`actas.adapters.tlog_http`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from actas.adapters.tlog_http import WitnessServer
from actas.adapters.witness_files import WitnessFolder
from actas.core.errors import InputError, ProofError
from actas.core.log import checkpoint as cp
from actas.core.log.cosignature import CosignatureVerifier
from actas.core.log.witness import Outcome, decide, origin_of

__all__ = ["Witness", "read_log_keys"]


def read_log_keys(keys: Iterable[str]) -> dict[str, cp.Verifier]:
    """Log verifier keys (text, or a file holding one key per line) by origin."""
    out: dict[str, cp.Verifier] = {}
    for item in keys:
        path = Path(item)
        texts = [item]
        if path.is_file():
            try:
                texts = [t for t in path.read_text("ascii").split() if t]
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read the log key file {path}: {exc}") from None
        for text in texts:
            try:
                key = cp.Verifier.from_text(text)
            except ProofError as exc:
                raise InputError(f"bad log key {text[:60]!r}: {exc}") from None
            if key.name in out and out[key.name] != key:
                raise InputError(f"two different keys are given for the log {key.name!r}")
            out[key.name] = key
    if not out:
        raise InputError("a witness needs at least one log key (--log)")
    return out


class Witness:
    """A witness over ``folder`` trusting ``logs`` (origin → the log's verifier key)."""

    def __init__(self, folder: Path, logs: Mapping[str, cp.Verifier], name: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.files = WitnessFolder(folder)
        self.signer = self.files.signer(name)
        self.logs = dict(logs)
        self.clock = clock
        self.events: list[str] = []  # what was decided, newest last (for the operator)

    @property
    def vkey(self) -> str:
        return CosignatureVerifier.from_signer(self.signer).to_text()

    def add_checkpoint(self, body: bytes) -> Outcome:
        """Decide on one request; persist a cosigned checkpoint before answering."""
        try:
            origin = origin_of(body.partition(b"\n\n")[2])
        except ProofError:
            origin = ""
        now = int(self.clock())
        outcome = self.files.update(
            origin,
            lambda recorded: decide(body, self.logs, recorded, self.signer, now),
            lambda result: result.record,
        )
        if outcome.fork is not None:
            path = self.files.keep_fork(outcome.fork)
            self.events.append(f"FORK of {origin} at size {outcome.fork.size}: evidence in {path}")
        else:
            self.events.append(f"{outcome.status} {origin}: {outcome.reason}")
        return outcome

    def handle(self, body: bytes) -> tuple[int, str, bytes]:
        outcome = self.add_checkpoint(body)
        return outcome.status, outcome.content_type, outcome.body

    def server(self, host: str = "127.0.0.1", port: int = 0, prefix: str = "") -> WitnessServer:
        return WitnessServer(self.handle, host, port, prefix)
