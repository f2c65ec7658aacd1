"""What a phone does to a thermal-strip acta: curl, crease, glare, fade, a finger, low light.

The steps of :mod:`actas.dev.degradation` that real photos of voting-machine strips
show and an A4 sheet does not. Each takes an RGB image, the QR symbol's corners (or
``None``) and a seeded generator, and returns the new image (and corners, for the
steps that move pixels). Geometric steps are smooth warps: a displacement field
sampled with :func:`scipy.ndimage.map_coordinates`, whose inverse carries the
corners along, so the caller still knows where the QR is.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

__all__ = [
    "crease",
    "curl",
    "fade",
    "finger",
    "glare",
    "lowlight",
    "motion_blur",
    "partial",
    "whatsapp",
]

Point = tuple[float, float]
QuadT = tuple[Point, Point, Point, Point]
Field = Callable[[Any, Any], tuple[Any, Any]]  # (x, y) out -> (dx, dy): source = out + d

_SKIN = ((224, 172, 140), (198, 134, 96), (141, 85, 54), (238, 196, 170))


def _rgb(arr: Any) -> Image.Image:
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _fill(img: Image.Image) -> tuple[int, int, int]:
    """The colour at the photo's top-left corner: the background the strip lies on."""
    px = img.getpixel((0, 0))
    if isinstance(px, tuple):
        return (int(px[0]), int(px[1]), int(px[2]))
    v = int(px or 0) if not isinstance(px, float) else int(px)
    return (v, v, v)


def _warp(img: Image.Image, quad: QuadT | None, field: Field) -> tuple[Image.Image, QuadT | None]:
    w, h = img.size
    # the field is smooth: evaluate it on a coarse grid and interpolate
    step = 8
    gy, gx = np.mgrid[0 : h + step : step, 0 : w + step : step].astype(np.float64)
    dx, dy = field(gx, gy)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = ys / step, xs / step
    fx = ndimage.map_coordinates(dx, [cy, cx], order=1)
    fy = ndimage.map_coordinates(dy, [cy, cx], order=1)
    src = np.asarray(img, np.float32)
    bg = _fill(img)
    out = np.empty_like(src)
    for c in range(3):
        out[:, :, c] = ndimage.map_coordinates(
            src[:, :, c], [ys + fy, xs + fx], order=1, mode="constant", cval=float(bg[c])
        )
    if quad is None:
        return _rgb(out), None

    def forward(x: float, y: float) -> Point:
        px, py = x, y
        for _ in range(30):  # solve p + d(p) = q by fixed-point iteration
            ddx, ddy = field(np.array([px]), np.array([py]))
            px, py = x - float(ddx[0]), y - float(ddy[0])
        return (px, py)

    a, b, c_, d = (forward(x, y) for x, y in quad)
    return _rgb(out), (a, b, c_, d)


def _pad(img: Image.Image, quad: QuadT | None, pad: int) -> tuple[Image.Image, QuadT | None]:
    if pad <= 0:
        return img, quad
    out = Image.new("RGB", (img.width + 2 * pad, img.height + 2 * pad), _fill(img))
    out.paste(img, (pad, pad))
    if quad is None:
        return out, None
    a, b, c, d = ((x + pad, y + pad) for x, y in quad)
    return out, (a, b, c, d)


def curl(
    img: Image.Image, quad: QuadT | None, amount: float, rng: np.random.Generator
) -> tuple[Image.Image, QuadT | None]:
    """A curled strip: a slow side-to-side bend along its length (``amount`` × width at
    most), the edges rolled towards the camera, and the shading of the bends."""
    img, quad = _pad(img, quad, math.ceil(amount * img.width) + 2)
    w, h = img.size
    wave = float(rng.uniform(0.8, 2.0)) * h
    phase = float(rng.uniform(0, 2 * math.pi))
    roll = float(rng.uniform(0.02, 0.06))
    a = amount * w * 0.6

    def field(x: Any, y: Any) -> tuple[Any, Any]:
        u = (x - w / 2) / (w / 2)
        dx = a * np.sin(2 * math.pi * y / wave + phase) + roll * w / 2 * u * np.abs(u) * 0.5
        dy = amount * 0.05 * w * np.sin(math.pi * x / w + phase)
        return dx, dy

    out, quad = _warp(img, quad, field)
    ys = np.arange(h, dtype=np.float32)
    slope = np.cos(2 * math.pi * ys / wave + phase)  # where the bend faces away, it darkens
    shade = 1.0 - 0.10 * amount / 0.06 * (slope * 0.5 + 0.5)
    arr = np.asarray(out, np.float32) * np.clip(shade, 0.7, 1.0)[:, None, None]
    return _rgb(arr), quad


def crease(
    img: Image.Image, quad: QuadT | None, amount: float, rng: np.random.Generator
) -> tuple[Image.Image, QuadT | None]:
    """A fold across the strip: a few pixels' step sideways and a dark-light line."""
    w, h = img.size
    y0 = float(rng.uniform(0.15, 0.75)) * h
    tilt = float(rng.uniform(-0.08, 0.08))
    shift = float(rng.choice([-1, 1])) * amount * 40.0 * w / 1000

    def field(x: Any, y: Any) -> tuple[Any, Any]:
        t = (y - y0 - tilt * (x - w / 2)) / (0.004 * h + 1)
        return shift / (1 + np.exp(-t)), np.zeros_like(x)

    out, quad = _warp(img, quad, field)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = yy - y0 - tilt * (xx - w / 2)
    sigma = max(1.5, 0.0015 * h)
    line = np.exp(-((dist / sigma) ** 2)) * (-80 * amount)
    line += np.exp(-(((dist - 2.5 * sigma) / (2 * sigma)) ** 2)) * (40 * amount)
    return _rgb(np.asarray(out, np.float32) + line[:, :, None]), quad


