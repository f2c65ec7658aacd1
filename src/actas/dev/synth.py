"""Synthetic actas: a realistic tally-sheet photo for given counts, and its ground truth.

``render(election, table_id, options, null, seed=..., degradations=...)`` draws a
sheet like the Venezuelan 2024 acta de escrutinio — off-white textured paper, a
header with the election, centre and table, the party cards in payload order
with the printed vote count on each, the valid and null totals, signature
scribbles and the QR code carrying the real payload near the bottom — then
applies photo degradations (:class:`Degradation`) in the order given and
returns JPEG bytes with a :class:`Truth`.

Rendering is pure and reproducible: no clock, no environment, no files written;
every random choice comes from ``seed`` (the only file read is a system font,
with Pillow's built-in scalable font as the fallback). The same arguments give
the same bytes with the same Pillow and font. Writing a set of sheets to disk
is :mod:`actas.dev.synthset`; the photo degradations are :mod:`actas.dev.degradation`.

The sheet layout is data (:mod:`actas.core.layout`), in units of a 1000 × 1400
sheet, so that :mod:`actas.adapters.photo.ocr` reads the boxes where they are printed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from actas.core.layout import SHEET_HEIGHT, SHEET_WIDTH, Box, Layout, layout_for
from actas.core.model import Election, TableId
from actas.core.payload import Payload, get_format
from actas.dev.degradation import Degradation, DegradationKind, Quad, apply_degradations

__all__ = [
    "SHEET_HEIGHT",
    "SHEET_WIDTH",
    "Box",
    "Degradation",
    "DegradationKind",
    "Layout",
    "Truth",
    "layout_for",
    "render",
    "sample_degradations",
    "split_votes",
]

_FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
_INK = (28, 28, 34)
_PEN = (22, 40, 120)  # ballpoint blue for signatures


@dataclass(frozen=True, slots=True)
class Truth:
    """What a synthetic photo shows, for checking a reader against it."""

    table_id: TableId
    payload: bytes  # the exact QR payload of the sheet's counts (even when no QR is printed)
    options: tuple[int, ...]
    null: int
    invalid: int
    seed: int
    degradations: tuple[Degradation, ...]
    has_qr: bool  # False when rendered without a QR code (2025-style acta)
    qr_in_frame: bool  # every corner of the QR symbol is inside the photo
    qr_quad: Quad | None  # QR symbol corners in photo pixels (TL, TR, BR, BL)
    width: int
    height: int

    @property
    def valid(self) -> int:
        return sum(self.options)

    def to_json(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "payload": self.payload.decode("ascii"),
            "options": list(self.options),
            "null": self.null,
            "invalid": self.invalid,
            "seed": self.seed,
            "degradations": [d.to_json() for d in self.degradations],
            "has_qr": self.has_qr,
            "qr_in_frame": self.qr_in_frame,
            "qr_quad": [list(p) for p in self.qr_quad] if self.qr_quad else None,
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Truth:
        quad = data.get("qr_quad")
        return cls(
            table_id=TableId(str(data["table_id"])),
            payload=str(data["payload"]).encode("ascii"),
            options=tuple(int(v) for v in data["options"]),
            null=int(data["null"]),
            invalid=int(data["invalid"]),
            seed=int(data["seed"]),
            degradations=tuple(Degradation.from_json(d) for d in data["degradations"]),
            has_qr=bool(data["has_qr"]),
            qr_in_frame=bool(data["qr_in_frame"]),
            qr_quad=_quad(quad) if quad else None,
            width=int(data["width"]),
            height=int(data["height"]),
        )


def _quad(points: Sequence[Sequence[float]]) -> Quad:
    p = [(float(x), float(y)) for x, y in points]
    return (p[0], p[1], p[2], p[3])


def split_votes(election: Election, votes: Sequence[int], seed: int) -> tuple[int, ...]:
    """Spread each candidate's votes over that candidate's cards, reproducibly.

    The per-candidate sums of the result equal ``votes`` (election candidate order).
    """
    if len(votes) != len(election.candidates):
        raise ValueError(f"expected {len(election.candidates)} candidate totals")
    rng = np.random.default_rng(seed)
    owner = election.option_to_candidate()
    out = [0] * len(owner)
    for ci, total in enumerate(votes):
        if total < 0:
            raise ValueError("vote totals cannot be negative")
        cards = [i for i, o in enumerate(owner) if o == ci]
        if not cards:
            if total:
                raise ValueError(f"candidate {ci} has votes but no ballot card")
            continue
        # the first card (the main party) takes most votes, as on real actas
        weights = rng.dirichlet([4.0] + [0.6] * (len(cards) - 1))
        split = rng.multinomial(total, weights)
        for i, n in zip(cards, split, strict=True):
            out[i] = int(n)
    return tuple(out)


def sample_degradations(
    seed: int, *, k: int | None = None, cutoff: bool = False
) -> tuple[Degradation, ...]:
    """A random but reproducible mix of ``k`` (default 3–5) photo degradations.

    Parameters stay in the range of real phone photos of actas. ``cutoff=True``
    adds a QR partly out of frame. The result is in a natural order (geometry,
    light, optics, sensor, resolution, compression).
    """
    rng = np.random.default_rng([seed, 0x5EED])
    pool: list[tuple[DegradationKind, float]] = [
        (DegradationKind.ROTATE, float(rng.choice([-1, 1]) * rng.uniform(1.0, 20.0))),
        (DegradationKind.PERSPECTIVE, float(rng.uniform(0.03, 0.12))),
        (DegradationKind.LIGHT, float(rng.uniform(0.3, 0.7))),
        (DegradationKind.SHADOW, float(rng.uniform(0.3, 0.65))),
        (DegradationKind.CONTRAST, float(rng.uniform(0.3, 0.6))),
        (DegradationKind.BLUR, float(rng.uniform(0.8, 1.9))),
        (DegradationKind.NOISE, float(rng.uniform(6.0, 20.0))),
        (DegradationKind.LOWRES, float(rng.uniform(800.0, 1300.0))),
        (DegradationKind.JPEG, 40.0),
    ]
    n = int(rng.integers(3, 6)) if k is None else k
    picked = sorted(rng.choice(len(pool), size=min(n, len(pool)), replace=False).tolist())
    steps = [Degradation(pool[i][0], round(pool[i][1], 3)) for i in picked]
    if cutoff:
        steps.insert(
            sum(1 for s in steps if s.kind in _GEOMETRIC),
            Degradation(DegradationKind.CUTOFF, round(float(rng.uniform(0.2, 0.6)), 3)),
        )
    return tuple(steps)


_GEOMETRIC = frozenset({DegradationKind.ROTATE, DegradationKind.PERSPECTIVE})


def render(
    election: Election,
    table_id: str,
    options: Sequence[int],
    null: int,
    *,
    seed: int,
    degradations: Sequence[Degradation] = (),
    with_qr: bool = True,
    invalid: int = 0,
    size: tuple[int, int] = (1500, 2000),
    quality: int = 90,
) -> tuple[bytes, Truth]:
    """Draw the acta of ``table_id`` with these counts and photograph it.

    ``options`` are per-card counts in payload order. Returns JPEG bytes and the
    :class:`Truth`. ``with_qr=False`` draws a sheet without a QR code (2025-style).
    A JPEG degradation sets the output quality; the others change the picture.
    The election must have a payload format (PayloadError otherwise); the sheet
    is drawn as a Venezuelan acta de escrutinio.
    """
    fmt = get_format(election.payload_format, len(election.options))
    counts = tuple(int(v) for v in options)
    # the VE payload repeats the table id with two fixed fields as its acta id
    acta_id = f"{table_id}.1.0001" if fmt.name == "ve-2024-qr" else ""
    payload = fmt.encode(Payload(TableId(table_id), counts, int(null), int(invalid), acta_id))
    width, height = size
    if width < 300 or height < 400:
        raise ValueError("a sheet needs at least 300 × 400 pixels")
    rng = np.random.default_rng([seed, 1])
    layout = layout_for(len(counts))
    img = _paper(rng, width, height)
    draw = ImageDraw.Draw(img)
    _draw_header(draw, election, table_id, layout, width, height)
    _draw_cards(draw, election, counts, layout, width, height)
    _draw_totals(draw, sum(counts), int(null), layout, width, height)
    _draw_signatures(draw, rng, layout, width, height)
    quad: Quad | None = None
    if with_qr:
        quad = _draw_qr(img, payload, layout, width, height)
    photo, quad_out, q = apply_degradations(img, quad, degradations, seed=seed, quality=quality)
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=q)
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
    return buf.getvalue(), truth


# --- drawing ---------------------------------------------------------------


@cache
def _font(
    size: int, bold: bool = False, mono: bool = False
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans" + ("Mono" if mono else "") + ("-Bold" if bold else "") + ".ttf"
    try:
        return ImageFont.truetype(_FONT_DIR + name, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _paper(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Off-white paper: a slight tint, cloudy low-frequency shading and fine grain."""
    base = np.array([244, 241, 232], np.float32) + rng.uniform(-4, 4, 3).astype(np.float32)
    low = rng.standard_normal((12, 9), dtype=np.float32) * 20 + 128
    low_img = Image.fromarray(low.clip(0, 255).astype(np.uint8), "L")
    low_up = np.asarray(low_img.resize((width, height), Image.Resampling.BICUBIC), np.float32)
    # fibre grain, a little coarser than a pixel
    gw, gh = (width + 1) // 2, (height + 1) // 2
    grain_small = rng.standard_normal((gh, gw), dtype=np.float32) * 5.0 + 128.0
    grain_img = Image.fromarray(grain_small.clip(0, 255).astype(np.uint8), "L")
    grain = np.asarray(grain_img.resize((width, height), Image.Resampling.BILINEAR), np.float32)
    shade = ((low_up - 128.0) * 0.125 + grain).clip(0, 255).astype(np.uint8)
    sheet = Image.fromarray(shade, "L")
    # one table lookup per pixel and channel: shade 128 is the paper's base colour
    bands = [
        sheet.point([min(255, max(0, round(float(c) + v - 128))) for v in range(256)]) for c in base
    ]
    return Image.merge("RGB", bands)


