"""The pure witness decision and the add-checkpoint request format (C2SP tlog-witness)."""

from __future__ import annotations

import pytest

from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co
from actas.core.log import merkle
from actas.core.log.witness import AddCheckpoint, LogRecord, decide

LOG = cp.Signer("log.example/l", bytes(range(32)))
WIT = cp.Signer("witness.example/w", bytes(range(1, 33)))
LEAVES = [merkle.leaf_hash(bytes([i])) for i in range(10)]


def note(size: int, root: bytes | None = None) -> bytes:
    r = root if root is not None else merkle.root(size, merkle.MemoryNodes(LEAVES[:size]))
    return cp.sign_checkpoint(cp.Checkpoint(LOG.name, size, r), LOG)


def record(size: int) -> LogRecord:
    n = note(size)
    return LogRecord(LOG.name, size, cp.Checkpoint.parse(n.split(b"\n\n")[0] + b"\n").root_hash, n)


def ask(old: int, size: int, held: LogRecord | None, proof: tuple[bytes, ...] | None = None) -> int:
    nodes = merkle.MemoryNodes(LEAVES[:size])
    if proof is None:
        proof = tuple(merkle.consistency_proof(old, size, nodes)) if old <= size else ()
    p = proof
    body = AddCheckpoint(old, p if old else (), note(size)).encode()
    return decide(body, {LOG.name: LOG.verifier()}, held, WIT, 1700000000).status


def test_request_round_trip_and_spec_example_shape() -> None:
    req = AddCheckpoint(4, (bytes(32), bytes([1]) * 32), b"x\n")
    assert req.encode().startswith(b"old 4\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
    assert AddCheckpoint.parse(req.encode()) == req


@pytest.mark.parametrize(
    "body",
    [b"old 01\n\nx", b"old -1\n\nx", b"new 1\n\nx", b"old 1\nnot-base64\n\nx", b"old 1\nAAAA\n\nx",
     b"old 1\n", b"old 1\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx"],
)  # fmt: skip
def test_malformed_requests_are_refused(body: bytes) -> None:
    with pytest.raises(ProofError):
        AddCheckpoint.parse(body)


def test_decisions() -> None:
    assert ask(0, 5, None) == 200
    assert ask(5, 9, record(5)) == 200
    assert ask(5, 5, record(5)) == 200  # the same tree again
    assert ask(3, 9, record(5)) == 409  # stale old size
    assert ask(9, 5, record(9)) == 400  # old above the checkpoint
    assert ask(5, 4, record(5)) == 400
    assert ask(5, 9, record(5), (bytes(32),) * 4) == 422
    wrong = cp.sign_checkpoint(cp.Checkpoint(LOG.name, 5, bytes(32)), LOG)
    out = decide(AddCheckpoint(5, (), wrong).encode(), {LOG.name: LOG.verifier()}, record(5),
                 WIT, 1)  # fmt: skip
    assert out.status == 409 and out.fork is not None and out.record is None
    assert out.fork.recorded == record(5).note and out.fork.submitted == wrong


def test_the_answer_is_a_cosignature_of_the_body() -> None:
    body = AddCheckpoint(0, (), note(5)).encode()
    out = decide(body, {LOG.name: LOG.verifier()}, None, WIT, 1700000000)
    cosigned = co.add_cosignatures(note(5), [out.body.decode()])
    key = co.CosignatureVerifier.from_signer(WIT)
    result = co.check_quorum(cosigned, [key], 1)
    assert result.ok and result.cosigned[0].timestamp == 1700000000
    assert out.record is not None and out.record.size == 5
