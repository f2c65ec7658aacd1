"""OCR fallback: read the printed counts of an acta when no QR code can be read.

Since 2025 Venezuelan actas carry no QR code, and some 2024 photos have it cut
off. The acta layout is fixed, so :func:`read_counts` crops every printed number
where :func:`actas.core.layout.layout_for` says it is (one box per party card, the
valid and null totals and the table id), reads the digits with Tesseract
(a digit whitelist; the number boxes stacked one per line and read as a block
in one call, ``--psm 6``, and the table id as one line, ``--psm 7``) at three
scales, keeps what a majority of the passes agree on (two more passes when a
box has no majority), and checks the cards against the printed valid total.
Tesseract's reading of a lone digit depends on its size in pixels; the vote
removes nearly all of those slips.

The result is an :class:`OcrReading`: a *proposal* that a person must confirm
before it counts (``needs_confirmation`` is always true), never a tally. The
photo must show the sheet upright and filling the frame (a scan, or a photo
cropped to the sheet); a skewed phone photo is not registered to the layout.

Tesseract is an external program (Debian ``tesseract-ocr``) driven through
``pytesseract``; when either is missing, reading raises :class:`OcrUnavailable`
(an :class:`~actas.core.errors.ImageError`), and importing this module still works.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from actas.adapters.photo.imaging import DEFAULT_LIMITS, Limits, open_image
from actas.core.errors import ImageError
from actas.core.layout import Box, Layout, layout_for
from actas.core.model import Election

__all__ = ["OcrCell", "OcrReading", "OcrUnavailable", "read_counts", "tesseract_version"]

_BLOCK = "--psm 6 -c tessedit_char_whitelist=0123456789"
_TABLE = "--psm 7 -c tessedit_char_whitelist=0123456789."
_WIDTHS = (1200, 1600, 2000)  # sheet widths of the three passes that vote
_EXTRA_WIDTHS = (1400, 1800)  # two more passes when a box has no majority
_TABLE_ID = re.compile(r"^\d{9}\.\d{2}$")


class OcrUnavailable(ImageError):
    """Tesseract (the program or the pytesseract package) is not installed."""

    code = "ocr_unavailable"
    http_status = 503


@dataclass(frozen=True, slots=True)
class OcrCell:
    """One printed box as read: ``field`` is ``option:<i>``, ``valid``, ``null`` or ``table``."""

    field: str
    text: str
    value: int | None  # None when the box did not read as a number
    confidence: float  # share of the passes that agree on ``text``, 0..1


@dataclass(frozen=True, slots=True)
class OcrReading:
    """Counts read from the printed numbers of an acta, pending human confirmation."""

    table_id: str | None
    options: tuple[int | None, ...]  # per card in payload order; None = unreadable
    null: int | None
    valid: int | None  # the printed valid-vote total
    confidence: float  # lowest share of passes agreeing on a cell, 0..1 (0: a cell is unreadable)
    totals_check: bool  # every card read and their sum equals the printed valid total
    cells: tuple[OcrCell, ...]
    needs_confirmation: bool = True  # always: OCR counts are never tallied unconfirmed

    @property
    def complete(self) -> bool:
        return all(v is not None for v in self.options) and self.null is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "options": list(self.options),
            "null": self.null,
            "valid": self.valid,
            "confidence": round(self.confidence, 3),
            "totals_check": self.totals_check,
            "needs_confirmation": self.needs_confirmation,
        }


def _tesseract() -> Any:
    try:
        import pytesseract
    except ImportError:
        raise OcrUnavailable("OCR needs the pytesseract package, which is not installed") from None
    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError):
        raise OcrUnavailable(
            "OCR needs the tesseract program (Debian: apt-get install tesseract-ocr)"
        ) from None
    return pytesseract


def tesseract_version() -> str:
    """The installed Tesseract version; raises OcrUnavailable when there is none."""
    return str(_tesseract().get_tesseract_version())


def read_counts(
    image_bytes: bytes,
    election: Election,
    *,
    layout: Layout | None = None,
    limits: Limits = DEFAULT_LIMITS,
    widths: Sequence[int] = _WIDTHS,
    extra_widths: Sequence[int] = _EXTRA_WIDTHS,
) -> OcrReading:
    """Read the printed counts of a photo of ``election``'s acta (see the module docstring)."""
    tess = _tesseract()
    layout = layout or layout_for(len(election.options))
    grey = open_image(image_bytes, limits=limits).convert("L")
    names = [f"option:{i}" for i in range(len(layout.numbers))] + ["valid", "null", "table"]
    boxes = [*layout.numbers, layout.valid, layout.null]

    def one_pass(width: int) -> list[str]:
        img = grey.resize(
            (width, round(width * grey.height / grey.width)), Image.Resampling.LANCZOS
        )
        texts = _read_stack(tess, [_crop(img, box) for box in boxes])
        return [*texts, _read_line(tess, _crop(img, layout.table), _TABLE)]

    with ThreadPoolExecutor(2) as pool:  # Tesseract runs as a subprocess per call
        passes = list(pool.map(one_pass, widths))
        cells = [_vote(name, [p[i] for p in passes]) for i, name in enumerate(names)]
        if any(c.value is None for c in cells) and extra_widths:
            passes += list(pool.map(one_pass, extra_widths))
            cells = [_vote(name, [p[i] for p in passes]) for i, name in enumerate(names)]
    by = {c.field: c for c in cells}
    options = tuple(by[f"option:{i}"].value for i in range(len(layout.numbers)))
    valid, null, table = by["valid"].value, by["null"].value, by["table"]
    read = [o for o in options if o is not None]
    ok = len(read) == len(options) and valid is not None and sum(read) == valid
    conf = min(c.confidence for c in cells)
    return OcrReading(
        table_id=table.text if table.value is not None else None,
        options=options,
        null=null,
        valid=valid,
        confidence=conf,
        totals_check=ok,
        cells=tuple(cells),
    )