def _px(v: float, width: int) -> int:
    return max(1, round(v * width / SHEET_WIDTH))


def _draw_header(
    draw: ImageDraw.ImageDraw,
    election: Election,
    table_id: str,
    layout: Layout,
    width: int,
    height: int,
) -> None:
    x0, y0, x1, _ = layout.header.px(width, height)
    lines = [
        ("REPÚBLICA BOLIVARIANA DE VENEZUELA", 20, False),
        ("CONSEJO NACIONAL ELECTORAL", 24, True),
        ("ACTA DE ESCRUTINIO", 30, True),
        (election.name.upper()[:60], 20, False),
    ]
    y = y0
    for text, size, bold in lines:
        font = _font(_px(size, width), bold)
        w = draw.textlength(text, font=font)
        draw.text(((x0 + x1 - w) / 2, y), text, font=font, fill=_INK)
        y += _px(size * 1.35, width)
    centre, _, table = table_id.partition(".")
    small = _font(_px(18, width))
    tx0, ty0, tx1, ty1 = layout.table.px(width, height)
    draw.text((x0, ty0), f"CENTRO {centre}", font=small, fill=_INK)
    draw.text((x0 + _px(300, width), ty0), f"MESA {table}", font=small, fill=_INK)
    draw.rectangle((tx0, ty0, tx1, ty1), outline=(90, 90, 90), width=_px(1.5, width))
    font = _font(_px(30, width), bold=True, mono=True)
    draw.text(((tx0 + tx1) / 2, (ty0 + ty1) / 2), table_id, font=font, fill=_INK, anchor="mm")
    ly = round(207 * height / SHEET_HEIGHT)
    draw.line((x0, ly, x1, ly), fill=_INK, width=_px(1.5, width))


