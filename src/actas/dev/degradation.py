"""Photo degradations for synthetic actas: each a seeded, parameterised step.

A :class:`Degradation` is a kind and one amount (degrees, a radius, a quality…,
see :class:`DegradationKind`). :func:`apply_degradations` applies a sequence in
the order given to an RGB sheet image and carries the QR symbol's corners along
through every geometric step, so the caller knows where the QR ends up and
whether it is still fully in frame. Randomness (a corner's displacement, the
noise, the shadow's shape) comes from ``seed`` and the step's position only.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from actas.dev import phone

__all__ = ["Degradation", "DegradationKind", "Quad", "apply_degradations"]

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]  # TL, TR, BR, BL

_BACKGROUNDS = ((92, 66, 48), (58, 58, 62), (150, 146, 138), (35, 42, 55))


class DegradationKind(enum.StrEnum):
    """What a step does, and what its ``amount`` means."""

    ROTATE = "rotate"  # degrees, counter-clockwise; the sheet lies on a table
    PERSPECTIVE = "perspective"  # largest corner displacement as a fraction of the width
    BLUR = "blur"  # Gaussian radius in pixels of a 1500-pixel-wide photo
    JPEG = "jpeg"  # output JPEG quality (e.g. 40)
    CONTRAST = "contrast"  # contrast factor, < 1 is flatter (e.g. 0.5)
    LIGHT = "light"  # uneven light: darkening of the far side, 0..1
    NOISE = "noise"  # sensor noise standard deviation in grey levels
    SHADOW = "shadow"  # darkness of a soft shadow over part of the sheet, 0..1
    LOWRES = "lowres"  # long side of the photo in pixels after downscaling
    CUTOFF = "cutoff"  # fraction of the QR symbol's height cut off at the bottom
    # what phone photos of a thermal strip show (actas.dev.phone)
    CURL = "curl"  # largest sideways bend of a curled strip, as a fraction of its width
    CREASE = "crease"  # strength of a fold across the strip, 0..1
    GLARE = "glare"  # strength of a lamp's reflection, 0..1
    FADE = "fade"  # how much of the thermal ink has faded, 0..1
    MOTION = "motion"  # motion-blur length in pixels of a 2000-pixel photo
    LOWLIGHT = "lowlight"  # dimness of the room, 0..1
    PARTIAL = "partial"  # fraction of the strip's height out of frame at the top
    FINGER = "finger"  # length of a thumb over the lines, as a fraction of the width
    HEIC = "heic"  # saved as HEIC (iPhone) at this quality
    WHATSAPP = "whatsapp"  # downscaled to 1600 px and recompressed at this JPEG quality


@dataclass(frozen=True, slots=True)
class Degradation:
    kind: DegradationKind
    amount: float

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "amount": self.amount}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Degradation:
        return cls(DegradationKind(str(data["kind"])), float(data["amount"]))


def apply_degradations(
    img: Image.Image,
    quad: Quad | None,
    steps: Sequence[Degradation],
    *,
    seed: int,
    quality: int,
) -> tuple[Image.Image, Quad | None, int]:
    """Apply ``steps`` in order; returns the image, the moved QR quad and the JPEG quality."""
    for i, step in enumerate(steps):
        rng = np.random.default_rng([seed, 100 + i])
        kind, a = step.kind, step.amount
        if kind is DegradationKind.ROTATE:
            img, quad = _rotate(img, quad, a, rng)
        elif kind is DegradationKind.PERSPECTIVE:
            img, quad = _perspective(img, quad, a, rng)
        elif kind is DegradationKind.BLUR:
            img = img.filter(ImageFilter.GaussianBlur(max(0.0, a) * img.width / 1500))
        elif kind is DegradationKind.JPEG:
            quality = int(min(95, max(5, a)))
        elif kind is DegradationKind.CONTRAST:
            arr = np.asarray(img, np.float32)
            mean = float(arr.mean())
            img = _from_float(mean + (arr - mean) * a)
        elif kind is DegradationKind.LIGHT:
            img = _light(img, a, rng)
        elif kind is DegradationKind.NOISE:
            arr = np.asarray(img, np.float32)
            noise = rng.standard_normal(arr.shape[:2], dtype=np.float32) * a
            img = _from_float(arr + noise[:, :, None])  # luminance noise
        elif kind is DegradationKind.SHADOW:
            img = _shadow(img, a, rng)
        elif kind is DegradationKind.LOWRES:
            img, quad = _lowres(img, quad, a)
        elif kind is DegradationKind.CUTOFF:
            img = _cutoff(img, quad, a)
        elif kind in _PHONE:
            img, quad, quality = _phone(img, quad, step, rng, quality)
        else:  # pragma: no cover - exhaustive
            raise ValueError(f"unknown degradation {kind!r}")
    return img, quad, quality


_PHONE = frozenset(
    {
        DegradationKind.CURL,
        DegradationKind.CREASE,
        DegradationKind.GLARE,
        DegradationKind.FADE,
        DegradationKind.MOTION,
        DegradationKind.LOWLIGHT,
        DegradationKind.PARTIAL,
        DegradationKind.FINGER,
        DegradationKind.HEIC,
        DegradationKind.WHATSAPP,
    }
)


def _phone(
    img: Image.Image, quad: Quad | None, step: Degradation, rng: np.random.Generator, quality: int
) -> tuple[Image.Image, Quad | None, int]:
    kind, a = step.kind, step.amount
    if kind is DegradationKind.CURL:
        img, quad = phone.curl(img, quad, a, rng)
    elif kind is DegradationKind.CREASE:
        img, quad = phone.crease(img, quad, a, rng)
    elif kind is DegradationKind.GLARE:
        img = phone.glare(img, a, rng)
    elif kind is DegradationKind.FADE:
        img = phone.fade(img, a, rng)
    elif kind is DegradationKind.MOTION:
        img = phone.motion_blur(img, a, rng)
    elif kind is DegradationKind.LOWLIGHT:
        img = phone.lowlight(img, a, rng)
    elif kind is DegradationKind.PARTIAL:
        img, quad = phone.partial(img, quad, a, rng)
    elif kind is DegradationKind.FINGER:
        img = phone.finger(img, quad, a, rng)
    elif kind is DegradationKind.WHATSAPP:
        img, quad = phone.whatsapp(img, quad)
        quality = int(min(95, max(5, a)))
    else:  # HEIC: the quality of the HEIC the caller writes
        quality = int(min(95, max(5, a)))
    return img, quad, quality


def _from_float(arr: np.ndarray[Any, Any]) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _background(rng: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = _BACKGROUNDS[int(rng.integers(len(_BACKGROUNDS)))]
    return (r, g, b)


def _map_quad(quad: Quad | None, fn: Any) -> Quad | None:
    if quad is None:
        return None
    a, b, c, d = (fn(x, y) for x, y in quad)
    return (a, b, c, d)


def _rotate(
    img: Image.Image, quad: Quad | None, degrees: float, rng: np.random.Generator
) -> tuple[Image.Image, Quad | None]:
    w, h = img.size
    out = img.rotate(
        degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=_background(rng)
    )
    t = np.radians(degrees)
    cos, sin = float(np.cos(t)), float(np.sin(t))
    cx, cy, ncx, ncy = w / 2, h / 2, out.width / 2, out.height / 2

    def fwd(x: float, y: float) -> Point:
        dx, dy = x - cx, y - cy
        return (ncx + cos * dx + sin * dy, ncy - sin * dx + cos * dy)

    return out, _map_quad(quad, fwd)


def _homography(src: Sequence[Point], dst: Sequence[Point]) -> np.ndarray[Any, Any]:
    """Eight coefficients of the projective map taking each ``src`` point to its ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float))


