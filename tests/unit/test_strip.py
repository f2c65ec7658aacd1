"""Thermal-strip actas: reproducible, the real shape, the real payload, no institution."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from actas.adapters.elections import load_builtin
from actas.adapters.photo.imaging import open_image, sniff_format
from actas.adapters.photo.qrdecode import ZxingDecoder
from actas.core.payload import get_format
from actas.core.striplayout import LineKind, printable, strip_layout
from actas.dev.degradation import Degradation, DegradationKind
from actas.dev.strip import (
    STRIP_DEGRADATIONS,
    render_strip,
    sample_strip_degradations,
    strip_payload,
)
from actas.dev.synth import split_votes

E = load_builtin("ve-2024")
FMT = get_format("ve-2024-qr", len(E.options))
OPTIONS = split_votes(E, (120, 232, 5, 0, 0, 3, 1, 1, 0, 2), seed=3)
TABLE = "201301006.01"


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    steps = (Degradation(DegradationKind.CURL, 0.04), Degradation(DegradationKind.GLARE, 0.5))
    a, ta = render_strip(E, TABLE, OPTIONS, 4, seed=11, degradations=steps)
    b, tb = render_strip(E, TABLE, OPTIONS, 4, seed=11, degradations=steps)
    c, _ = render_strip(E, TABLE, OPTIONS, 4, seed=12, degradations=steps)
    assert a == b and ta == tb
    assert a != c
    assert sample_strip_degradations(5) == sample_strip_degradations(5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_strip_qr_decodes_to_the_exact_payload(seed: int) -> None:
    options = split_votes(E, (7, 300, 0, 2, 0, 0, 1, 250, 0, 9), seed=seed)
    data, truth = render_strip(E, TABLE, options, 5, seed=seed)
    assert truth.payload == strip_payload(E, TABLE, options, 5)
    result = ZxingDecoder().decode(data)
    assert result.text == truth.payload
    parsed = FMT.parse(result.text)
    assert parsed.options == options and parsed.null == 5 and parsed.table_id == TABLE
    assert truth.qr_in_frame


def test_the_strip_is_long_and_narrow() -> None:
    data, truth = render_strip(E, TABLE, OPTIONS, 0, seed=1)
    img = Image.open(io.BytesIO(data))
    assert (img.width, img.height) == (truth.width, truth.height)
    assert img.height / img.width >= 5.0  # the paper is ≥ 1:5.5, the table's margin included
    lay = strip_layout(E, TABLE)
    assert [ln.option for ln in lay.option_lines()] == list(range(len(E.options)))
    assert [ln.text for ln in lay.option_lines()] == [printable(o.name) for o in E.options]


def test_no_institution_is_named() -> None:
    lay = strip_layout(E, TABLE)
    text = " ".join(ln.text for ln in lay.lines)
    for name in ("CONSEJO NACIONAL ELECTORAL", "REPUBLICA BOLIVARIANA", "CNE"):
        assert name not in text
    titles = [ln.text for ln in lay.lines if ln.kind is LineKind.TITLE]
    assert "ELECCION PRESIDENCIAL" in " ".join(titles)  # the definition's own name


def test_every_degradation_renders_and_is_tracked() -> None:
    for i, (kind, lo, hi) in enumerate(STRIP_DEGRADATIONS):
        step = Degradation(kind, (lo + hi) / 2)
        data, truth = render_strip(E, TABLE, OPTIONS, 2, seed=100 + i, degradations=(step,))
        fmt = "HEIF" if kind is DegradationKind.HEIC else "JPEG"
        assert sniff_format(data) == fmt, kind
        img = open_image(data)
        assert (img.width, img.height) == (truth.width, truth.height), kind
        if kind is DegradationKind.WHATSAPP:
            assert max(img.size) <= 1600
        assert truth.qr_quad is not None
        xs = [x for x, _ in truth.qr_quad]
        assert 0 <= min(xs) < max(xs) <= img.width, kind


def test_geometric_steps_carry_the_qr_corners() -> None:
    """After a curl and a crease the QR is still read where the truth says it is."""
    steps = (Degradation(DegradationKind.CURL, 0.04), Degradation(DegradationKind.CREASE, 0.8))
    data, truth = render_strip(E, TABLE, OPTIONS, 2, seed=8, degradations=steps)
    assert truth.qr_quad is not None
    img = open_image(data).convert("L")
    xs = [x for x, _ in truth.qr_quad]
    ys = [y for _, y in truth.qr_quad]
    pad = 0.15 * (max(xs) - min(xs))
    crop = img.crop((min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad))
    buf = io.BytesIO()
    crop.save(buf, format="PNG")
    assert ZxingDecoder().decode(buf.getvalue()).text == truth.payload


def test_partial_frame_loses_the_top_and_a_strip_without_qr_has_none() -> None:
    part = (Degradation(DegradationKind.PARTIAL, 0.3),)
    _, whole = render_strip(E, TABLE, OPTIONS, 2, seed=4)
    _, cut = render_strip(E, TABLE, OPTIONS, 2, seed=4, degradations=part)
    assert cut.height < whole.height * 0.75 and cut.qr_in_frame
    data, none = render_strip(E, TABLE, OPTIONS, 2, seed=4, with_qr=False)
    assert not none.has_qr and none.qr_quad is None and not none.qr_in_frame
    assert ZxingDecoder().decode(data).text is None


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="option counts"):
        render_strip(E, TABLE, OPTIONS[:-1], 0, seed=1)