def _draw_cards(
    draw: ImageDraw.ImageDraw,
    election: Election,
    counts: tuple[int, ...],
    layout: Layout,
    width: int,
    height: int,
) -> None:
    names = {c.id: (c.short or c.name) for c in election.candidates}
    label = _font(_px(15, width), bold=True)
    small = _font(_px(12, width))
    digits = _font(_px(34, width), bold=True)
    line = _px(1.5, width)
    for opt, card, num, n in zip(
        election.options, layout.cards, layout.numbers, counts, strict=True
    ):
        x0, y0, x1, y1 = card.px(width, height)
        draw.rectangle((x0, y0, x1, y1), outline=(110, 110, 110), width=line)
        draw.text((x0 + _px(6, width), y0 + _px(4, width)), opt.name[:16], font=label, fill=_INK)
        cand = names.get(opt.candidate, opt.candidate)
        draw.text((x0 + _px(6, width), y0 + _px(22, width)), cand[:22], font=small, fill=_INK)
        # a grey portrait placeholder: head and shoulders
        px0, py0 = x0 + _px(8, width), y0 + _px(42, width)
        pw, ph = _px(50, width), (y1 - _px(8, width)) - py0
        draw.rectangle((px0, py0, px0 + pw, py0 + ph), fill=(200, 198, 192))
        hx, hy, hr = px0 + pw / 2, py0 + ph * 0.38, pw * 0.22
        draw.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=(120, 118, 112))
        draw.chord(
            (px0 + pw * 0.12, py0 + ph * 0.62, px0 + pw * 0.88, py0 + ph * 1.3),
            180,
            360,
            fill=(120, 118, 112),
        )
        nx0, ny0, nx1, ny1 = num.px(width, height)
        draw.text((nx0, ny0 - _px(15, width)), "VOTOS", font=small, fill=_INK)
        draw.rectangle((nx0, ny0, nx1, ny1), outline=(90, 90, 90), width=line)
        draw.text(((nx0 + nx1) / 2, (ny0 + ny1) / 2), str(n), font=digits, fill=_INK, anchor="mm")


