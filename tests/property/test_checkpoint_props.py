"""Property tests for actas.core.log.checkpoint: round trips, strictness, tamper evidence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.core.errors import ProofError
from actas.core.log.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    Signer,
    Verifier,
    generate_signer,
    open_checkpoint,
    open_note,
    sign_checkpoint,
)

# Key names: non-empty, no Unicode space, no '+', no control character.
names = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters="+"
    ),
    min_size=1,
    max_size=40,
).filter(lambda name: not any(char.isspace() for char in name))

# Note lines: non-empty, no control character (spaces and '+' are fine).
lines = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    min_size=1,
    max_size=40,
)

seeds = st.binary(min_size=32, max_size=32)

checkpoints = st.builds(
    Checkpoint,
    origin=lines,
    size=st.one_of(st.integers(0, 1000), st.integers(0, MAX_TREE_SIZE)),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(lines, max_size=3).map(tuple),
)

# One signer for the tamper tests: Ed25519 key derivation is the slow part.
SIGNER = generate_signer("actas.example/props", bytes(range(32)))


@given(checkpoints)
def test_body_round_trip(cp: Checkpoint) -> None:
    body = cp.body()
    assert Checkpoint.parse(body) == cp
    assert body.endswith(b"\n")
    assert body.count(b"\n") == 3 + len(cp.extensions)


@given(names, seeds)
def test_key_text_round_trip(name: str, seed: bytes) -> None:
    signer = generate_signer(name, seed)
    assert Signer.from_text(signer.to_text()) == signer
    verifier = Verifier.from_text(signer.verifier().to_text())
    assert verifier == signer.verifier()
    assert verifier.to_text().startswith(name + "+" + signer.key_id.hex() + "+")


@settings(max_examples=50)
@given(names, seeds, checkpoints)
def test_sign_open_round_trip(name: str, seed: bytes, cp: Checkpoint) -> None:
    signer = generate_signer(name, seed)
    note = sign_checkpoint(cp, signer)
    assert open_checkpoint(note, signer.verifier()) == cp
    assert note.startswith(cp.body() + b"\n\xe2\x80\x94 " + name.encode() + b" ")


@given(checkpoints, st.data())
def test_any_altered_byte_is_rejected(cp: Checkpoint, data: st.DataObject) -> None:
    note = sign_checkpoint(cp, SIGNER)
    position = data.draw(st.integers(0, len(note) - 1), label="position")
    delta = data.draw(st.integers(1, 255), label="delta")
    tampered = bytearray(note)
    tampered[position] = (tampered[position] + delta) % 256
    try:
        opened = open_checkpoint(bytes(tampered), SIGNER.verifier())
    except ProofError:
        return
    raise AssertionError(f"altered note opened as {opened!r}")


@given(checkpoints, st.data())
def test_parse_accepts_only_canonical_bodies(cp: Checkpoint, data: st.DataObject) -> None:
    """Whatever parses re-encodes to exactly the same bytes (one encoding per checkpoint)."""
    body = bytearray(cp.body())
    position = data.draw(st.integers(0, len(body)), label="position")
    inserted = data.draw(st.binary(min_size=0, max_size=2), label="inserted")
    removed = data.draw(st.integers(0, 2), label="removed")
    mutated = bytes(body[:position] + inserted + body[position + removed :])
    try:
        parsed = Checkpoint.parse(mutated)
    except ProofError:
        return
    assert parsed.body() == mutated


@given(st.binary(max_size=200))
def test_open_note_never_crashes_on_garbage(raw: bytes) -> None:
    try:
        open_note(raw, SIGNER.verifier())
    except ProofError:
        return
    raise AssertionError("garbage opened")
