"""Sealed transcription entries: the known answer of docs/log-format.md, round trips, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.core.log.leaf import decode_leaf, encode_leaf
from actas.core.log.merkle import leaf_hash
from actas.core.log.sealed import PAD_BLOCK, SALT_LEN, seal, unseal
from actas.core.model import Source, Submission, SubmissionKind

VECTORS = Path(__file__).parents[1] / "assets" / "sealed_vectors.json"


def test_known_answer() -> None:
    for v in json.loads(VECTORS.read_text()):
        salt = bytes.fromhex(v["salt_hex"])
        assert salt == hashlib.sha256(b"actas sealed entry test vector salt").digest()
        raw = seal(salt, v["entry"])
        assert raw.hex() == v["raw_hex"] and len(raw) == v["raw_len"]
        assert hashlib.sha256(raw).hexdigest() == v["raw_sha256"]
        assert unseal(raw) == (salt, v["entry"])
        sub = Submission(
            kind=SubmissionKind.TRANSCRIPTION,
            source=Source("transcription", "transcription"),
            received_at=v["received_at"],
            raw=raw,
            actor=v["entry"]["actor"],
        )
        leaf = encode_leaf(v["election"], sub)
        assert leaf.decode("ascii") == v["leaf"]
        assert leaf_hash(leaf).hex() == v["leaf_hash"]
        # the leaf holds the commitment only: neither the salt nor any count
        entry = decode_leaf(leaf)
        assert "raw" not in entry and salt.hex() not in v["leaf"] and "120" not in v["leaf"]


def test_the_doc_shows_the_known_answer() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "log-format.md").read_text("utf-8")
    v = json.loads(VECTORS.read_text())[0]
    for value in (v["salt_hex"], v["raw_sha256"], v["leaf"], v["leaf_hash"]):
        assert value in doc


ENTRIES = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda k: k != "pad"),
    st.one_of(
        st.integers(-(10**12), 10**12),
        st.text(max_size=40),
        st.lists(st.integers(0, 10**7), max_size=40),
        st.booleans(),
        st.none(),
    ),
    max_size=10,
)


@given(salt=st.binary(min_size=SALT_LEN, max_size=SALT_LEN), entry=ENTRIES)
def test_round_trip(salt: bytes, entry: dict[str, Any]) -> None:
    raw = seal(salt, entry)
    assert len(raw) % PAD_BLOCK == 0 and raw.startswith(salt)
    assert unseal(raw) == (salt, entry)


@given(
    salts=st.lists(st.binary(min_size=SALT_LEN, max_size=SALT_LEN), min_size=2, max_size=2),
    counts=st.lists(st.integers(0, 10**7), min_size=1, max_size=30),
)
def test_the_salt_alone_changes_the_commitment(salts: list[bytes], counts: list[int]) -> None:
    entry = {"v": 1, "options": counts, "null": 0}
    a, b = (hashlib.sha256(seal(s, entry)).digest() for s in salts)
    assert (a == b) == (salts[0] == salts[1])
    # the same length whatever the counts (every count at most 8 digits here)
    assert len(seal(salts[0], entry)) == len(seal(salts[0], {**entry, "options": [1]}))


def test_refusals() -> None:
    salt = bytes(SALT_LEN)
    with pytest.raises(ValueError, match="salt"):
        seal(b"short", {"a": 1})
    with pytest.raises(ValueError, match="pad"):
        seal(salt, {"pad": "x"})
    with pytest.raises(ValueError, match="float"):
        seal(salt, {"a": 1.5})
    raw = seal(salt, {"a": 1})
    body = raw[SALT_LEN:]
    for bad in (
        raw[:-1],  # not a whole block
        raw[:SALT_LEN],  # no entry
        salt + body.replace(b'"a":1', b'"a":2 '),  # the padding is not exact
        salt + body.replace(b'"a":1,', b'"a": 1'),  # not canonical
        salt + body.replace(b'"pad":"  ', b'"pad":"x '),  # padding other than spaces
        salt + body.replace(b'"a":1', b'"a":1.'),  # a float
    ):
        with pytest.raises(ValueError):
            unseal(bad)
