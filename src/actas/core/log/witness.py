"""A witness's decisions (C2SP ``tlog-witness``), pure: bytes and records in, an outcome out.

The ``add-checkpoint`` request body is::

    old <size>\\n                 the size the client believes the witness holds
    <base64 hash>\\n ...          zero to 63 consistency proof lines (RFC 6962 §2.1.2)
    \\n                           an empty line
    <signed checkpoint note>

and the answers are those of the specification: 200 with the cosignature line, 400 for a
malformed request or an old size above the checkpoint's, 403 when no signature of a
trusted log key verifies, 404 for an unknown origin, 409 with the recorded size
(``text/x.tlog.size``) when the old size is not the one recorded or the root differs at
the recorded size, 422 when the consistency proof does not verify.

A **fork** is two checkpoints signed by the log's key for the same size with different
roots: they cannot both be true, and together they are evidence anyone can check with
the log's public key. :func:`decide` returns that evidence beside the 409 whenever it
sees one, so the caller keeps it. The caller persists ``Outcome.record`` (the new latest
checkpoint of that origin) before answering, atomically with the read of the old one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co
from actas.core.log import merkle

__all__ = [
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "Fork",
    "LogRecord",
    "Outcome",
    "decide",
    "origin_of",
]

#: Most consistency proof lines a request may carry (the spec's limit).
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` request."""

    old_size: int
    proof: tuple[bytes, ...]
    note: bytes

    def encode(self) -> bytes:
        lines = [f"old {self.old_size}"] + [base64.b64encode(p).decode() for p in self.proof]
        return "".join(line + "\n" for line in lines).encode("ascii") + b"\n" + self.note

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body, or raise ProofError saying what is wrong (a 400)."""
        head, sep, note = body.partition(b"\n\n")
        if not sep:
            raise ProofError("request has no empty line before the checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError:
            raise ProofError("request's old size and proof lines are not ASCII") from None
        first = lines[0]
        size_text = first.removeprefix("old ")
        if size_text == first or not (size_text == "0" or size_text[:1] in "123456789"):
            raise ProofError(f"request's first line {first[:40]!r} is not 'old <size>'")
        if not size_text.isdigit() or not size_text.isascii():
            raise ProofError(f"request's old size {size_text[:40]!r} is not a decimal")
        old_size = int(size_text)
        if old_size > cp.MAX_TREE_SIZE:
            raise ProofError("request's old size does not fit in 64 bits")
        proof_lines = lines[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            raise ProofError(f"request has {len(proof_lines)} proof lines, at most 63")
        proof = []
        for number, line in enumerate(proof_lines, start=1):
            try:
                item = base64.b64decode(line, validate=True)
            except binascii.Error:
                raise ProofError(f"proof line {number} is not base64") from None
            if len(item) != 32 or base64.b64encode(item).decode() != line:
                raise ProofError(f"proof line {number} is not the base64 of a 32-byte hash")
            proof.append(item)
        return cls(old_size, tuple(proof), note)


def origin_of(note: bytes) -> str:
    """The origin line of a checkpoint note (unverified), to find the log's key and record."""
    first, sep, _ = note.partition(b"\n")
    if not sep or not first:
        raise ProofError("checkpoint has no origin line")
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError:
        raise ProofError("checkpoint origin is not UTF-8") from None


@dataclass(frozen=True)
class LogRecord:
    """The latest checkpoint a witness cosigned for one origin (the note as submitted)."""

    origin: str
    size: int
    root_hash: bytes
    note: bytes


@dataclass(frozen=True)
class Fork:
    """Two checkpoints signed by one log key, the same size, different roots."""

    origin: str
    size: int
    log_key: str  # the log's verifier key text both notes open with
    recorded: bytes  # the note the witness had cosigned
    submitted: bytes  # the conflicting note it was sent

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "fork",
            "origin": self.origin,
            "size": self.size,
            "log_key": self.log_key,
            "checkpoints": [self.recorded.decode("utf-8"), self.submitted.decode("utf-8")],
        }


@dataclass(frozen=True)
class Outcome:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    record: LogRecord | None = None  # to persist before answering (a 200)
    fork: Fork | None = None  # evidence to keep
    reason: str = ""


def _fail(status: int, reason: str, **kw: object) -> Outcome:
    return Outcome(status, (reason + "\n").encode("utf-8"), reason=reason, **kw)  # type: ignore[arg-type]


def decide(
    request: bytes,
    logs: Mapping[str, cp.Verifier],
    recorded: LogRecord | None,
    signer: cp.Signer,
    timestamp: int,
) -> Outcome:
    """The witness's answer to one ``add-checkpoint`` request.

    ``logs``: the trusted log keys by origin; ``recorded``: what the witness holds for
    the request's origin (``None`` if it never cosigned it); ``signer``: the witness key;
    ``timestamp``: now, in POSIX seconds.
    """
    try:
        req = AddCheckpoint.parse(request)
        origin = origin_of(req.note)
    except ProofError as exc:
        return _fail(400, str(exc))
    verifier = logs.get(origin)
    if verifier is None:
        return _fail(404, f"unknown log origin {origin[:200]!r}")
    try:
        checkpoint = cp.open_checkpoint(req.note, verifier, origin=origin)
    except ProofError as exc:
        return _fail(403, f"checkpoint is not signed by the log's key: {exc}")
    fork = None
    if (
        recorded is not None
        and recorded.size == checkpoint.size
        and recorded.root_hash != checkpoint.root_hash
    ):
        fork = Fork(origin, checkpoint.size, verifier.to_text(), recorded.note, req.note)
    if req.old_size > checkpoint.size:
        return _fail(400, f"old size {req.old_size} is above the checkpoint's {checkpoint.size}")
    held = 0 if recorded is None else recorded.size
    if req.old_size != held or fork is not None:
        return Outcome(
            409,
            f"{held}\n".encode("ascii"),
            SIZE_TYPE,
            fork=fork,
            reason=(
                f"fork: another root at size {held}"
                if fork is not None
                else f"the witness holds size {held}, not {req.old_size}"
            ),
        )
    old_root = merkle.EMPTY_ROOT if recorded is None else recorded.root_hash
    try:
        merkle.check_consistency(
            req.old_size, checkpoint.size, old_root, checkpoint.root_hash, req.proof
        )
    except ProofError as exc:
        return _fail(422, f"consistency proof from {req.old_size} to {checkpoint.size}: {exc}")
    body, _ = co.split_note(req.note)
    line = co.cosign(body, signer, timestamp).line()
    record = LogRecord(origin, checkpoint.size, checkpoint.root_hash, req.note)
    return Outcome(200, line.encode("utf-8"), record=record, reason="cosigned")