def fade(img: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """Thermal print fading: the ink lighter by up to ``amount``, unevenly, paper yellowed."""
    w, h = img.size
    low = rng.uniform(0.0, 1.0, (max(2, h // 200), max(2, w // 200))).astype(np.float32)
    small = Image.fromarray((low * 255).astype(np.uint8), "L")
    blotch = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), np.float32) / 255.0
    keep = 1.0 - amount * (0.55 + 0.45 * blotch)
    arr = np.asarray(img, np.float32)
    ink = 255.0 - arr
    out = 255.0 - ink * keep[:, :, None]
    tint = np.array([0.0, -4.0, -14.0], np.float32) * amount  # yellowing
    return _rgb(out + tint)


def glare(img: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """A lamp's reflection on the glossy paper: a soft washed-out ellipse with a hot core."""
    w, h = img.size
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.9) * h
    rx, ry = rng.uniform(0.25, 0.6) * w, rng.uniform(0.04, 0.12) * h
    sw, sh = max(4, w // 8), max(4, h // 8)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    r2 = ((xx * 8 - cx) / rx) ** 2 + ((yy * 8 - cy) / ry) ** 2
    m_small = np.exp(-r2 * 1.5) + 0.6 * np.exp(-r2 * 8)
    m_img = Image.fromarray((np.clip(m_small, 0, 1) * 255).astype(np.uint8), "L")
    m = np.asarray(m_img.resize((w, h), Image.Resampling.BILINEAR), np.float32) / 255.0
    arr = np.asarray(img, np.float32)
    return _rgb(arr + (255.0 - arr) * (amount * m)[:, :, None])


def lowlight(img: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """A dim room: darker, warmer, flatter, and the sensor's noise that comes with it."""
    arr = np.asarray(img, np.float32) / 255.0
    gain = 1.0 - 0.6 * amount
    arr = np.power(arr, 1.0 + 0.4 * amount) * gain
    warm = np.array([1.0, 0.93, 0.8], np.float32)
    noise = rng.standard_normal(arr.shape[:2], dtype=np.float32) * (3.0 + 12.0 * amount)
    return _rgb(arr * 255.0 * warm + noise[:, :, None])


def motion_blur(img: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """A shaken hand: the average along a short line of ``amount`` px (of a 1500-px photo)."""
    length = max(1.0, amount * max(img.size) / 2000)
    angle = float(rng.uniform(0, math.pi))
    n = max(2, math.ceil(length))
    arr = np.asarray(img, np.float32)
    acc = np.zeros_like(arr)
    for i in range(n):
        t = (i / (n - 1) - 0.5) * length
        dx, dy = round(t * math.cos(angle)), round(t * math.sin(angle))
        acc += np.roll(arr, (dy, dx), axis=(0, 1))
    return _rgb(acc / n)


def partial(
    img: Image.Image, quad: QuadT | None, amount: float, rng: np.random.Generator
) -> tuple[Image.Image, QuadT | None]:
    """Only part of the strip in frame: ``amount`` of the height lost at the top, a little
    at one side."""
    w, h = img.size
    top = round(amount * h)
    side = round(float(rng.uniform(0.0, 0.04)) * w)
    left = side if rng.random() < 0.5 else 0
    right = w - (side - left)
    out = img.crop((left, top, right, h))
    if quad is None:
        return out, None
    a, b, c, d = ((x - left, y - top) for x, y in quad)
    return out, (a, b, c, d)


def finger(
    img: Image.Image, quad: QuadT | None, amount: float, rng: np.random.Generator
) -> Image.Image:
    """A thumb holding the strip, from the left or right edge, over the printed lines
    (above the QR): an ellipse ``amount`` × the width long, skin-toned and shaded."""
    w, h = img.size
    length, thick = amount * w, amount * w * 0.55
    limit = min(y for _, y in quad) - thick if quad is not None else h - thick
    cy = float(rng.uniform(0.1 * h, max(0.1 * h + 1, limit)))
    from_left = bool(rng.random() < 0.5)
    x0 = -length * 0.3 if from_left else w - length * 0.7
    tone = _SKIN[int(rng.integers(len(_SKIN)))]
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((x0, cy - thick / 2, x0 + length, cy + thick / 2), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, thick * 0.04)))
    yy = np.arange(h, dtype=np.float32)[:, None]
    shade = 1.0 - 0.35 * np.clip((yy - cy) / (thick / 2), -1, 1) ** 2  # rounded: darker rims
    skin = np.array(tone, np.float32)[None, None, :] * shade[:, :, None]
    m = np.asarray(mask, np.float32)[:, :, None] / 255.0
    arr = np.asarray(img, np.float32)
    return _rgb(arr * (1 - m) + np.broadcast_to(skin, arr.shape) * m)


def whatsapp(img: Image.Image, quad: QuadT | None) -> tuple[Image.Image, QuadT | None]:
    """What a messenger does before the final recompression: the camera's own JPEG, then
    a downscale to 1600 px on the long side."""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=88)
    buf.seek(0)
    img = Image.open(buf).convert("RGB")
    w, h = img.size
    scale = min(1.0, 1600 / max(w, h))
    if scale >= 1.0:
        return img, quad
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    out = img.resize((nw, nh), Image.Resampling.BILINEAR)
    if quad is None:
        return out, None
    sx, sy = nw / w, nh / h
    a, b, c, d = ((x * sx, y * sy) for x, y in quad)
    return out, (a, b, c, d)
