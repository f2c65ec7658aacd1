"""Reading the QR code of an acta photo: a cascade of zxing-cpp reads.

Adapter between uploaded bytes and the core. :class:`QrDecoder` is the seam
(``decode(image_bytes) -> DecodeResult``); :class:`ZxingDecoder` implements it
with a cascade of zxing-cpp reads restricted to QR codes on a grey image.
The photo is decoded from JPEG **once**, straight to grey and at the largest DCT
reduction (1/2, 1/4, 1/8) that keeps its short side at ``min_side`` pixels or
more (so the QR modules keep ~4 px); every stage reads a view of that one image:

1. ``half`` — the bottom half of the sheet (``region``, where the acta prints
   its QR) reduced 2× and read at that one scale and orientation: the cheapest
   read, enough for most photos;
2. ``region`` — the same part at the decoded scale (zxing's rotated and
   downscaled retries included);
3. ``smoothed`` — the image ``half`` read (``region``'s for small photos)
   smoothed (Gaussian, 1 px) and sharpened, for grainy, flat photos;
4. ``patch`` — every symbol the stages before found but could not read (zxing
   reports where, with a checksum error) cut out of the full-resolution photo
   with a margin and read upscaled, sharpened, smoothed and sharpened, and
   sharpened wider: the filters of the last stages on a few hundred pixels;
5. ``full`` — the whole photo at the decoded scale (a code somewhere else);
6. ``bottom`` — the bottom part of the sheet at full resolution, upscaled 2×,
   for small or soft codes;
7. ``sharpened`` — that crop, not upscaled, through an unsharp mask, for soft
   (out of focus, shaken) photos;
8. ``denoised`` — that crop smoothed (Gaussian, 1.25 px) and sharpened, then
   upscaled, for grainy, flat photos (dim light, low contrast, shadow);
9. ``sharpened_2x`` — the upscaled crop through a wider unsharp mask: the
   last resort, four times the pixels of the filters before it.

``half``, ``region``, ``smoothed`` and ``full`` also *locate*: the last four
stages run only when one of them found something like a QR code, so a photo
without one (an acta printed without QR, a photo of something else) stops
after ``full`` (``unlocated=True`` digs on regardless).

:meth:`ZxingDecoder.examine` also returns the perceptual hash of the same grey
image and the camera metadata of the same header, so ingestion opens and
decodes a photo once.

The cascade stops at the first stage whose read is accepted (by default any
QR code; pass ``accept`` to keep going past codes that do not parse). A decoded
text is only a *candidate*: :func:`first_parsing` keeps the first that parses
under the election's payload format and reports why the others did not.

Photos are opened through :mod:`actas.adapters.photo.imaging` (magic bytes, byte and pixel
limits, EXIF orientation); anything unsafe or broken is an
:class:`~actas.core.errors.ImageError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import zxingcpp
from PIL import Image, ImageFilter

from actas.adapters.photo.imaging import (
    DEFAULT_LIMITS,
    Limits,
    _capture,
    _dhash,
    _grey,
    _load,
    _open_lazy,
)
from actas.core.errors import ImageError

__all__ = [
    "STAGES",
    "DecodeResult",
    "Examined",
    "Parsed",
    "QrDecoder",
    "ZxingDecoder",
    "dct_scale",
    "first_parsing",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """What a decoder read from one photo.

    ``text`` is the first candidate of the accepted stage (``None`` when nothing
    was read); ``stage`` names that stage (``"none"`` if none); ``ms`` is the
    decoding time in milliseconds including image decoding; ``timings`` has one
    ``(stage, ms)`` per stage tried. ``width``/``height``/``format`` describe the
    photo as stored.
    """

    text: bytes | None
    stage: str
    ms: float
    candidates: tuple[bytes, ...]
    width: int
    height: int
    format: str
    timings: tuple[tuple[str, float], ...] = ()


class QrDecoder(Protocol):
    def decode(self, image_bytes: bytes) -> DecodeResult:
        """Read the QR codes of a photo; raises ImageError if it cannot be opened safely."""
        ...


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """The first candidate that parsed, and why each other one did not."""

    text: bytes | None
    value: T | None
    errors: tuple[tuple[bytes, str], ...]


def first_parsing(candidates: Iterable[bytes], parse: Callable[[bytes], T]) -> Parsed[T]:
    """Keep the first candidate that ``parse`` accepts; collect the errors of the others.

    Only exceptions of the Actas tree (e.g. PayloadError) count as a rejection;
    anything else is a bug and propagates.
    """
    from actas.core.errors import ActasError

    errors: list[tuple[bytes, str]] = []
    for text in candidates:
        try:
            value = parse(text)
        except ActasError as exc:
            errors.append((text, str(exc)))
            continue
        return Parsed(text, value, tuple(errors))
    return Parsed(None, None, tuple(errors))


_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
STAGES = (
    "half",
    "region",
    "smoothed",
    "patch",
    "full",
    "bottom",
    "sharpened",
    "denoised",
    "sharpened_2x",
)
_LOOKING = frozenset({"half", "region", "smoothed", "full"})  # they also locate symbols
_FULL_GREY = ("L", (1 << 30, 1 << 30))  # JPEG draft: grey, no downscaling


def _any(_: bytes) -> bool:
    return True


def dct_scale(width: int, height: int, min_side: int) -> int:
    """The largest JPEG DCT reduction (1, 2, 4 or 8) keeping the short side >= ``min_side``."""
    short = min(width, height)
    for k in (8, 4, 2):
        if short // k >= min_side:
            return k
    return 1


@dataclass(frozen=True, slots=True)
class Examined:
    """What ingestion needs from one opening of a photo: the QR reads, the
    perceptual hash of the same grey image and the camera metadata of its header."""

    result: DecodeResult
    phash: int
    capture: dict[str, Any]


class _Views:
    """One photo's header and its grey pixels, each decoded at most once."""

    def __init__(self, data: bytes, limits: Limits, min_side: int) -> None:
        self.data, self.limits = data, limits
        self.header: Image.Image | None = _open_lazy(data, limits)
        self.width, self.height = self.header.size
        self.format = str(self.header.format)
        jpeg = self.format == "JPEG"
        self.scale = dct_scale(self.width, self.height, min_side) if jpeg else 1
        self._base: Image.Image | None = None
        self._hires: Image.Image | None = None

    def _opened(self) -> Image.Image:
        """The header-checked image for the first decode, a fresh one after that."""
        im, self.header = self.header, None
        return im if im is not None else _open_lazy(self.data, self.limits)

    def base(self) -> Image.Image:
        """Upright grey pixels at 1/``scale`` (DCT scaling: no full-size decode)."""
        if self._base is None:
            if self.scale == 1 and self._hires is not None:
                self._base = self._hires
            else:
                size = (self.width // self.scale, self.height // self.scale)
                self._base = _grey(_load(self._opened(), ("L", size)))
        return self._base

    def hires(self) -> Image.Image:
        """Upright grey pixels at full resolution (the base when it is not reduced)."""
        if self._hires is None:
            if self.scale == 1:
                self._hires = self.base()
            else:
                self._hires = _grey(_load(self._opened(), _FULL_GREY))
        return self._hires

    def phash(self) -> int:
        """:func:`perceptual_hash` of the pixels already decoded (decoding them if none)."""
        if self._base is not None or self._hires is None:
            img, scale = self.base(), self.scale
        else:
            img, scale = self._hires, 1
        if self.format == "JPEG":  # as JPEG draft mode would have reduced it for the hash
            target = max(1, min(self.width // 64, self.height // 64))
            factor = next(k for k in (8, 4, 2, 1) if target >= k) // scale
            if factor == 8:
                img = img.reduce(4).reduce(2)  # the same averages, a quarter faster than reduce(8)
            elif factor > 1:
                img = img.reduce(factor)
        return _dhash(img)


@dataclass(frozen=True)
class ZxingDecoder:
    """The zxing-cpp cascade (see the module docstring).

    ``accept`` decides whether a stage's read ends the cascade (default: any QR
    code does); ``stages`` picks and orders the stages; ``region`` is the part
    of the upright sheet (left, top, right, bottom, as fractions) read by the
    ``half`` and ``region`` stages; ``bottom`` is the fraction of the sheet's
    height cropped for the ``bottom`` stages; ``min_side`` is the short side a
    JPEG is decoded at (at least; DCT scaling by 1/2, 1/4 or 1/8 only above it).
    """

    limits: Limits = DEFAULT_LIMITS
    accept: Callable[[bytes], bool] = _any
    stages: tuple[str, ...] = STAGES
    region: tuple[float, float, float, float] = (0.0, 0.5, 1.0, 1.0)
    bottom: float = 0.45
    half_min_side: int = 1200  # below this a half-size read is too coarse to try
    min_side: int = 1200
    unlocated: bool = False  # run the full-resolution stages even if nothing was located

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown or not self.stages:
            raise ValueError(f"unknown or no decoding stages {unknown}; known: {STAGES}")

    def decode(self, image_bytes: bytes) -> DecodeResult:
        t0 = time.perf_counter()
        return self._cascade(_Views(image_bytes, self.limits, self.min_side), t0)

    def examine(self, image_bytes: bytes) -> Examined:
        """:meth:`decode`, plus the perceptual hash and the capture metadata, from
        one opening and one decode of the photo."""
        t0 = time.perf_counter()
        views = _Views(image_bytes, self.limits, self.min_side)
        assert views.header is not None
        capture = _capture(views.header)  # before decoding: exif_transpose drops the tag
        result = self._cascade(views, t0)
        return Examined(result, views.phash(), capture)

    def _cascade(self, views: _Views, t0: float) -> DecodeResult:
        crop: Image.Image | None = None  # the bottom of the sheet, at full resolution
        up: Image.Image | None = None  # the same, upscaled
        first: tuple[Image.Image, _Frame] | None = None  # what ``half`` (or ``region``) read
        located: list[_Box] = []  # symbols found but not read, in full-resolution pixels
        patched: list[_Box] = []
        looked = False  # a stage that locates symbols (``frame``) ran
        timings: list[tuple[str, float]] = []
        seen: list[bytes] = []
        for stage in self.stages:
            ts = time.perf_counter()
            if stage == "half":
                if min(views.base().size) < self.half_min_side:
                    continue  # too small to halve
                base = views.base()
                box = _box(base, self.region)
                first = base.crop(box).reduce(2), _Frame(box[0], box[1], 2, views.scale)
                texts = self._read(first[0], first[1], located, cheap=True)
            elif stage == "region":
                base = views.base()
                box = _box(base, self.region)
                frame = _Frame(box[0], box[1], 1, views.scale)
                img = base.crop(box)
                first = first or (img, frame)
                texts = self._read(img, frame, located)
            elif stage == "smoothed":
                if first is None:
                    base = views.base()
                    box = _box(base, self.region)
                    first = base.crop(box), _Frame(box[0], box[1], 1, views.scale)
                img = first[0].filter(_SMOOTH_1).filter(_SHARPEN)
                texts = self._read(img, first[1], located)
            elif stage == "patch":
                todo = _distinct(located, patched)
                if not todo:
                    continue
                patched.extend(todo)
                texts = self._patches(views.hires(), todo)
            elif stage == "full":
                texts = self._read(views.base(), _Frame(0, 0, 1, views.scale), located)
            elif looked and not located and not self.unlocated:
                continue  # the stages that look found nothing like a QR code: stop digging
            else:  # the bottom of the sheet at full resolution
                full = views.hires()
                crop = crop or full.crop(_box(full, (0.0, 1.0 - self.bottom, 1.0, 1.0)))
                if stage == "bottom":
                    img = up = up or _upscale(crop, full.width)
                elif stage == "sharpened":
                    img = crop.filter(_SHARPEN)
                elif stage == "denoised":
                    img = _upscale(crop.filter(_SMOOTH).filter(_SHARPEN), full.width)
                else:  # "sharpened_2x"
                    img = (up or _upscale(crop, full.width)).filter(_SHARPEN_2X)
                texts = self._read(img)
            timings.append((stage, (time.perf_counter() - ts) * 1000))
            looked = looked or stage in _LOOKING
            for t in texts:
                if t not in seen:
                    seen.append(t)
            good = [t for t in texts if self.accept(t)]
            if good:
                return self._result(views, good[0], stage, t0, timings, good, seen)
        return self._result(views, None, "none", t0, timings, [], seen)

    @staticmethod
    def _result(
        views: _Views,
        text: bytes | None,
        stage: str,
        t0: float,
        timings: list[tuple[str, float]],
        good: list[bytes],
        seen: list[bytes],
    ) -> DecodeResult:
        return DecodeResult(
            text=text,
            stage=stage,
            ms=(time.perf_counter() - t0) * 1000,
            candidates=tuple(good + [t for t in seen if t not in good]),
            width=views.width,
            height=views.height,
            format=views.format,
            timings=tuple(timings),
        )

    def _read(
        self,
        img: Image.Image,
        frame: _Frame | None = None,
        located: list[_Box] | None = None,
        cheap: bool = False,
    ) -> list[bytes]:
        """The texts of the QR codes read in ``img``; with a ``frame``, the symbols found
        but not read (a checksum error) are added to ``located`` in full-resolution pixels.
        ``cheap``: one scale and orientation (for the ``half`` stage, where zxing's own
        rotated and downscaled retries read nothing more on the benchmark set)."""
        try:
            found = zxingcpp.read_barcodes(
                _grey(img),
                formats=_QR,
                try_rotate=not cheap,
                try_downscale=not cheap,
                try_invert=False,
                return_errors=frame is not None,
            )
        except (ValueError, RuntimeError) as exc:  # pragma: no cover - zxing refuses the buffer
            raise ImageError(f"the QR reader failed on this photo: {exc}") from None
        if frame is not None and located is not None:
            located.extend(frame.box(b.position) for b in found if not b.valid)
        return [bytes(b.bytes) for b in found if b.valid]

    def _patches(self, full: Image.Image, boxes: list[_Box]) -> list[bytes]:
        """Each located symbol cut out of the full-resolution photo with a margin and read
        upscaled, sharpened, smoothed and sharpened: the filters of the last stages on a
        few hundred pixels instead of the whole bottom of the sheet."""
        for x0, y0, x1, y1 in boxes:
            m = max(x1 - x0, y1 - y0) * _PATCH_MARGIN
            box = (
                max(0, round(x0 - m)),
                max(0, round(y0 - m)),
                min(full.width, round(x1 + m)),
                min(full.height, round(y1 + m)),
            )
            for img in _patch_views(full.crop(box)):
                texts = self._read(img)
                if any(self.accept(t) for t in texts):
                    return texts
        return []


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where an image read by a stage sits in the photo: its top-left corner in base
    pixels, its pixels per base pixel (``factor``: 2 for the halved read) and the base's
    DCT ``scale``."""

    left: int
    top: int
    factor: int
    scale: int

    def box(self, pos: Any) -> _Box:
        """The bounding box of a zxing position, in full-resolution pixels."""
        pts = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
        xs = [(self.left + p.x * self.factor) * self.scale for p in pts]
        ys = [(self.top + p.y * self.factor) * self.scale for p in pts]
        return min(xs), min(ys), max(xs), max(ys)


_Box = tuple[int, int, int, int]
_PATCH_MARGIN = 0.35  # of the symbol's side, on each side of it
_PATCH_MIN = 12  # px: smaller detections are fragments, not symbols
_PATCH_SIDE = 600  # px: patches are upscaled (at most 2×) to about this size
_PATCHES = 3  # at most this many located symbols are cut out, largest first


def _patch_views(patch: Image.Image) -> Iterator[Image.Image]:
    """A patch upscaled 2×, sharpened, smoothed and sharpened (upscaled), then the
    upscaled patch sharpened wider: the ``bottom`` … ``sharpened_2x`` filters, in order."""
    scale = min(2.0, max(1.0, _PATCH_SIDE / max(patch.size)))
    size = (round(patch.width * scale), round(patch.height * scale))
    up = patch.resize(size, _BICUBIC) if scale > 1 else patch
    yield up
    yield patch.filter(_SHARPEN)
    smooth = patch.filter(_SMOOTH).filter(_SHARPEN)
    yield smooth.resize(size, _BICUBIC) if scale > 1 else smooth
    yield up.filter(_SHARPEN_2X)


def _distinct(located: list[_Box], done: list[_Box]) -> list[_Box]:
    """The located symbols worth a patch: not tiny, not centred inside one already cut
    out (or about to be), largest first, at most ``_PATCHES`` in all."""
    out: list[_Box] = []
    for b in sorted(located, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True):
        if max(b[2] - b[0], b[3] - b[1]) < _PATCH_MIN:
            continue
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if any(o[0] <= cx <= o[2] and o[1] <= cy <= o[3] for o in done + out):
            continue
        out.append(b)
    return out[: max(0, _PATCHES - len(done))]


_SHARPEN = ImageFilter.UnsharpMask(radius=2, percent=250, threshold=0)
_SHARPEN_2X = ImageFilter.UnsharpMask(radius=4, percent=250, threshold=0)  # for a 2× image
_SMOOTH = ImageFilter.GaussianBlur(1.25)
_SMOOTH_1 = ImageFilter.GaussianBlur(1)  # for the halved read
_BICUBIC = Image.Resampling.BICUBIC


def _box(img: Image.Image, frac: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """Pixel box of a fractional (left, top, right, bottom) region of ``img``."""
    w, h = img.size
    left, top, right, bottom = frac
    return round(w * left), round(h * top), round(w * right), round(h * bottom)


def _upscale(crop: Image.Image, width: int) -> Image.Image:
    """A crop of a photo ``width`` pixels wide, upscaled 2× (less for photos over 1500 px:
    zxing's local binariser works better with larger modules)."""
    scale = min(2.0, max(1.0, 3000 / width))
    if scale == 1.0:
        return crop
    size = (round(crop.width * scale), round(crop.height * scale))
    return crop.resize(size, Image.Resampling.BICUBIC)
