"""OCR of printed lines: reading a thermal-strip acta without its QR code.

:func:`read_strip` reads a photo of a strip laid out by
:func:`actas.core.striplayout.strip_layout` — any election's, since the labels come
from the definition — not boxes at fixed places:

1. **find the sheet**: the paper is the brightest large region (Otsu's threshold
   on a small grey copy); its principal axis gives the skew, the photo is rotated
   upright and cropped to the paper's rows and columns;
2. **normalise**: the strip scaled to a fixed width (printer dots × ``px_per_dot``),
   the paper's uneven light divided out (a wide blur as the background);
3. **read text lines** with Tesseract (``--psm 6``, upper-case letters, digits and the
   strip's punctuation), in overlapping bands of the strip so that a curled or
   creased strip is nearly straight within each band;
4. **match** every line ending in a number to the layout's numbered lines (each
   option, the valid and the null totals) by a monotone alignment: the labels in
   order, scored by their similarity to the line's text; a line matched twice keeps
   the reading the passes agree on;
5. **check** the options against the printed valid total, and the table id against
   the one printed in the header.

Two passes (two widths) vote; a third runs when they disagree or a check fails. The
result is a :class:`StripReading`: a **proposal** for a person to confirm or correct
(``needs_confirmation`` is always true), never a result on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from actas.adapters.photo.imaging import DEFAULT_LIMITS, Limits, open_image
from actas.adapters.photo.ocr import _tesseract, _words
from actas.core.model import Election
from actas.core.striplayout import LineKind, StripLayout, printable, strip_layout

__all__ = ["StripReading", "read_strip"]

_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-()/"
_LABELS = f"--psm 6 -c tessedit_char_whitelist={_CHARS}"
_DIGITS = "--psm 6 -c tessedit_char_whitelist=0123456789"
_LINE = re.compile(r"^(?P<label>.*?[A-Z].*?)[\s.:_-]*(?P<number>[0-9OD]{1,5})\s*$")
_TABLE = re.compile(r"ACTA[:\s]*([0-9]{6,12}[.,][0-9]{1,3})")
_PASSES = (1.5, 1.25, 1.75)  # printer dots to pixels of each pass, until one checks


@dataclass(frozen=True, slots=True)
class StripReading:
    """What the OCR proposes for one strip; ``None`` where a line was not read."""

    table_id: str | None
    options: tuple[int | None, ...]
    null: int | None
    valid: int | None  # as printed
    totals_check: bool  # every option read and their sum is the printed valid total
    agreement: float  # the lowest share of passes agreeing on a line
    lines: tuple[str, ...]  # the text lines Tesseract read, for a person to see
    needs_confirmation: bool = True  # always: a reading is a proposal

    @property
    def complete(self) -> bool:
        return all(v is not None for v in (*self.options, self.null, self.valid))

    @property
    def checks_pass(self) -> bool:
        return self.complete and self.totals_check

    def to_json(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "options": list(self.options),
            "null": self.null,
            "valid": self.valid,
            "totals_check": self.totals_check,
            "agreement": round(self.agreement, 3),
            "needs_confirmation": self.needs_confirmation,
        }


def read_strip(
    image_bytes: bytes,
    election: Election,
    *,
    layout: StripLayout | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> StripReading:
    """Read the printed lines of a photo of ``election``'s strip (see the module doc).

    Raises ImageError for a photo that cannot be opened, OcrUnavailable without Tesseract.
    """
    tess = _tesseract()
    lay = layout or strip_layout(election)
    grey = open_image(image_bytes, limits=limits).convert("L")
    sheet = find_sheet(grey)
    targets = [
        ln for ln in lay.lines if ln.kind in (LineKind.OPTION, LineKind.VALID, LineKind.NULL)
    ]
    labels = [_squash(ln.text) for ln in targets]

    def one_pass(px_per_dot: float) -> tuple[list[int | None], list[str], str | None]:
        img = _level(_normalise(sheet, round(lay.width * px_per_dot)))
        texts = _read_lines(tess, img, round(lay.line_height * px_per_dot))
        return _match(texts, labels), texts, _table_id(texts)

    passes = []
    values: list[int | None] = []
    agreement = 0.0
    for px_per_dot in _PASSES:
        passes.append(one_pass(px_per_dot))
        if _consistent(passes[-1][0], targets):  # the sheet's own totals agree: stop
            values, agreement = passes[-1][0], _vote([p[0] for p in passes])[1]
            break
    else:
        values, agreement = _vote([p[0] for p in passes])
    by_kind = {ln.kind: v for ln, v in zip(targets, values, strict=True)}
    options: list[int | None] = [None] * len(election.options)
    for ln, v in zip(targets, values, strict=True):
        if ln.kind is LineKind.OPTION and ln.option is not None and ln.option < len(options):
            options[ln.option] = v
    tables = Counter(p[2] for p in passes if p[2])
    return StripReading(
        table_id=tables.most_common(1)[0][0] if tables else None,
        options=tuple(options),
        null=by_kind.get(LineKind.NULL),
        valid=by_kind.get(LineKind.VALID),
        totals_check=_consistent(values, targets),
        agreement=agreement,
        lines=tuple(passes[0][1]),
    )


def find_sheet(grey: Image.Image) -> Image.Image:
    """The paper of the photo, upright and cropped: the largest bright region, deskewed
    by its principal axis."""
    small_w = 200
    scale = small_w / grey.width
    small = grey.resize((small_w, max(8, round(grey.height * scale))), Image.Resampling.BOX)
    arr = np.asarray(small, np.float32)
    mask = arr > _otsu(arr)
    ys, xs = np.nonzero(mask)
    if len(xs) < 50:
        return grey
    cx, cy = xs.mean(), ys.mean()
    cov = np.cov(np.stack([xs - cx, ys - cy]))
    evals, evecs = np.linalg.eigh(cov)
    vx, vy = evecs[:, int(np.argmax(evals))]
    if vy < 0:
        vx, vy = -vx, -vy
    angle = float(np.degrees(np.arctan2(vx, vy)))  # the long axis' tilt from vertical
    upright = grey
    if abs(angle) > 0.3 and abs(angle) < 45:
        upright = grey.rotate(-angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=0)
        small = upright.resize(
            (small_w, max(8, round(upright.height * small_w / upright.width))),
            Image.Resampling.BOX,
        )
        arr = np.asarray(small, np.float32)
        mask = arr > _otsu(arr)
    rows = np.nonzero(mask.mean(axis=1) > 0.15)[0]
    cols = np.nonzero(mask.mean(axis=0) > 0.3)[0]
    if len(rows) < 2 or len(cols) < 2:
        return upright
    k = upright.width / small.width
    box = (
        max(0, round(cols[0] * k)),
        max(0, round(rows[0] * k)),
        min(upright.width, round((cols[-1] + 1) * k)),
        min(upright.height, round((rows[-1] + 1) * k)),
    )
    return upright.crop(box)


def _otsu(arr: np.ndarray[Any, Any]) -> float:
    hist, edges = np.histogram(arr, bins=64, range=(0, 256))
    p = hist.astype(np.float64) / max(1, hist.sum())
    omega = np.cumsum(p)
    mu = np.cumsum(p * (edges[:-1] + 2))
    total = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total * omega - mu) ** 2 / (omega * (1 - omega))
    return float(edges[int(np.nanargmax(between))] + 4)


def _normalise(sheet: Image.Image, width: int) -> Image.Image:
    img = sheet.resize(
        (width, max(1, round(sheet.height * width / sheet.width))), Image.Resampling.LANCZOS
    )
    # the paper's light: the brightest of each small block (the ink removed), smoothed
    small = img.reduce(8).filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.GaussianBlur(3))
    background = small.resize(img.size, Image.Resampling.BILINEAR)
    arr = np.asarray(img, np.float32) / np.maximum(np.asarray(background, np.float32), 1.0)
    flat = Image.fromarray(np.clip(arr * 255, 0, 255).astype(np.uint8), "L")
    return ImageOps.autocontrast(flat, cutoff=1)


def _level(img: Image.Image) -> Image.Image:
    """Rotate by the small angle (±3°) that makes the text rows sharpest: the residue of
    a perspective the sheet's axis did not remove."""
    small = img.reduce(4)
    best, best_angle = -1.0, 0.0
    for angle in np.arange(-3.0, 3.01, 0.25):
        turned = small.rotate(float(angle), resample=Image.Resampling.BILINEAR, fillcolor=255)
        profile = (255.0 - np.asarray(turned, np.float32)).mean(axis=1)
        score = float(np.var(np.diff(profile)))
        if score > best:
            best, best_angle = score, float(angle)
    if best_angle == 0.0:
        return img
    return img.rotate(best_angle, resample=Image.Resampling.BILINEAR, fillcolor=255)


