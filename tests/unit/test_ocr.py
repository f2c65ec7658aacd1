"""OCR fallback: the vote across passes, a clean sheet read back, a clear error without Tesseract."""

from __future__ import annotations

import os
import shutil

import pytest

from actas.adapters.elections import load_builtin
from actas.adapters.photo.ocr import OcrCell, OcrReading, OcrUnavailable, _vote, read_counts
from actas.core.errors import ImageError
from actas.dev.synth import render, split_votes

E = load_builtin("ve-2024")


def test_vote_needs_two_agreeing_passes_that_outvote_the_rest() -> None:
    assert _vote("option:1", ["0", "0", "8"]) == OcrCell("option:1", "0", 0, 2 / 3)
    assert _vote("option:1", ["", "12", "12"]).value == 12  # an empty pass abstains
    assert _vote("option:1", ["", "", "7"]).value is None  # one pass is not enough
    assert _vote("option:1", ["", "8", "0"]).value is None  # a tie is not a reading
    assert _vote("option:1", ["", "8", "0", "0", "0"]).value == 0
    assert _vote("option:1", ["007", "007", "7"]).value is None  # leading zeros: a misread
    assert _vote("table", ["010113042.01"] * 3).value == 0
    assert _vote("table", ["01011304201"] * 3).value is None


def test_a_reading_is_a_proposal_that_needs_confirmation() -> None:
    reading = OcrReading(None, (1, None), 0, 1, 0.0, False, ())
    assert reading.needs_confirmation and not reading.complete
    assert reading.to_json()["needs_confirmation"] is True


def test_missing_tesseract_is_a_clear_image_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    data, _ = render(E, "010113042.01", (0,) * 38, 0, seed=1, with_qr=False, size=(1200, 1600))
    with pytest.raises(OcrUnavailable, match="apt-get install tesseract-ocr") as info:
        read_counts(data, E)
    assert isinstance(info.value, ImageError)


@pytest.mark.skipif(
    shutil.which("tesseract") is None and not os.environ.get("CI"),
    reason="tesseract-ocr is not installed (scripts/setup installs it)",
)
def test_clean_sheet_without_qr_reads_back() -> None:
    options = split_votes(E, (212, 187, 3, 0, 1, 0, 9, 0, 0, 2), seed=5)
    data, truth = render(E, "230401012.02", options, 6, seed=9, with_qr=False)
    reading = read_counts(data, E)
    assert reading.table_id == "230401012.02"
    assert reading.options == options and reading.null == 6 and reading.valid == truth.valid
    assert reading.totals_check and reading.complete and reading.confidence > 0.5