def _draw_totals(
    draw: ImageDraw.ImageDraw, valid: int, null: int, layout: Layout, width: int, height: int
) -> None:
    label = _font(_px(20, width), bold=True)
    digits = _font(_px(34, width), bold=True)
    for text, box, n in (
        ("VOTOS VÁLIDOS", layout.valid, valid),
        ("VOTOS NULOS", layout.null, null),
    ):
        x0, y0, x1, y1 = box.px(width, height)
        w = draw.textlength(text, font=label)
        draw.text(
            (x0 - w - _px(12, width), (y0 + y1) / 2), text, font=label, fill=_INK, anchor="lm"
        )
        draw.rectangle((x0, y0, x1, y1), outline=(70, 70, 70), width=_px(2, width))
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), str(n), font=digits, fill=_INK, anchor="mm")


def _draw_signatures(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, layout: Layout, width: int, height: int
) -> None:
    x0, y0, x1, y1 = layout.signatures.px(width, height)
    small = _font(_px(13, width))
    roles = ("PRESIDENTE(A)", "MIEMBRO", "SECRETARIO(A)", "TESTIGO", "TESTIGO", "OPERADOR(A)")
    cols, rows = 3, 2
    cw, rh = (x1 - x0) / cols, (y1 - y0) / rows
    for i, role in enumerate(roles):
        r, c = divmod(i, cols)
        lx0, ly = x0 + c * cw + cw * 0.08, y0 + r * rh + rh * 0.72
        lx1 = lx0 + cw * 0.84
        draw.line((lx0, ly, lx1, ly), fill=(60, 60, 60), width=_px(1.2, width))
        draw.text((lx0, ly + _px(4, width)), role, font=small, fill=_INK)
        if rng.random() < 0.9:
            _scribble(draw, rng, lx0 + cw * 0.05, ly - rh * 0.45, cw * 0.7, rh * 0.4, width)


def _scribble(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    x: float,
    y: float,
    w: float,
    h: float,
    width: int,
) -> None:
    t = np.linspace(0.0, 1.0, 160)
    freqs = rng.uniform(2.0, 9.0, 3)
    phases = rng.uniform(0, 2 * math.pi, 3)
    ys = sum(
        np.sin(2 * math.pi * f * t + p) / (k + 1)
        for k, (f, p) in enumerate(zip(freqs, phases, strict=True))
    )
    loops = 0.08 * np.sin(2 * math.pi * rng.uniform(6, 14) * t)
    xs = x + w * (t + loops)
    ys_px = y + h * (0.5 + 0.3 * np.asarray(ys))
    pts = list(zip(xs.tolist(), ys_px.tolist(), strict=True))
    draw.line(pts, fill=_PEN, width=_px(2.2, width), joint="curve")


def _draw_qr(img: Image.Image, payload: bytes, layout: Layout, width: int, height: int) -> Quad:
    qr = segno.make_qr(payload, error="m", boost_error=False, mode="byte")
    modules = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    n = modules.shape[0]
    x0, y0, x1, y1 = layout.qr.px(width, height)
    side = min(x1 - x0, y1 - y0)
    symbol = round(side * n / (n + 8))  # a 4-module quiet zone on each side
    k = max(1, math.ceil(symbol / n))
    big = np.kron(1 - modules, np.ones((k, k), dtype=np.uint8)) * 255
    sym_img = Image.fromarray(big, "L").resize((symbol, symbol), Image.Resampling.BOX)
    sym_img = sym_img.filter(ImageFilter.GaussianBlur(0.35))
    ink = Image.new("RGB", sym_img.size, _INK)
    sx, sy = x0 + (side - symbol) // 2, y0 + (side - symbol) // 2
    region = img.crop((sx, sy, sx + symbol, sy + symbol))
    img.paste(Image.composite(region, ink, sym_img), (sx, sy))
    s = float(symbol)
    return ((sx, sy), (sx + s, sy), (sx + s, sy + s), (sx, sy + s))