def _perspective(
    img: Image.Image, quad: Quad | None, amount: float, rng: np.random.Generator
) -> tuple[Image.Image, Quad | None]:
    w, h = img.size
    margin = amount * w * 1.2
    ow, oh = round(w + 2 * margin), round(h + 2 * margin)
    corners: list[Point] = [(0, 0), (w, 0), (w, h), (0, h)]
    jitter = rng.uniform(-amount * w, amount * w, (4, 2))
    moved: list[Point] = [
        (x + margin + float(dx), y + margin + float(dy))
        for (x, y), (dx, dy) in zip(corners, jitter, strict=True)
    ]
    inv = _homography(moved, corners)  # output -> input, as Pillow wants it
    out = img.transform(
        (ow, oh),
        Image.Transform.PERSPECTIVE,
        tuple(float(c) for c in inv),
        resample=Image.Resampling.BILINEAR,
        fillcolor=_background(rng),
    )
    a, b, c, d, e, f, g, hh = (float(v) for v in _homography(corners, moved))

    def fwd(x: float, y: float) -> Point:
        z = g * x + hh * y + 1.0
        return ((a * x + b * y + c) / z, (d * x + e * y + f) / z)

    return out, _map_quad(quad, fwd)


def _light(img: Image.Image, strength: float, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    sw, sh = max(2, w // 16), max(2, h // 16)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xx, yy = xx / (sw - 1) - 0.5, yy / (sh - 1) - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx + np.sin(angle) * yy) / 0.7071 * 0.5 + 0.5  # 0..1
    vignette = (xx**2 + yy**2) * 2.0
    gain = 1.0 - strength * (0.75 * ramp + 0.25 * vignette)
    small = Image.fromarray((np.clip(gain, 0, 1) * 255).astype(np.uint8), "L")
    field = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), np.float32) / 255.0
    warm = np.array([1.0, 0.97, 0.9], np.float32)  # indoor light is warm
    return _from_float(np.asarray(img, np.float32) * field[:, :, None] * warm)


