"""Property tests for actas.core.log.cosignature: round trips and tamper evidence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co

names = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters="+"
    ),
    min_size=1,
    max_size=30,
).filter(lambda name: not any(char.isspace() for char in name))
lines = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30
)
checkpoints = st.builds(
    cp.Checkpoint,
    origin=lines,
    size=st.integers(0, cp.MAX_TREE_SIZE),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(lines, max_size=2).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(
    checkpoint=checkpoints,
    log_seed=st.binary(min_size=32, max_size=32),
    seeds=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=4, unique=True),
    wnames=st.lists(names, min_size=4, max_size=4, unique=True),
    times=st.lists(st.integers(0, co.MAX_TIMESTAMP), min_size=4, max_size=4),
)
def test_cosign_parse_verify_round_trip(
    checkpoint: cp.Checkpoint,
    log_seed: bytes,
    seeds: list[bytes],
    wnames: list[str],
    times: list[int],
) -> None:
    log = cp.Signer("log.example/x", log_seed)
    note = cp.sign_checkpoint(checkpoint, log)
    body = checkpoint.body()
    signers = [cp.Signer(n, s) for n, s in zip(wnames, seeds, strict=False)]
    cosigs = [co.cosign(body, s, t) for s, t in zip(signers, times, strict=False)]
    for cosig in cosigs:
        assert co.Cosignature.parse(cosig.line()) == cosig
    cosigned = co.add_cosignatures(note, cosigs)
    assert cp.open_checkpoint(cosigned, log.verifier()) == checkpoint
    keys = [
        co.CosignatureVerifier.from_text(co.CosignatureVerifier.from_signer(s).to_text())
        for s in signers
    ]
    result = co.check_quorum(cosigned, keys, len(keys))
    assert result.ok
    assert [w.timestamp for w in result.witnesses] == times[: len(keys)]
    # another checkpoint under the same cosignatures: none of them holds
    other = cp.Checkpoint(
        checkpoint.origin, checkpoint.size, bytes(b ^ 1 for b in checkpoint.root_hash)
    )
    moved = cp.sign_checkpoint(other, log)
    forged = co.add_cosignatures(moved, cosigs)
    assert not co.check_quorum(forged, keys, 1).ok
