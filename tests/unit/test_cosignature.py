"""Known answers and strictness of actas.core.log.cosignature (C2SP tlog-cosignature)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co

VECTORS = json.loads(
    (Path(__file__).parents[1] / "assets" / "cosignature_vectors.json").read_text("utf-8")
)
ACTAS = VECTORS["actas"]
SIGNER = cp.Signer.from_text(ACTAS["signer_key"])
WITNESS = co.CosignatureVerifier.from_text(ACTAS["cosignature_vkey"])


def test_key_id_is_sha256_of_name_newline_0x04_and_key() -> None:
    import hashlib

    pk = bytes.fromhex(ACTAS["public_key_hex"])
    want = hashlib.sha256(ACTAS["name"].encode() + b"\n\x04" + pk).digest()[:4]
    assert WITNESS.key_id == want == bytes.fromhex(ACTAS["key_id_hex"])
    assert SIGNER.public_key == pk
    assert co.CosignatureVerifier.from_signer(SIGNER).to_text() == ACTAS["cosignature_vkey"]


@pytest.mark.parametrize("case", ACTAS["cases"], ids=lambda c: str(c["timestamp"]))
def test_known_answers(case: dict[str, object]) -> None:
    note = str(case["checkpoint_note"]).encode()
    ts = int(str(case["timestamp"]))
    body, _ = co.split_note(note)
    # the message, spelled out independently of the module
    assert str(case["message"]).encode() == b"cosignature/v1\ntime %d\n" % ts + body
    assert co.cosignature_message(body, ts) == str(case["message"]).encode()
    cosig = co.cosign(body, SIGNER, ts)
    assert cosig.line() == case["signature_line"]
    assert co.add_cosignatures(note, [cosig]).decode() == case["cosigned_note"]
    # the line checks out with plain Ed25519, key ID || big-endian time || signature
    blob = base64.b64decode(str(case["signature_line"]).split(" ")[2])
    assert blob[:4] == WITNESS.key_id and int.from_bytes(blob[4:12], "big") == ts
    Ed25519PublicKey.from_public_bytes(WITNESS.public_key).verify(
        blob[12:], str(case["message"]).encode()
    )
    result = co.check_quorum(str(case["cosigned_note"]).encode(), [WITNESS], 1)
    assert result.ok and result.cosigned[0].timestamp == ts
    # the log's own signature still opens (cosignatures are ignored by the log's verifier)
    log_key = cp.Verifier.from_text(VECTORS_LOG_KEY)
    assert cp.open_checkpoint(str(case["cosigned_note"]).encode(), log_key)


VECTORS_LOG_KEY = json.loads(
    (Path(__file__).parents[1] / "assets" / "checkpoint_vectors.json").read_text("utf-8")
)["actas"]["verifier_key"]


@pytest.mark.parametrize("item", VECTORS["external"]["vkeys"], ids=lambda i: i["vkey"][:20])
def test_external_vkeys(item: dict[str, object]) -> None:
    if not item["valid"]:
        with pytest.raises(ProofError):
            co.CosignatureVerifier.from_text(str(item["vkey"]))
        return
    key = co.CosignatureVerifier.from_text(str(item["vkey"]))
    assert key.to_text() == item.get("as_cosignature_vkey", item["vkey"])


@pytest.mark.parametrize(
    "item", VECTORS["external"]["signature_lines"], ids=lambda i: i["line"][:25]
)
def test_external_signature_lines(item: dict[str, object]) -> None:
    if item.get("valid") is False:
        with pytest.raises(ProofError, match="cosignature/v1 has 76"):
            co.Cosignature.parse(str(item["line"]))
        return
    cosig = co.Cosignature.parse(str(item["line"]))
    assert cosig.key_id.hex() == item["key_id_hex"]
    assert cosig.timestamp == item["timestamp"]
    assert cosig.line() == str(item["line"]) + "\n"


def test_a_tampered_note_or_time_fails_and_says_which_witness() -> None:
    case = ACTAS["cases"][0]
    cosigned = str(case["cosigned_note"])
    other = cp.Signer("witness.example/other", bytes(range(32)))
    other_key = co.CosignatureVerifier.from_signer(other)
    result = co.check_quorum(cosigned.encode(), [WITNESS, other_key], 2)
    assert not result.ok
    assert [w.name for w in result.missing] == ["witness.example/other"]
    assert result.missing[0].problem == "no cosignature by this witness"
    forged = cosigned.replace("\n8\n", "\n9\n", 1).encode()
    bad = co.check_quorum(forged, [WITNESS], 1)
    assert not bad.ok and bad.missing[0].problem == "its cosignature does not verify"
    line = str(case["signature_line"])
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1  # another timestamp
    moved = line.split(" ")[0] + " " + line.split(" ")[1] + " " + base64.b64encode(blob).decode()
    retimed = cosigned.replace(line.rstrip("\n"), moved).encode()
    assert not co.check_quorum(retimed, [WITNESS], 1).ok


def test_the_plain_log_key_is_not_a_cosignature_key() -> None:
    # same name and key, type 0x01: its key ID differs, so a log signature never counts
    plain = SIGNER.verifier()
    assert plain.key_id != WITNESS.key_id
    note = cp.sign_checkpoint(cp.Checkpoint("o", 1, bytes(32)), SIGNER)
    assert (
        co.check_quorum(note, [WITNESS], 1).missing[0].problem == "no cosignature by this witness"
    )


def test_add_keeps_one_line_per_key_the_latest() -> None:
    note = str(ACTAS["cases"][0]["checkpoint_note"]).encode()
    body, _ = co.split_note(note)
    early, late = co.cosign(body, SIGNER, 10), co.cosign(body, SIGNER, 20)
    once = co.add_cosignatures(note, [late, early])
    assert co.cosignatures(once) == [late]
    assert co.add_cosignatures(co.add_cosignatures(note, [early]), [late]) == once


@pytest.mark.parametrize(
    "bad",
    [-1, co.MAX_TIMESTAMP + 1],
)
def test_timestamp_range(bad: int) -> None:
    body, _ = co.split_note(str(ACTAS["cases"][0]["checkpoint_note"]).encode())
    with pytest.raises(ProofError, match="out of range"):
        co.cosign(body, SIGNER, bad)


def test_only_checkpoints_are_cosigned_and_quorum_is_bounded() -> None:
    with pytest.raises(ProofError):
        co.cosign(b"not a checkpoint\n", SIGNER, 1)
    with pytest.raises(ProofError, match="quorum 2"):
        co.check_quorum(str(ACTAS["cases"][0]["cosigned_note"]).encode(), [WITNESS], 2)
    with pytest.raises(ProofError, match="no blank line"):
        co.split_note(b"a\n1\nroot\n")
