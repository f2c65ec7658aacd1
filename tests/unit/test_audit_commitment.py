"""The audit documents (actas.core.audit.commitment): canonical bytes, checks, recomputation."""

from __future__ import annotations

import json

import pytest

from actas.core.audit import Batch, Contest, draw_batches, frame_sha256, macro_bounds
from actas.core.audit import commitment as doc
from actas.core.audit.sampling import stratified_sample
from actas.core.errors import InputError

STRATA = {"01.01": "A", "01.02": "A", "02.01": "B", "02.02": "B", "02.03": "B"}
BATCHES = [
    Batch("t.1", (60, 40), 100),
    Batch("t.3", (55, 45), 101),
    Batch("t.2", (70, 30), 100),
]


def qc(**kw: object) -> bytes:
    args: dict[str, object] = {
        "audit": "qc-1",
        "election": "demo",
        "strata": STRATA,
        "sizes": {"A": 1, "B": 2},
        "candidates": ["x", "y"],
        "design": {"margin": doc.decimal(0.01), "tables": 3},
        "frame_source": "results",
        "strata_level": "state",
    }
    args.update(kw)
    return doc.quickcount_commitment(**args)  # type: ignore[arg-type]


def rla() -> bytes:
    return doc.rla_commitment(
        audit="rla-2",
        election="demo",
        contest=Contest(("x", "y"), ("x",)),
        batches=BATCHES,
        risk_limit=0.1,
        reported={"source": "actas", "log_size": 7},
    )


def seed_for(raw: bytes, seed: str = "12 34", seq: int = 5) -> bytes:
    c = doc.parse_commitment(raw)
    return doc.seed_document(
        audit=c.audit, seed=seed, commitment_seq=seq, commitment_leaf_hash="ab" * 32
    )


def test_quickcount_commitment_round_trip() -> None:
    raw = qc()
    c = doc.parse_commitment(raw)
    assert c.kind == "quickcount" and c.strata == STRATA and c.sizes == {"A": 1, "B": 2}
    assert c.frame == b"01.01 A\n01.02 A\n02.01 B\n02.02 B\n02.03 B\n"
    assert c.frame_sha256 == frame_sha256(STRATA, STRATA)
    # known answer (docs/audit.md §6.3): a change of the document format cannot go unnoticed
    assert raw == (
        b'{"actas_audit":1,"audit":"qc-1","candidates":["x","y"],'
        b'"design":{"margin":"0.01","tables":3},"draw":1,"election":"demo",'
        b'"frame":"01.01 A\\n01.02 A\\n02.01 B\\n02.02 B\\n02.03 B\\n",'
        b'"frame_sha256":"d955c627ab1d011488e8a4068f22b57e811ec47542fd177e5b45707bc95cd699",'
        b'"frame_source":"results","kind":"quickcount","sizes":{"A":1,"B":2},'
        b'"strata_level":"state","type":"commitment"}'
    )
    assert seed_for(rla(), "12 34") == (
        b'{"actas_audit":1,"audit":"rla-2","commitment":{"leaf_hash":"' + b"ab" * 32 + b'",'
        b'"seq":5},"seed":"12 34","seed_normalized":"1234","type":"seed"}'
    )


def test_documents_are_checked() -> None:
    raw = qc()
    body = json.loads(raw)
    with pytest.raises(InputError, match="canonical"):
        doc.parse_commitment(json.dumps(body).encode())
    tampered = raw.replace(b"02.03 B", b"02.04 B")
    with pytest.raises(InputError, match="frame_sha256"):
        doc.parse_commitment(tampered)
    with pytest.raises(InputError, match="floats"):
        doc.parse_document(raw.replace(b'"tables":3', b'"tables":3.5'))
    with pytest.raises(InputError, match="expected a seed"):
        doc.parse_seed(raw)
    with pytest.raises(InputError, match="no tables"):
        qc(sizes={"C": 1})


def test_quickcount_recompute_is_the_stratified_sample() -> None:
    raw = qc()
    sample = doc.recompute(raw, seed_for(raw, "12 34"))
    assert sample == stratified_sample("1234", STRATA, {"A": 1, "B": 2})
    other = doc.seed_document(
        audit="qc-9", seed="1", commitment_seq=5, commitment_leaf_hash="ab" * 32
    )
    with pytest.raises(InputError, match="qc-9"):
        doc.recompute(raw, other)


def test_rla_commitment_and_draws() -> None:
    raw = rla()
    c = doc.parse_commitment(raw)
    assert c.manifest == b"t.1 100 60 40\nt.2 100 70 30\nt.3 101 55 45\n"
    assert c.contest == Contest(("x", "y"), ("x",), ("y",))
    assert c.risk_limit == 0.1 and c.doc["risk_limit"] == "0.1"
    bounds = macro_bounds(Contest(("x", "y"), ("x",)), BATCHES)
    assert c.bounds().numerators == bounds.numerators
    n0 = c.doc["initial_sample_size"]
    assert n0 > 0
    seed = seed_for(raw, "777")
    assert doc.recompute(raw, seed) == draw_batches("777", bounds, n0)
    longer = doc.recompute(raw, seed, draws=n0 + 3)
    assert isinstance(longer, tuple) and longer[:n0] == draw_batches("777", bounds, n0)
    with pytest.raises(InputError, match="risk limit"):
        doc.rla_commitment(
            audit="r",
            election="e",
            contest=Contest(("x", "y"), ("x",)),
            batches=BATCHES,
            risk_limit=1.5,
            reported={},
        )


def test_seed_randomness_and_record_documents() -> None:
    s = doc.parse_seed(seed_for(rla(), " 12 34\n56 ", seq=9))
    assert (s.seed, s.commitment_seq, s.randomness_seq) == ("123456", 9, None)
    r = doc.parse_document(doc.randomness_document("1 2 3", "dice"), "randomness")
    assert r["seed_normalized"] == "123" and r["note"] == "dice"
    with pytest.raises(InputError, match="printable ASCII"):
        doc.randomness_document("1 2 ñ")
    rec = doc.Record("rla-2", "t.1", None, "not_found", 9, replaces=12)
    assert doc.parse_record(doc.record_document(rec)) == rec
    rec2 = doc.Record("rla-2", "t.1", {"x": 60, "y": 40}, "hand_count", 9, note="box 3")
    assert doc.parse_record(doc.record_document(rec2)) == rec2