def _read_lines(tess: Any, img: Image.Image, line_px: int) -> list[str]:
    """The strip's text lines: rows found by the ink's horizontal profile; in each row
    the number is the rightmost run of ink after a gap of two characters or more. All
    labels are read in one Tesseract call stacked one per line, all numbers in another
    (a lone digit is read far better in a block than alone); returns ``LABEL NUMBER``
    lines (``LABEL`` alone where a row has no number)."""
    ink = 255.0 - np.asarray(img, np.float32)
    rows = _rows(ink, line_px)
    char = line_px * 0.44  # a monospace character is ~0.44 of the line pitch wide
    labels: list[Image.Image] = []
    numbers: list[Image.Image | None] = []
    for top, bottom in rows:
        band = ink[top:bottom]
        cols = np.nonzero(band.max(axis=0) > 80)[0]
        if len(cols) == 0:
            continue
        runs = np.split(cols, np.nonzero(np.diff(cols) > 2 * char)[0] + 1)
        pad = round(char * 0.5)
        y0, y1 = max(0, top - pad), min(img.height, bottom + pad)
        last = runs[-1]
        if len(runs) > 1 and last[0] > img.width * 0.5 and last[-1] - last[0] < 7 * char:
            numbers.append(img.crop((max(0, last[0] - pad), y0, last[-1] + pad, y1)))
            body = np.concatenate(runs[:-1])
        else:
            numbers.append(None)
            body = cols
        labels.append(img.crop((max(0, body[0] - pad), y0, body[-1] + pad, y1)))
    if not labels:
        return []
    label_text = _stack(tess, labels, _LABELS)
    present = [c for c in numbers if c is not None]
    number_text = iter(_stack(tess, present, _DIGITS) if present else [])
    out = []
    for label, crop in zip(label_text, numbers, strict=True):
        value = next(number_text) if crop is not None else ""
        out.append(f"{label} {value}".strip())
    return out


