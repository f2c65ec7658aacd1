"""Photos of actas: open them safely, hash them, strip them, read their metadata.

Adapter between uploaded bytes and the core. Every photo goes through
:func:`open_image`: the format is sniffed from magic bytes (JPEG, PNG, WebP,
HEIC/HEIF when ``pillow-heif`` is installed) before Pillow sees it, the byte and
pixel limits are checked from the header before any pixel is decoded, EXIF
orientation is applied, and anything truncated, corrupt or unknown becomes an
:class:`~actas.core.errors.ImageError`. Reading the QR code is
:mod:`actas.adapters.photo.qrdecode`, on top of this module.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from actas.core.errors import ImageError

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "capture_metadata",
    "hamming",
    "open_image",
    "perceptual_hash",
    "sniff_format",
    "strip_metadata",
]

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


# --- derivatives and metadata ----------------------------------------------


def _grey(img: Image.Image) -> Image.Image:
    return img if img.mode == "L" else img.convert("L")


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
