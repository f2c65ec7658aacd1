"""Synthetic actas: reproducible, truthful about their payload and their QR's whereabouts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from actas.adapters.elections import load_builtin
from actas.core.errors import PayloadError
from actas.core.payload import get_format
from actas.dev.degradation import Degradation, DegradationKind
from actas.dev.synth import (
    SHEET_HEIGHT,
    SHEET_WIDTH,
    Truth,
    layout_for,
    render,
    sample_degradations,
    split_votes,
)
from actas.dev.synthset import SheetSpec, generate_set, read_truths

E = load_builtin("ve-2024")
FMT = get_format("ve-2024-qr", len(E.options))
VOTES = (120, 232, 5, 0, 0, 3, 1, 1, 0, 2)  # election candidate order
OPTIONS = split_votes(E, VOTES, seed=7)
SMALL = (1200, 1600)


def qr_texts(data: bytes) -> list[bytes]:
    img = Image.open(io.BytesIO(data)).convert("L")
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    return [bytes(b.bytes) for b in found]


def test_builtin_cards_are_in_the_reference_qr_order(ve: Path) -> None:
    with (ve / "reference" / "qr_ballot_positions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    shorts = {c.id: c.short for c in E.candidates}
    assert [(o.name, shorts[o.candidate]) for o in E.options] == [
        (r["party_card"], r["csv_code"]) for r in rows
    ]


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    steps = sample_degradations(3)
    a, ta = render(E, "010113042.01", OPTIONS, 3, seed=11, degradations=steps, size=SMALL)
    b, tb = render(E, "010113042.01", OPTIONS, 3, seed=11, degradations=steps, size=SMALL)
    c, _ = render(E, "010113042.01", OPTIONS, 3, seed=12, degradations=steps, size=SMALL)
    assert a == b and ta == tb
    assert a != c


def test_clean_sheet_carries_the_exact_payload() -> None:
    data, truth = render(E, "010113042.01", OPTIONS, 3, seed=1, size=SMALL)
    assert data[:3] == b"\xff\xd8\xff"
    assert Image.open(io.BytesIO(data)).size == SMALL == (truth.width, truth.height)
    parsed = FMT.parse(truth.payload)
    assert parsed.table_id == "010113042.01"
    assert parsed.options == OPTIONS and parsed.null == 3 and parsed.invalid == 0
    assert E.votes_from_options(parsed.options) == VOTES
    assert truth.has_qr and truth.qr_in_frame and truth.valid == sum(VOTES)
    assert qr_texts(data) == [truth.payload]
    # the QR is near the bottom, like on the real actas
    assert truth.qr_quad is not None
    assert min(y for _, y in truth.qr_quad) > 0.7 * truth.height


def test_without_qr_there_is_no_code_but_the_truth_keeps_the_payload() -> None:
    data, truth = render(E, "010113042.01", OPTIONS, 3, seed=1, with_qr=False, size=SMALL)
    assert qr_texts(data) == []
    assert not truth.has_qr and not truth.qr_in_frame and truth.qr_quad is None
    assert FMT.parse(truth.payload).options == OPTIONS


def test_geometry_moves_the_qr_where_the_truth_says() -> None:
    steps = (Degradation(DegradationKind.PERSPECTIVE, 0.06), Degradation(DegradationKind.ROTATE, 9))
    data, truth = render(E, "010113042.01", OPTIONS, 3, seed=4, degradations=steps, size=SMALL)
    img = Image.open(io.BytesIO(data)).convert("L")
    (found,) = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    assert bytes(found.bytes) == truth.payload
    pos = found.position
    seen = [pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left]
    assert truth.qr_quad is not None
    for p, (x, y) in zip(seen, truth.qr_quad, strict=True):
        assert abs(p.x - x) < 12 and abs(p.y - y) < 12


def test_cutoff_puts_the_qr_partly_out_of_frame() -> None:
    steps = (Degradation(DegradationKind.CUTOFF, 0.4),)
    data, truth = render(E, "010113042.01", OPTIONS, 3, seed=2, degradations=steps, size=SMALL)
    assert truth.has_qr and not truth.qr_in_frame
    assert truth.height < SMALL[1]
    assert Image.open(io.BytesIO(data)).size == (truth.width, truth.height)


def test_jpeg_degradation_sets_the_quality() -> None:
    hi, _ = render(E, "010113042.01", OPTIONS, 3, seed=5, size=SMALL)
    steps = (Degradation(DegradationKind.JPEG, 40),)
    lo, _ = render(E, "010113042.01", OPTIONS, 3, seed=5, degradations=steps, size=SMALL)
    assert len(lo) < len(hi) * 0.7


def test_counts_that_do_not_fit_the_payload_are_refused() -> None:
    with pytest.raises(PayloadError):
        render(E, "010113042.01", OPTIONS[:-1], 3, seed=1, size=SMALL)
    with pytest.raises(PayloadError):
        render(E, "0101.01", OPTIONS, 3, seed=1, size=SMALL)


def test_sample_degradations_is_reproducible_and_in_a_natural_order() -> None:
    assert sample_degradations(9) == sample_degradations(9)
    assert len({sample_degradations(s) for s in range(20)}) == 20
    for s in range(50):
        steps = sample_degradations(s, cutoff=True)
        kinds = [d.kind for d in steps]
        assert kinds.count(DegradationKind.CUTOFF) == 1
        geometric = {DegradationKind.ROTATE, DegradationKind.PERSPECTIVE}
        cut = kinds.index(DegradationKind.CUTOFF)
        assert all(k in geometric for k in kinds[:cut])
        assert all(k not in geometric for k in kinds[cut + 1 :])
        assert 3 <= len(steps) - 1 <= 5


def test_layout_boxes_sit_inside_their_cards_and_the_sheet() -> None:
    layout = layout_for(len(E.options))
    assert len(layout.cards) == len(layout.numbers) == 38
    for card, num in zip(layout.cards, layout.numbers, strict=True):
        assert card.x0 <= num.x0 < num.x1 <= card.x1
        assert card.y0 <= num.y0 < num.y1 <= card.y1
    for box in (*layout.cards, layout.valid, layout.null, layout.table, layout.qr):
        assert 0 <= box.x0 < box.x1 <= SHEET_WIDTH and 0 <= box.y0 < box.y1 <= SHEET_HEIGHT
    assert layout.qr.y0 > layout.valid.y1  # QR below the totals


def test_truth_json_round_trip() -> None:
    steps = (Degradation(DegradationKind.ROTATE, -4.5), Degradation(DegradationKind.JPEG, 40))
    _, truth = render(E, "010113042.01", OPTIONS, 3, seed=8, degradations=steps, size=SMALL)
    assert Truth.from_json(truth.to_json()) == truth


def test_generate_set_writes_photos_and_a_manifest(tmp_path: Path) -> None:
    specs = [
        SheetSpec("010113042.01", OPTIONS, 3, seed=1, size=SMALL),
        SheetSpec("010113042.02", OPTIONS, 0, seed=2, with_qr=False, size=SMALL),
    ]
    truths = generate_set(E, specs, tmp_path)
    back = read_truths(tmp_path)
    assert [t for _, t in back] == truths
    assert [p.name for p, _ in back] == [s.file_name for s in specs]
    data, _ = render(E, "010113042.01", OPTIONS, 3, seed=1, size=SMALL)
    assert back[0][0].read_bytes() == data


@settings(max_examples=60, deadline=None)
@given(
    votes=st.lists(st.integers(0, 3000), min_size=10, max_size=10),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_votes_keeps_every_candidates_total(votes: list[int], seed: int) -> None:
    e = E
    options = split_votes(e, votes, seed)
    assert len(options) == len(e.options)
    assert all(v >= 0 for v in options)
    assert e.votes_from_options(options) == tuple(votes)
    assert split_votes(e, votes, seed) == options