def _vote(name: str, texts: Sequence[str]) -> OcrCell:
    """What most passes read; unreadable unless two or more agree and outvote the rest.

    A pass that read nothing abstains. ``confidence`` is the share of all
    passes that agree.
    """
    said = [t for t in texts if t]
    if not said:
        return OcrCell(name, "", None, 0.0)
    best, n = Counter(said).most_common(1)[0]
    if n < 2 or n * 2 <= len(said):
        return OcrCell(name, "", None, 0.0)
    value = _number(best) if name != "table" else (0 if _TABLE_ID.match(best) else None)
    return OcrCell(name, best, value, n / len(texts) if value is not None else 0.0)


def _crop(img: Image.Image, box: Box) -> Image.Image:
    """The inside of a printed box (its frame cut off), the paper made white.

    Grey on purpose: Tesseract's own thresholding reads these digits better
    than a global binarisation, which turns many a lone 0 into an 8. The paper
    must become white, though, or the edge between the crop and the white
    padding around it reads as a 1.
    """
    crop = img.crop(box.inset(0.07).px(img.width, img.height))
    paper = max(1, int(np.percentile(np.asarray(crop), 75)))
    return crop.point([min(255, v * 255 // paper) for v in range(256)])


def _words(tess: Any, img: Image.Image, config: str) -> list[tuple[str, float, int, int, int]]:
    """(text, confidence 0..1, left, top, height) of each word Tesseract finds."""
    data = tess.image_to_data(img, config=config, output_type=tess.Output.DICT)
    out = []
    for text, conf, left, top, height in zip(
        data["text"], data["conf"], data["left"], data["top"], data["height"], strict=True
    ):
        if str(text).strip():
            out.append((str(text).strip(), max(0.0, float(conf)) / 100.0, left, top, height))
    return out


def _read_stack(tess: Any, crops: Sequence[Image.Image]) -> list[str]:
    """All number boxes in one Tesseract call: stacked one per line, read as a block.

    A lone digit in its own image is often missed by Tesseract's line model; in
    a block of lines it is read far more reliably, and one call is ~40 times
    cheaper than one per box.
    """
    pad = 16
    slot = max(c.height for c in crops) + 2 * pad
    width = max(c.width for c in crops) + 2 * pad
    sheet = Image.new("L", (width, slot * len(crops)), 255)
    for i, crop in enumerate(crops):
        sheet.paste(crop, ((width - crop.width) // 2, i * slot + pad))
    found: list[list[tuple[int, str]]] = [[] for _ in crops]
    for text, _, left, top, height in _words(tess, sheet, _BLOCK):
        i = (top + height // 2) // slot
        if 0 <= i < len(crops):
            found[i].append((left, text))
    return ["".join(t for _, t in sorted(words)) for words in found]


def _read_line(tess: Any, crop: Image.Image, config: str) -> str:
    words = _words(tess, ImageOps.expand(crop, border=16, fill=255), config)
    return "".join(t for t, *_ in words)


def _number(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        return None
    if len(text) > 1 and text[0] == "0":
        return None  # counts are printed without leading zeros: a misread
    return int(text)
