"""Unit tests for actas.core.log.checkpoint: public known answers, strict parsing, precise errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from actas.core.errors import ProofError
from actas.core.log import checkpoint
from actas.core.log.checkpoint import (
    MAX_NOTE_SIZE,
    MAX_SIGNATURES,
    MAX_TREE_SIZE,
    Checkpoint,
    Signer,
    Verifier,
    generate_signer,
    key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "assets" / "checkpoint_vectors.json").read_text("utf-8")
)
GO = VECTORS["go_note"]
SUMDB = VECTORS["sumdb"]
ACTAS = VECTORS["actas"]
ROOT8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


@pytest.fixture
def signer() -> Signer:
    return generate_signer(ACTAS["name"], bytes.fromhex(ACTAS["seed_hex"]))


@pytest.fixture
def note(signer: Signer) -> bytes:
    return sign_checkpoint(Checkpoint(ACTAS["name"], 8, ROOT8), signer)


def _isort_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert checkpoint.__all__ == sorted(checkpoint.__all__, key=_isort_key)
    for name in checkpoint.__all__:
        assert hasattr(checkpoint, name)


# --------------------------------------------------------------------------- known answers


def test_rfc8032_test_1() -> None:
    vector = VECTORS["rfc8032"]
    signer = Signer("rfc8032", bytes.fromhex(vector["seed_hex"]))
    assert signer.public_key.hex() == vector["public_key_hex"]
    assert signer.sign(bytes.fromhex(vector["message_hex"])).hex() == vector["signature_hex"]


def test_go_note_keys_and_signature() -> None:
    signer = Signer.from_text(GO["signer_key"])
    assert signer.to_text() == GO["signer_key"]
    assert signer.verifier().to_text() == GO["verifier_key"]
    verifier = Verifier.from_text(GO["verifier_key"])
    assert verifier == signer.verifier()
    # The key ID computed by hand from the signed-note definition.
    by_hand = hashlib.sha256(b"PeterNeumann\n\x01" + verifier.public_key).digest()[:4]
    assert by_hand.hex() == "c74f20a3" == verifier.key_id.hex()
    assert key_id("PeterNeumann", verifier.public_key) == by_hand
    text = GO["text"].encode()
    assert sign_note(text, signer) == GO["note"].encode()
    assert open_note(GO["note"].encode(), verifier) == text


@pytest.mark.parametrize("vector", SUMDB["checkpoints"], ids=lambda v: str(v["size"]))
def test_real_sumdb_checkpoints(vector: dict[str, Any]) -> None:
    verifier = Verifier.from_text(SUMDB["verifier_key"])
    assert verifier.to_text() == SUMDB["verifier_key"]
    opened = open_checkpoint(vector["note"].encode(), verifier, origin=vector["origin"])
    assert opened.origin == vector["origin"]
    assert opened.size == vector["size"]
    assert opened.root_hash == base64.b64decode(vector["root_hash_b64"])
    assert opened.extensions == ()


def test_actas_keys(signer: Signer) -> None:
    assert signer.to_text() == ACTAS["signer_key"]
    assert signer.verifier().to_text() == ACTAS["verifier_key"]
    assert signer.key_id.hex() == ACTAS["key_id_hex"]
    assert signer.public_key.hex() == ACTAS["public_key_hex"]
    assert Signer.from_text(ACTAS["signer_key"]) == signer


@pytest.mark.parametrize("vector", ACTAS["checkpoints"], ids=lambda v: v["note"][-12:-1])
def test_actas_checkpoint_notes(signer: Signer, vector: dict[str, Any]) -> None:
    cp = Checkpoint(
        vector["origin"],
        vector["size"],
        bytes.fromhex(vector["root_hash_hex"]),
        tuple(vector["extensions"]),
    )
    expected = vector["note"].encode()
    assert sign_checkpoint(cp, signer) == expected
    assert open_checkpoint(expected, Verifier.from_text(ACTAS["verifier_key"])) == cp
    assert Checkpoint.parse(cp.body()) == cp


def test_body_layout() -> None:
    cp = Checkpoint("example.com/log", 20852163, ROOT8, ("ext one",))
    assert cp.body() == (
        b"example.com/log\n20852163\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next one\n"
    )


# --------------------------------------------------------------------------- opening notes


def test_signatures_of_unknown_keys_are_ignored(signer: Signer, note: bytes) -> None:
    witness = generate_signer("witness.example", bytes(32))
    cosigned = (
        note + sign_note(Checkpoint(ACTAS["name"], 8, ROOT8).body(), witness).split(b"\n\n")[-1]
    )
    assert cosigned.count("—".encode()) == 2
    assert open_checkpoint(cosigned, signer.verifier()).size == 8
    assert open_checkpoint(cosigned, witness.verifier()).size == 8


def test_repeated_good_signature_is_accepted(signer: Signer, note: bytes) -> None:
    line = note.split(b"\n\n")[-1]
    assert open_checkpoint(note + line, signer.verifier()).size == 8


def _signature_line(name: str, blob: bytes) -> bytes:
    return f"— {name} {base64.b64encode(blob).decode()}\n".encode()


def test_bad_signature_by_known_key_rejects_even_next_to_a_good_one(
    signer: Signer, note: bytes
) -> None:
    bad = _signature_line(signer.name, signer.key_id + bytes(64))
    with pytest.raises(ProofError, match=r"signature by actas.example/test-log\+72f9756d"):
        open_note(note + bad, signer.verifier())
    short = _signature_line(signer.name, signer.key_id + bytes(10))
    with pytest.raises(ProofError, match="does not verify"):
        open_note(note + short, signer.verifier())


def test_tampered_text_does_not_verify(signer: Signer, note: bytes) -> None:
    tampered = note.replace(b"\n8\n", b"\n9\n")
    with pytest.raises(ProofError, match="does not verify"):
        open_checkpoint(tampered, signer.verifier())


def test_unknown_key(signer: Signer, note: bytes) -> None:
    stranger = generate_signer(signer.name, bytes(32))  # same name, other key ID
    with pytest.raises(ProofError, match=r"no signature by the known key .*unknown keys: actas"):
        open_checkpoint(note, stranger.verifier())
    other = generate_signer("other.example", bytes.fromhex(ACTAS["seed_hex"]))  # same key
    with pytest.raises(ProofError, match=r"no signature by the known key other\.example"):
        open_checkpoint(note, other.verifier())


def test_origin_must_match_when_asked(signer: Signer, note: bytes) -> None:
    assert open_checkpoint(note, signer.verifier(), origin=signer.name).origin == signer.name
    with pytest.raises(ProofError, match="expected 'elsewhere'"):
        open_checkpoint(note, signer.verifier(), origin="elsewhere")


SIG_LINE = (
    "— actas.example/test-log cvl1bUBfz5i74commwJpyUkhHDWegX7ge/kDq+p44escM5WDhwUnYAXX39lS83"
    "fD4hLO+6tzbskTzNEg11KyTtk5Xw8=\n"
)
BODY = "actas.example/test-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff" + (BODY + "\n" + SIG_LINE).encode(), "not valid UTF-8"),
        ((BODY + "\n" + SIG_LINE).replace("8\n", "8\t\n", 1).encode(), "control character U+0009"),
        ((BODY + "\n" + SIG_LINE).replace("\n", "\r\n").encode(), "control character U+000D"),
        ((BODY + SIG_LINE).encode(), "no blank line"),
        ((BODY + "\n").encode(), "no signature lines"),
        ((BODY + "\n" + SIG_LINE[:-1]).encode(), "does not end with a newline"),
        ((BODY + "\n" + SIG_LINE.replace("—", "-")).encode(), "does not start with an em dash"),
        ((BODY + "\n" + SIG_LINE.replace("— ", "—")).encode(), "does not start with an em dash"),
        ((BODY + "\n" + SIG_LINE + "junk\n").encode(), "signature line 2 does not start"),
        ((BODY + "\n— " + " abc=\n").encode(), "key name is empty"),
        ((BODY + "\n" + SIG_LINE.replace("=\n", "\n")).encode(), "not valid base64"),
        ((BODY + "\n" + SIG_LINE.replace("w8=", "w9=")).encode(), "not canonical base64"),
        ((BODY + "\n" + SIG_LINE.replace("+p44", "+ p44")).encode(), "not valid base64"),
        ((BODY + "\n— x AAAAAA==\n").encode(), "has 4 bytes, too short"),
        ((BODY + "\n" + SIG_LINE * (MAX_SIGNATURES + 1)).encode(), "more than 100"),
        (BODY.encode() + b"\n" + b"x" * MAX_NOTE_SIZE, "more than 1048576"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_malformed_notes(signer: Signer, raw: bytes, reason: str) -> None:
    with pytest.raises(ProofError, match=re.escape(reason)):
        open_checkpoint(raw, signer.verifier())


def test_the_text_before_the_last_blank_line_is_the_body(signer: Signer) -> None:
    text = b"first paragraph\n\nsecond\n"
    assert open_note(sign_note(text, signer), signer.verifier()) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [(b"no newline", "does not end with a newline"), (b"a\x00b\n", "U+0000"), (b"\xc3\n", "UTF-8")],
)
def test_sign_note_rejects_bad_text(signer: Signer, text: bytes, reason: str) -> None:
    with pytest.raises(ProofError, match=re.escape(reason)):
        sign_note(text, signer)


# --------------------------------------------------------------------------- checkpoint bodies


ROOT_B64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="


@pytest.mark.parametrize(
    ("size_text", "ok"),
    [
        ("0", True),
        ("7", True),
        ("18446744073709551615", True),
        ("18446744073709551616", False),
        ("08", False),
        ("00", False),
        ("+8", False),
        ("-8", False),
        (" 8", False),
        ("8 ", False),
        ("1_000", False),
        ("\u0668", False),  # ARABIC-INDIC DIGIT EIGHT: int() would accept it
        ("８", False),  # FULLWIDTH DIGIT EIGHT
        ("0x8", False),
        ("8.0", False),
    ],
)
def test_size_must_be_canonical_decimal(size_text: str, ok: bool) -> None:
    body = f"log\n{size_text}\n{ROOT_B64}\n".encode()
    if ok:
        assert Checkpoint.parse(body).size == int(size_text)
        assert Checkpoint.parse(body).body() == body
    else:
        with pytest.raises(ProofError, match="tree size"):
            Checkpoint.parse(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"log\n8\n{ROOT_B64}", "does not end with a newline"),
        ("log\n8\n", "has 2 lines, needs at least 3"),
        ("\n8\n" + ROOT_B64 + "\n", "line 1 is empty"),
        (f"log\n8\n{ROOT_B64}\n\n", "line 4 is empty"),
        (f"log\n8\n{ROOT_B64}\next\n\nmore\n", "line 5 is empty"),
        ("log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", "not canonical base64"),
        ("log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n", "not valid base64"),
        ("log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n", "not valid base64"),
        ("log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/Rg\n", "root hash has 30 bytes"),
        (f"log\n8\n{ROOT_B64}\r\n", "control character U+000D"),
    ],
)
def test_malformed_bodies(body: str, reason: str) -> None:
    with pytest.raises(ProofError, match=re.escape(reason)):
        Checkpoint.parse(body.encode())


def test_origin_with_spaces_is_accepted_when_parsing() -> None:
    # tlog-checkpoint: clients MUST NOT assume the origin follows the URL advice.
    cp = Checkpoint.parse(f"go.sum database tree\n1\n{ROOT_B64}\n".encode())
    assert cp.origin == "go.sum database tree"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"origin": ""}, "origin is empty"),
        ({"origin": "a\nb"}, "control character U+000A"),
        ({"size": -1}, "out of range"),
        ({"size": MAX_TREE_SIZE + 1}, "out of range"),
        ({"root_hash": b"x" * 31}, "root hash has 31 bytes"),
        ({"extensions": ("",)}, "extension line 1 is empty"),
        ({"extensions": ("ok", "a\nb")}, "extension line 2"),
    ],
)
def test_checkpoint_construction_is_validated(kwargs: dict[str, Any], reason: str) -> None:
    fields: dict[str, Any] = {"origin": "log", "size": 1, "root_hash": ROOT8, **kwargs}
    with pytest.raises(ProofError, match=re.escape(reason)):
        Checkpoint(**fields)


# --------------------------------------------------------------------------- keys


def test_every_mangled_verifier_key_is_rejected() -> None:
    text = GO["verifier_key"]
    for i in range(len(text) + 1):
        for j in range(i + 1, len(text) + 1):
            if (i, j) != (0, len(text)):
                with pytest.raises(ProofError):
                    Verifier.from_text(text[i:j])
    for i in range(len(text)):
        with pytest.raises(ProofError):
            Verifier.from_text(text[:i] + chr(ord(text[i]) + 1) + text[i + 1 :])


def _key_text(name: str, material: bytes) -> str:
    digest = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4]
    return f"{name}+{digest.hex()}+{base64.b64encode(material).decode()}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_key_text("PeterNeumann", b"\x01" + bytes(37)), "has 38 bytes, expected 33"),
        (_key_text("PeterNeumann", b"\x02" + bytes(32)), "unknown signature type 0x02"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3", "not of the form"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "space"),
    ],
)
def test_verifier_key_errors(text: str, reason: str) -> None:
    with pytest.raises(ProofError, match=re.escape(reason)):
        Verifier.from_text(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GO["signer_key"].replace("PRIVATE+KEY+", ""), "does not start with PRIVATE"),
        (GO["signer_key"].replace("c74f20a3", "c74f20a4"), "does not match"),
        (GO["signer_key"][:-1], "base64"),
    ],
)
def test_signer_key_errors(text: str, reason: str) -> None:
    with pytest.raises(ProofError, match=re.escape(reason)):
        Signer.from_text(text)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("a b", "space"),
        ("a\u00a0b", "space"),  # no-break space
        ("a\u2003b", "space"),  # em space
        ("a+b", "'+'"),
        ("a\tb", "space"),
        ("a\x01b", "control character"),
    ],
)
def test_key_names_are_validated(name: str, reason: str) -> None:
    with pytest.raises(ProofError, match=re.escape(reason)):
        generate_signer(name, bytes(32))
    with pytest.raises(ProofError, match=re.escape(reason)):
        Verifier(name, bytes(32))


def test_key_material_sizes() -> None:
    with pytest.raises(ProofError, match="seed has 31 bytes"):
        generate_signer("a", bytes(31))
    with pytest.raises(ProofError, match="public key has 31 bytes"):
        Verifier("a", bytes(31))
    with pytest.raises(ProofError, match="public key has 3 bytes"):
        key_id("a", b"abc")


def test_signer_repr_hides_the_seed(signer: Signer) -> None:
    assert ACTAS["seed_hex"] not in repr(signer)
    assert signer.seed.hex() not in repr(signer)
    assert "seed" not in repr(signer)


def test_verifier_verify(signer: Signer) -> None:
    verifier = signer.verifier()
    signature = signer.sign(b"message")
    assert verifier.verify(b"message", signature)
    assert not verifier.verify(b"messagE", signature)
    assert not verifier.verify(b"message", signature[:-1])
