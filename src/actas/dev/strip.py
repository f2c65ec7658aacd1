"""Synthetic thermal-strip actas: the voting machine's receipt, photographed by a phone.

``render_strip(election, table_id, options, null, seed=..., degradations=...)`` prints
the strip of :func:`actas.core.striplayout.strip_layout` — thermal paper, a small
monospace font, the header lines of the table, one line per ballot option with its
votes, the valid and null totals, a signatures area and the QR code with the real
payload (:mod:`actas.core.payload`) at the bottom — lays it on a table and applies
the photo degradations given (:mod:`actas.dev.degradation`, with the strip's own:
curl, crease, glare, thermal fade, motion blur, low light, partial frame, a finger,
HEIC and WhatsApp recompression). Returns the photo's bytes (JPEG, or HEIC when a
``heic`` step is given) and a :class:`~actas.dev.synth.Truth`.

Pure and reproducible: no clock, no environment, no files written; every random
choice comes from ``seed``. The only files read are the DejaVu fonts, with Pillow's
built-in font as the fallback. The title is the definition's own name: no
institution's header is printed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import cache

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from actas.core.errors import ImageError
from actas.core.model import Election, TableId
from actas.core.payload import Payload, get_format
from actas.core.striplayout import LineKind, StripLayout, strip_layout
from actas.dev.degradation import Degradation, DegradationKind, Quad, apply_degradations
from actas.dev.synth import Truth, _scribble

__all__ = ["STRIP_DEGRADATIONS", "render_strip", "sample_strip_degradations", "strip_payload"]

_FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
_BACKGROUNDS = ((92, 66, 48), (58, 58, 62), (128, 122, 112), (35, 42, 55), (150, 112, 80))

# (kind, low, high) of each strip degradation: the ranges of real phone photos
STRIP_DEGRADATIONS: tuple[tuple[DegradationKind, float, float], ...] = (
    (DegradationKind.FADE, 0.2, 0.6),
    (DegradationKind.CREASE, 0.3, 0.9),
    (DegradationKind.CURL, 0.02, 0.06),
    (DegradationKind.ROTATE, 1.0, 6.0),
    (DegradationKind.PERSPECTIVE, 0.02, 0.08),
    (DegradationKind.PARTIAL, 0.1, 0.35),
    (DegradationKind.FINGER, 0.25, 0.45),
    (DegradationKind.GLARE, 0.3, 0.75),
    (DegradationKind.LOWLIGHT, 0.3, 0.7),
    (DegradationKind.SHADOW, 0.2, 0.5),
    (DegradationKind.MOTION, 3.0, 9.0),
    (DegradationKind.BLUR, 0.6, 1.4),
    (DegradationKind.NOISE, 4.0, 12.0),
    (DegradationKind.WHATSAPP, 55.0, 75.0),
    (DegradationKind.HEIC, 50.0, 80.0),
)
_ENCODINGS = frozenset({DegradationKind.WHATSAPP, DegradationKind.HEIC})


def sample_strip_degradations(seed: int, *, k: int | None = None) -> tuple[Degradation, ...]:
    """A reproducible mix of ``k`` (default 2–4) strip degradations in a natural order
    (the paper, the geometry, the hand, the light, the optics, the sensor, the file);
    at most one of the file encodings (HEIC, WhatsApp)."""
    rng = np.random.default_rng([seed, 0x57A1])
    n = int(rng.integers(2, 5)) if k is None else k
    order = rng.permutation(len(STRIP_DEGRADATIONS)).tolist()
    picked: list[int] = []
    for i in order:
        kind = STRIP_DEGRADATIONS[i][0]
        if kind in _ENCODINGS and any(STRIP_DEGRADATIONS[j][0] in _ENCODINGS for j in picked):
            continue
        picked.append(i)
        if len(picked) == n:
            break
    steps = []
    for i in sorted(picked):
        kind, lo, hi = STRIP_DEGRADATIONS[i]
        amount = float(rng.uniform(lo, hi))
        if kind is DegradationKind.ROTATE:
            amount *= float(rng.choice([-1, 1]))
        steps.append(Degradation(kind, round(amount, 3)))
    return tuple(steps)


def strip_payload(
    election: Election, table_id: str, options: Sequence[int], null: int, invalid: int = 0
) -> bytes:
    """The QR payload of the strip (the election's payload format; PayloadError if none)."""
    fmt = get_format(election.payload_format, len(election.options))
    acta_id = f"{table_id}.1.0001" if fmt.name == "ve-2024-qr" else ""
    counts = tuple(int(v) for v in options)
    return fmt.encode(Payload(TableId(table_id), counts, int(null), int(invalid), acta_id))


def render_strip(
    election: Election,
    table_id: str,
    options: Sequence[int],
    null: int,
    *,
    seed: int,
    degradations: Sequence[Degradation] = (),
    with_qr: bool = True,
    invalid: int = 0,
    scale: float = 1.25,
    quality: int = 90,
    layout: StripLayout | None = None,
) -> tuple[bytes, Truth]:
    """Print the strip of ``table_id`` with these counts and photograph it.

    ``options`` are per-option counts in payload order; ``scale`` is photo pixels per
    printer dot (1.25: a 576-dot strip 720 px wide). ``with_qr=False`` prints no QR
    (the OCR's test case). Returns the photo's bytes and its :class:`Truth`.
    """
    counts = tuple(int(v) for v in options)
    if len(counts) != len(election.options):
        raise ValueError(f"expected {len(election.options)} option counts, got {len(counts)}")
    if scale < 0.5 or scale > 4:
        raise ValueError("scale must be between 0.5 and 4 pixels per dot")
    payload = strip_payload(election, table_id, counts, null, invalid)
    lay = layout or strip_layout(election, table_id)
    rng = np.random.default_rng([seed, 2])
    strip, quad = _print(lay, counts, int(null), payload if with_qr else None, scale, rng)
    img, quad = _on_table(strip, quad, rng)
    photo, quad_out, q = apply_degradations(img, quad, degradations, seed=seed, quality=quality)
    data = _encode(photo, q, heic=any(d.kind is DegradationKind.HEIC for d in degradations))
    in_frame = quad_out is not None and all(
        0 <= x < photo.width and 0 <= y < photo.height for x, y in quad_out
    )
    truth = Truth(
        table_id=TableId(table_id),
        payload=payload,
        options=counts,
        null=int(null),
        invalid=int(invalid),
        seed=seed,
        degradations=tuple(degradations),
        has_qr=with_qr,
        qr_in_frame=in_frame,
        qr_quad=quad_out,
        width=photo.width,
        height=photo.height,
    )
    return data, truth


def _encode(img: Image.Image, quality: int, *, heic: bool) -> bytes:
    buf = io.BytesIO()
    if heic:
        try:
            import pillow_heif
        except ImportError as exc:  # a declared dependency; say so if it is missing
            raise ImageError("HEIC output needs pillow-heif") from exc
        pillow_heif.from_pillow(img).save(buf, quality=quality, enc_params={"preset": "ultrafast"})
    else:
        img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(_FONT_DIR + name, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _height(lay: StripLayout, with_qr: bool) -> int:
    dots = lay.margin * 2
    for ln in lay.lines:
        dots += lay.line_height + (lay.signature_gap if ln.kind is LineKind.SIGNATURE else 0)
    dots += (lay.qr_side if with_qr else 0) + lay.feed
    return max(dots, math.ceil(lay.min_aspect * lay.width))


def _paper(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Thermal paper: bright, slightly cool white, a faint grain and shading."""
    base = np.array([247, 247, 243], np.float32) + rng.uniform(-3, 3, 3).astype(np.float32)
    low = rng.standard_normal((max(2, height // 300), 3), dtype=np.float32) * 4
    low_img = Image.fromarray((low + 128).clip(0, 255).astype(np.uint8), "L")
    shade = np.asarray(low_img.resize((width, height), Image.Resampling.BICUBIC), np.float32)
    grain = rng.standard_normal((height, width), dtype=np.float32) * 2.0
    arr = base[None, None, :] + (shade - 128 + grain)[:, :, None]
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def _print(
    lay: StripLayout,
    counts: tuple[int, ...],
    null: int,
    payload: bytes | None,
    scale: float,
    rng: np.random.Generator,
) -> tuple[Image.Image, Quad | None]:
    width = round(lay.width * scale)
    height = round(_height(lay, payload is not None) * scale)
    img = _paper(rng, width, height)
    ink = Image.new("L", (width, height), 0)  # thermal darkness, drawn then blended
    draw = ImageDraw.Draw(ink)
    font = _font(lay.font, max(6, round(lay.font_size * scale)))
    x0 = lay.margin * scale
    y = lay.margin * scale
    pen = ImageDraw.Draw(img)
    for ln in lay.lines:
        if ln.kind is LineKind.SIGNATURE:
            gap = lay.signature_gap * scale
            if rng.random() < 0.85:
                _scribble(pen, rng, x0 + width * 0.15, y, width * 0.5, gap * 0.8, width)
            y += gap
            draw.text((x0, y), "_" * lay.columns, font=font, fill=200)
            y += lay.line_height * scale * 0.6
        value: int | None = None
        if ln.kind is LineKind.OPTION and ln.option is not None:
            value = counts[ln.option]
        elif ln.kind is LineKind.VALID:
            value = sum(counts)
        elif ln.kind is LineKind.NULL:
            value = null
        text = ln.render(lay.columns, value)
        density = int(rng.integers(205, 245))  # the print head heats unevenly
        if ln.kind is not LineKind.BLANK:
            draw.text((x0, y), text, font=font, fill=density)
        y += lay.line_height * scale * (0.4 if ln.kind is LineKind.SIGNATURE else 1.0)
    quad: Quad | None = None
    if payload is not None:
        quad = _qr(ink, payload, round(y + lay.line_height * scale * 0.5), lay.qr_side * scale)
    if rng.random() < 0.3:  # a dead dot of the print head: a thin unprinted column
        col = int(rng.integers(round(x0), width - round(x0)))
        ink.paste(0, (col, 0, col + max(1, round(scale)), height))
    ink = ink.filter(ImageFilter.GaussianBlur(0.4 * scale))
    dark = Image.new("RGB", img.size, (24, 24, 30))
    return Image.composite(dark, img, ink), quad


def _qr(ink: Image.Image, payload: bytes, top: int, side: float) -> Quad:
    qr = segno.make_qr(payload, error="m", boost_error=False, mode="byte")
    modules = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    n = modules.shape[0]
    symbol = round(side * n / (n + 8))
    k = max(1, math.ceil(symbol / n))
    big = np.kron(modules, np.ones((k, k), dtype=np.uint8)) * 235
    sym = Image.fromarray(big, "L").resize((symbol, symbol), Image.Resampling.BOX)
    sx = (ink.width - symbol) // 2
    sy = top + round((side - symbol) / 2)
    ink.paste(sym, (sx, sy))
    s = float(symbol)
    return ((sx, sy), (sx + s, sy), (sx + s, sy + s), (sx, sy + s))


def _on_table(
    strip: Image.Image, quad: Quad | None, rng: np.random.Generator
) -> tuple[Image.Image, Quad | None]:
    """The strip lying on a table, a small margin of the table around it."""
    mx = round(strip.width * float(rng.uniform(0.04, 0.1)))
    my = round(strip.width * float(rng.uniform(0.04, 0.1)))
    colour = _BACKGROUNDS[int(rng.integers(len(_BACKGROUNDS)))]
    tint = rng.integers(-10, 11, 3)
    bg = tuple(int(max(0, min(255, c + t))) for c, t in zip(colour, tint, strict=True))
    out = Image.new("RGB", (strip.width + 2 * mx, strip.height + 2 * my), bg)
    out.paste(strip, (mx, my))
    if quad is None:
        return out, None
    a, b, c, d = ((x + mx, y + my) for x, y in quad)
    return out, (a, b, c, d)
