"""OCR of thermal strips: printed lines matched to the definition's options, a proposal only."""

from __future__ import annotations

import pytest

from actas.adapters.elections import load_builtin
from actas.adapters.photo.ocr import OcrUnavailable, tesseract_version
from actas.adapters.photo.strip_ocr import _match, read_strip
from actas.core.errors import ImageError
from actas.dev.strip import render_strip
from actas.dev.synth import split_votes

E = load_builtin("ve-2024")

try:
    tesseract_version()
    HAVE_TESSERACT = True
except OcrUnavailable:
    HAVE_TESSERACT = False


def test_lines_are_matched_to_labels_in_order() -> None:
    labels = ["PSUV", "PCV", "PV", "PVV", "VOTOSVALIDOS"]
    texts = ["NICOLAS MADURO", "PSUV 12", "PCV 3", "PVV 4", "VOTOS VALIDOS 19"]
    assert _match(texts, labels) == [12, 3, None, 4, 19]


@pytest.mark.skipif(not HAVE_TESSERACT, reason="tesseract-ocr is not installed")
def test_a_clean_strip_without_qr_is_read_as_a_proposal() -> None:
    options = split_votes(E, (120, 232, 5, 0, 0, 3, 1, 1, 0, 2), seed=1)
    data, truth = render_strip(E, "201301006.01", options, 3, seed=1, with_qr=False)
    reading = read_strip(data, E)
    assert reading.options == truth.options and reading.null == 3
    assert reading.valid == sum(options) and reading.checks_pass
    assert reading.table_id == "201301006.01"
    assert reading.needs_confirmation  # never accepted on its own


@pytest.mark.skipif(not HAVE_TESSERACT, reason="tesseract-ocr is not installed")
def test_not_a_photo_is_refused() -> None:
    with pytest.raises(ImageError):
        read_strip(b"hello", E)
