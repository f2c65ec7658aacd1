from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.core.log.leaf import (
    LEAF_PREFIX,
    canonical_json,
    decode_leaf,
    encode_leaf,
    encode_leaves,
    entry_of,
)
from actas.core.log.merkle import leaf_hash
from actas.core.model import Source, Submission, SubmissionKind

VECTORS = Path(__file__).parents[1] / "assets" / "leaf_vectors.json"


def sample() -> Submission:
    return Submission(
        kind=SubmissionKind.RECORD,
        source=Source("cvzla", "RESULTADOS_2024_CSV_V1.csv", "ab" * 32, 7),
        received_at="2024-07-29T04:00:00.000000Z",
        raw=b"1,DTTO. CAPITAL,1,MP. BLVNO LIBERTADOR,13,PQ. EL RECREO,10113042,1,666,364",
        meta={"photo_url": "https://example.org/a.jpg"},
    )


def test_known_answer_vectors() -> None:
    vectors = json.loads(VECTORS.read_text())
    for v in vectors:
        sub = Submission(
            kind=SubmissionKind(v["kind"]),
            source=Source(**v["source"]),
            received_at=v["received_at"],
            raw=bytes.fromhex(v["raw_hex"]),
            blob_sha256=v.get("blob_sha256", ""),
            actor=v.get("actor", ""),
            meta=v.get("meta", {}),
        )
        leaf = encode_leaf(v["election"], sub)
        assert leaf.decode("ascii") == v["leaf"]
        assert leaf_hash(leaf).hex() == v["leaf_hash"]


def test_shape() -> None:
    leaf = encode_leaf("ve-2024", sample())
    assert leaf.startswith(LEAF_PREFIX)
    entry = decode_leaf(leaf)
    assert entry["raw_sha256"] == hashlib.sha256(sample().raw).hexdigest()
    assert entry["source"]["row"] == 7


def test_non_canonical_rejected() -> None:
    leaf = encode_leaf("ve-2024", sample())
    with pytest.raises(ValueError, match="canonical"):
        decode_leaf(leaf.replace(b'{"election"', b'{ "election"'))
    with pytest.raises(ValueError, match="prefix"):
        decode_leaf(b"x" + leaf)
    with pytest.raises(ValueError, match="float"):
        canonical_json({"a": 1.5})


@given(
    raw=st.binary(max_size=5000),
    name=st.text(max_size=40),
    row=st.one_of(st.none(), st.integers(1, 10**7)),
    meta=st.dictionaries(
        st.text(max_size=10), st.one_of(st.text(max_size=20), st.integers()), max_size=3
    ),
)
def test_round_trip(raw: bytes, name: str, row: int | None, meta: dict[str, object]) -> None:
    sub = Submission(
        SubmissionKind.PHOTO, Source("photo", name, "", row), "2024-07-29T04:00:00Z", raw, meta=meta
    )
    leaf = encode_leaf("e", sub)
    entry = decode_leaf(leaf)
    assert entry["raw_len"] == len(raw)
    assert entry["source"].get("name", "") == name
    assert entry.get("meta", {}) == meta
    assert canonical_json(entry) == leaf[len(LEAF_PREFIX) :]
    assert leaf.isascii()


def test_transcriptions_are_committed_by_hash_only() -> None:
    entry_raw = b'{"options":[1,2,3],"null":0}'
    sub = Submission(
        SubmissionKind.TRANSCRIPTION,
        Source("transcription"),
        "2024-07-29T04:00:00Z",
        entry_raw,
        actor="p-0123456789ab",
    )
    entry = decode_leaf(encode_leaf("ve-2024", sub))
    assert "raw" not in entry
    assert entry["raw_sha256"] == hashlib.sha256(entry_raw).hexdigest() and entry["raw_len"] == len(
        entry_raw
    )


@given(
    kind=st.sampled_from(list(SubmissionKind)),
    raw=st.binary(max_size=5000),
    name=st.text(max_size=20),
    sha=st.sampled_from(["", "ab" * 32]),
    row=st.one_of(st.none(), st.integers(0, 10**7)),
    actor=st.one_of(st.just(""), st.text(max_size=12)),
    blob=st.sampled_from(["", "cd" * 32]),
    received=st.text(max_size=30),
    meta=st.dictionaries(
        st.text(max_size=10),
        st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none()),
        max_size=3,
    ),
)
def test_direct_encoding_is_the_canonical_json_of_the_entry(
    kind: SubmissionKind,
    raw: bytes,
    name: str,
    sha: str,
    row: int | None,
    actor: str,
    blob: str,
    received: str,
    meta: dict[str, object],
) -> None:
    sub = Submission(
        kind,
        Source("chan\u00e9l", name, sha, row),
        received,
        raw,
        blob_sha256=blob,
        actor=actor,
        meta=meta,
    )
    assert encode_leaf("ve-2024", sub) == LEAF_PREFIX + canonical_json(entry_of("ve-2024", sub))


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(list(SubmissionKind)),
            st.binary(max_size=4200),
            st.one_of(st.none(), st.integers(0, 10**7)),
            st.dictionaries(
                st.sampled_from(["photo_url", "n", "\u00fc"]),
                st.one_of(st.text(max_size=8), st.integers(), st.booleans()),
                max_size=2,
            ),
            st.sampled_from(["", "ab" * 32]),
            st.sampled_from(["", "v\u00e9"]),
        ),
        max_size=12,
    ),
    name=st.sampled_from(["", "V1.csv", 'n\u00e9e "q".csv']),
)
def test_leaves_of_a_batch_are_each_its_own_leaf(
    rows: list[tuple[SubmissionKind, bytes, int | None, dict[str, object], str, str]], name: str
) -> None:
    subs = [
        Submission(
            kind,
            Source("cvzla", name, sha, row),
            "2024-07-29T04:00:00Z",
            raw,
            actor=actor,
            meta=meta,
        )
        for kind, raw, row, meta, sha, actor in rows
    ]
    assert encode_leaves("ve-2024", subs) == [encode_leaf("ve-2024", s) for s in subs]