def _shadow(img: Image.Image, darkness: float, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    sw, sh = max(8, w // 8), max(8, h // 8)  # drawn small and blurred, then scaled up
    mask = Image.new("L", (sw, sh), 0)
    side = int(rng.integers(4))
    d1, d2 = rng.uniform(0.15, 0.55, 2)
    if side == 0:  # from the left
        poly = [(0, 0), (d1 * sw, 0), (d2 * sw, sh), (0, sh)]
    elif side == 1:  # from the right
        poly = [(sw, 0), (sw - d1 * sw, 0), (sw - d2 * sw, sh), (sw, sh)]
    elif side == 2:  # from the top
        poly = [(0, 0), (sw, 0), (sw, d1 * sh), (0, d2 * sh)]
    else:  # from the bottom (a hand or a phone over the sheet)
        poly = [(0, sh), (sw, sh), (sw, sh - d1 * sh), (0, sh - d2 * sh)]
    ImageDraw.Draw(mask).polygon([(float(x), float(y)) for x, y in poly], fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, 0.02 * sw)))
    mask = mask.resize((w, h), Image.Resampling.BILINEAR)
    m = np.asarray(mask, np.float32) * (darkness / 255.0)
    return _from_float(np.asarray(img, np.float32) * (1.0 - m)[:, :, None])


def _lowres(
    img: Image.Image, quad: Quad | None, long_side: float
) -> tuple[Image.Image, Quad | None]:
    w, h = img.size
    scale = min(1.0, long_side / max(w, h))
    if scale >= 1.0:
        return img, quad
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    sx, sy = nw / w, nh / h
    out = img.resize((nw, nh), Image.Resampling.BILINEAR)
    return out, _map_quad(quad, lambda x, y: (x * sx, y * sy))


def _cutoff(img: Image.Image, quad: Quad | None, frac: float) -> Image.Image:
    w, h = img.size
    if quad is None:
        bottom = round(h * (1.0 - 0.1 * frac))
    else:
        ys = [y for _, y in quad]
        top, low = min(ys), max(ys)
        bottom = round(low - frac * (low - top))
    return img.crop((0, 0, w, max(1, min(h, bottom))))