def _rows(ink: np.ndarray[Any, Any], line_px: int) -> list[tuple[int, int]]:
    profile = (ink > 80).mean(axis=1)
    on = profile > 0.004
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    out: list[tuple[int, int]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        h = b - a
        if h < line_px * 0.3:
            continue  # a speck, a crease line
        n = max(1, round(h / line_px)) if h > line_px * 1.5 else 1
        for i in range(n):  # touching lines: split evenly
            out.append((a + h * i // n, a + h * (i + 1) // n))
    return out


def _stack(tess: Any, crops: Sequence[Image.Image], config: str) -> list[str]:
    """Crops stacked one per line in one image, read as a block; one text per crop."""
    pad = 12
    slot = max(c.height for c in crops) + 2 * pad
    width = max(c.width for c in crops) + 2 * pad
    sheet = Image.new("L", (width, slot * len(crops)), 255)
    for i, crop in enumerate(crops):
        sheet.paste(crop, (pad, i * slot + pad))
    found: list[list[tuple[int, str]]] = [[] for _ in crops]
    for text, _, left, top, height in _words(tess, sheet, config):
        i = (top + height // 2) // slot
        if 0 <= i < len(crops):
            found[i].append((left, text))
    return [" ".join(t for _, t in sorted(words)) for words in found]


def _squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", printable(text))


def _number(text: str) -> int | None:
    digits = text.replace("O", "0").replace("D", "0")
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == "0"):
        return None
    return int(digits)


def _match(texts: Sequence[str], labels: Sequence[str]) -> list[int | None]:
    """The number of each label: a monotone alignment of lines ending in a number to
    the labels in order, maximising label similarity (a line matches at most one label)."""
    lines: list[tuple[str, int]] = []
    for t in texts:
        m = _LINE.match(t.upper())
        if m is None:
            continue
        value = _number(m.group("number"))
        if value is not None:
            lines.append((_squash(m.group("label")), value))
    n, k = len(lines), len(labels)
    sim = np.zeros((n, k))
    for i, (text, _) in enumerate(lines):
        for j, label in enumerate(labels):
            r = SequenceMatcher(None, text, label).ratio()
            sim[i, j] = r if r >= 0.67 else 0.0
    best = np.zeros((n + 1, k + 1))
    for i in range(1, n + 1):
        for j in range(1, k + 1):
            take = best[i - 1, j - 1] + sim[i - 1, j - 1] if sim[i - 1, j - 1] else -1.0
            best[i, j] = max(best[i - 1, j], best[i, j - 1], take)
    out: list[int | None] = [None] * k
    i, j = n, k
    while i > 0 and j > 0:
        if sim[i - 1, j - 1] and best[i, j] == best[i - 1, j - 1] + sim[i - 1, j - 1]:
            out[j - 1] = lines[i - 1][1]
            i, j = i - 1, j - 1
        elif best[i, j] == best[i - 1, j]:
            i -= 1
        else:
            j -= 1
    return out


def _vote(passes: Sequence[Sequence[int | None]]) -> tuple[list[int | None], float]:
    values: list[int | None] = []
    worst = 1.0
    for cells in zip(*passes, strict=True):
        seen = Counter(v for v in cells if v is not None)
        if not seen:
            values.append(None)
            worst = 0.0
            continue
        (top, count), *rest = [*seen.most_common(2), (None, 0)]
        runner = rest[0][1] if rest else 0
        values.append(top if count > runner else None)
        worst = min(worst, count / len(cells))
    return values, worst


def _consistent(values: Sequence[int | None], targets: Sequence[Any]) -> bool:
    opts = [v for ln, v in zip(targets, values, strict=True) if ln.kind is LineKind.OPTION]
    valid = next(
        (v for ln, v in zip(targets, values, strict=True) if ln.kind is LineKind.VALID), None
    )
    return (
        valid is not None
        and all(v is not None for v in opts)
        and sum(v or 0 for v in opts) == valid
    )


def _table_id(texts: Sequence[str]) -> str | None:
    for t in texts:
        m = _TABLE.search(t.upper().replace(" ", ""))
        if m:
            return m.group(1).replace(",", ".")
    return None
