"""Photos of actas: open them safely, read their QR code, hash them, strip them.

Adapter between uploaded bytes and the core. :class:`QrDecoder` is the seam
(``decode(image_bytes) -> DecodeResult``); :class:`ZxingDecoder` implements it
with a cascade of zxing-cpp reads restricted to QR codes on a grey image.
The photo is decoded from JPEG **once**, straight to grey and at the largest DCT
reduction (1/2, 1/4, 1/8) that keeps its short side at ``min_side`` pixels or
more (so the QR modules keep ~4 px); every stage reads a view of that one image:

1. ``half`` — the bottom half of the sheet (``region``, where the acta prints
   its QR) reduced 2×: the cheapest read, enough for most photos;
2. ``region`` — the same part at the decoded scale;
3. ``full`` — the whole photo at the decoded scale (a code somewhere else);
4. ``bottom`` — the bottom part of the sheet at full resolution, upscaled 2×,
   for small or soft codes;
5. ``sharpened`` — that crop, not upscaled, through an unsharp mask, for soft
   (out of focus, shaken) photos;
6. ``denoised`` — that crop smoothed (Gaussian, 1.25 px) and sharpened, then
   upscaled, for grainy, flat photos (dim light, low contrast, shadow);
7. ``sharpened_2x`` — the upscaled crop through a wider unsharp mask: the
   last resort, four times the pixels of the filters before it.

:meth:`ZxingDecoder.examine` also returns the perceptual hash of the same grey
image and the camera metadata of the same header, so ingestion opens and
decodes a photo once.

The cascade stops at the first stage whose read is accepted (by default any
QR code; pass ``accept`` to keep going past codes that do not parse). A decoded
text is only a *candidate*: :func:`first_parsing` keeps the first that parses
under the election's payload format and reports why the others did not.

Every photo goes through :func:`open_image`: the format is sniffed from magic
bytes (JPEG, PNG, WebP, HEIC/HEIF when ``pillow-heif`` is installed) before
Pillow sees it, the byte and pixel limits are checked from the header before
any pixel is decoded, EXIF orientation is applied, and anything truncated,
corrupt or unknown becomes an :class:`~actas.errors.ImageError`.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from .errors import ImageError

__all__ = [
    "DEFAULT_LIMITS",
    "STAGES",
    "DecodeResult",
    "Examined",
    "Limits",
    "Parsed",
    "QrDecoder",
    "ZxingDecoder",
    "capture_metadata",
    "dct_scale",
    "first_parsing",
    "hamming",
    "open_image",
    "perceptual_hash",
    "sniff_format",
    "strip_metadata",
]

T = TypeVar("T")

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# the Pillow plugin allowed to open each sniffed format, and nothing else
_PIL_FORMATS = {"JPEG": ("JPEG",), "PNG": ("PNG",), "WEBP": ("WEBP",), "HEIF": ("HEIF",)}
_OPEN_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class Limits:
    """What a photo may be: at most ``max_bytes`` long and ``max_pixels`` large."""

    max_bytes: int = 25_000_000
    max_pixels: int = 50_000_000


DEFAULT_LIMITS = Limits()


def sniff_format(data: bytes) -> str:
    """``JPEG``, ``PNG``, ``WEBP`` or ``HEIF`` from the magic bytes; ImageError otherwise."""
    if not data:
        raise ImageError("the photo is empty (0 bytes)")
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    raise ImageError(
        "not a photo: the file does not start like a JPEG, PNG, WebP or HEIC image"
        f" (first bytes {data[:8]!r})"
    )


def _heif_available() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()  # idempotent
    return True


def open_image(
    data: bytes,
    *,
    limits: Limits = DEFAULT_LIMITS,
    draft: tuple[str, tuple[int, int]] | None = None,
    transpose: bool = True,
) -> Image.Image:
    """Open and fully decode a photo after the safety checks; never returns a lazy image.

    ``draft`` is a ``(mode, size)`` hint for JPEG (decode to grey, at a reduced
    scale not smaller than ``size``; the size is in stored, pre-rotation pixels).
    Raises :class:`ImageError` with a clear message for anything unsafe or broken.
    """
    return _load(_open_lazy(data, limits), draft, transpose)


def _load(
    im: Image.Image, draft: tuple[str, tuple[int, int]] | None, transpose: bool = True
) -> Image.Image:
    """Decode the pixels of a header-checked image, upright."""
    try:
        if draft is not None and im.format == "JPEG":
            im.draft(draft[0], draft[1])
        im.load()
        if transpose:
            ImageOps.exif_transpose(im, in_place=True)
    except Image.DecompressionBombError as exc:
        raise ImageError(f"the photo is too large to open safely: {exc}") from None
    except _OPEN_ERRORS as exc:
        raise ImageError(f"the photo is truncated or corrupt: {exc}") from None
    return im


def _open_lazy(data: bytes, limits: Limits) -> Image.Image:
    """Image.open with the checks that need only the header."""
    if len(data) > limits.max_bytes:
        raise ImageError(f"the photo is {len(data):,} bytes; the limit is {limits.max_bytes:,}")
    fmt = sniff_format(data)
    if fmt == "HEIF" and not _heif_available():
        raise ImageError("HEIC/HEIF photos need the pillow-heif package, which is not installed")
    try:
        with warnings.catch_warnings():
            # our own pixel limit below is the one that counts
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=_PIL_FORMATS[fmt])
    except Image.DecompressionBombError:
        raise ImageError(
            f"the photo is too large to open safely (over {limits.max_pixels / 1e6:.0f} Mpx)"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(f"the file starts like a {fmt} image but cannot be read as one") from None
    except _OPEN_ERRORS as exc:
        raise ImageError(f"the {fmt} photo cannot be read: {exc}") from None
    w, h = im.size
    if w <= 0 or h <= 0:
        raise ImageError(f"the photo has no pixels ({w}×{h})")
    if w * h > limits.max_pixels:
        raise ImageError(
            f"the photo is {w}×{h} = {w * h / 1e6:.0f} Mpx; the limit is"
            f" {limits.max_pixels / 1e6:.0f} Mpx"
        )
    return im


# --- QR decoding -------------------------------------------------------------


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
    from .errors import ActasError

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
STAGES = ("half", "region", "full", "bottom", "sharpened", "denoised", "sharpened_2x")
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
        self._half: Image.Image | None = None
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

    def half(self) -> Image.Image:
        """The base reduced 2× (box average)."""
        if self._half is None:
            self._half = self.base().reduce(2)
        return self._half

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
            if factor > 1 and img is self._base:
                img, factor = self.half(), factor // 2  # shared with the ``half`` stage
            if factor > 1:
                img = img.reduce(factor)
        return _dhash(img)


def _grey(img: Image.Image) -> Image.Image:
    return img if img.mode == "L" else img.convert("L")


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
        timings: list[tuple[str, float]] = []
        seen: list[bytes] = []
        for stage in self.stages:
            ts = time.perf_counter()
            if stage == "half":
                if min(views.base().size) < self.half_min_side:
                    continue  # too small to halve
                half = views.half()
                texts = self._read(half.crop(_box(half, self.region)))
            elif stage == "region":
                base = views.base()
                texts = self._read(base.crop(_box(base, self.region)))
            elif stage == "full":
                texts = self._read(views.base())
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

    def _read(self, img: Image.Image) -> list[bytes]:
        try:
            found = zxingcpp.read_barcodes(_grey(img), formats=_QR, try_invert=False)
        except (ValueError, RuntimeError) as exc:  # pragma: no cover - zxing refuses the buffer
            raise ImageError(f"the QR reader failed on this photo: {exc}") from None
        return [bytes(b.bytes) for b in found if b.valid]


_SHARPEN = ImageFilter.UnsharpMask(radius=2, percent=250, threshold=0)
_SHARPEN_2X = ImageFilter.UnsharpMask(radius=4, percent=250, threshold=0)  # for a 2× image
_SMOOTH = ImageFilter.GaussianBlur(1.25)


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


# --- derivatives and metadata ----------------------------------------------


def strip_metadata(
    image_bytes: bytes, *, max_side: int = 1600, quality: int = 85, limits: Limits = DEFAULT_LIMITS
) -> bytes:
    """A public derivative: upright, at most ``max_side`` pixels long, JPEG, no EXIF/GPS/ICC."""
    img = open_image(image_bytes, limits=limits, draft=("RGB", (max_side, max_side)))
    img = img.convert("RGB")
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", img.size)  # a fresh image carries no info/exif over
    clean.paste(img)
    buf = io.BytesIO()
    clean.save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue()


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME, _DATETIME_ORIGINAL, _ORIENTATION = 0x010F, 0x0110, 0x0132, 0x9003, 0x0112


def capture_metadata(image_bytes: bytes, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """What the camera says about a photo, for the caller to keep private.

    ``taken`` (EXIF DateTimeOriginal, else DateTime, as written), ``make``,
    ``model``, ``orientation`` and ``gps`` (True if GPS data is present; the
    position itself is not returned). Missing values are ``None``. Reads the
    header only; no pixel is decoded.
    """
    return _capture(_open_lazy(image_bytes, limits))


def _capture(im: Image.Image) -> dict[str, Any]:
    """:func:`capture_metadata` of an opened (header-checked, not yet transposed) image."""
    try:
        exif = im.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except _OPEN_ERRORS:
        exif, sub, gps = Image.Exif(), {}, {}
    taken = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    return {
        "format": im.format,
        "width": im.width,
        "height": im.height,
        "taken": _text(taken),
        "make": _text(exif.get(_MAKE)),
        "model": _text(exif.get(_MODEL)),
        "orientation": int(exif[_ORIENTATION]) if _ORIENTATION in exif else None,
        "gps": bool(gps),
    }


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    s = str(v).strip("\x00 ").strip()
    return s or None


def perceptual_hash(image_bytes: bytes, *, limits: Limits = DEFAULT_LIMITS) -> int:
    """A 64-bit difference hash (dHash) of the upright grey photo.

    Re-encoding, resizing and mild edits move it a few bits; compare with
    :func:`hamming` (≤ 10 of 64 is usually the same picture).
    """
    return _dhash(_grey(open_image(image_bytes, limits=limits, draft=("L", (64, 64)))))


def _dhash(img: Image.Image) -> int:
    """dHash of a grey image: 64 × 64 box average, then 9 × 8, one bit per neighbour pair."""
    img = img.resize((64, 64), Image.Resampling.BOX).resize((9, 8), Image.Resampling.BOX)
    px = img.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = px[row * 9 + col], px[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return bits


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two perceptual hashes."""
    return (a ^ b).bit_count()
