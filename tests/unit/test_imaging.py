"""Photo adapters (imaging, qrdecode): the QR cascade, candidates vs accepted payloads,
safety limits, hashes."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import segno
from PIL import Image

from actas.adapters.elections import load_builtin
from actas.adapters.photo.imaging import (
    Limits,
    capture_metadata,
    hamming,
    open_image,
    perceptual_hash,
    sniff_format,
    strip_metadata,
)
from actas.adapters.photo.qrdecode import (
    STAGES,
    DecodeResult,
    QrDecoder,
    ZxingDecoder,
    dct_scale,
    first_parsing,
)
from actas.core.errors import ImageError
from actas.core.payload import Payload, get_format
from actas.dev.degradation import Degradation, DegradationKind
from actas.dev.synth import Truth, render, sample_degradations, split_votes

E = load_builtin("ve-2024")
FMT = get_format("ve-2024-qr", len(E.options))
OPTIONS = split_votes(E, (120, 232, 5, 0, 0, 3, 1, 1, 0, 2), seed=3)


def _parses(text: bytes) -> bool:
    try:
        FMT.parse(text)
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def sheet() -> tuple[bytes, Truth]:
    return render(E, "130501007.03", OPTIONS, 4, seed=21, size=(1500, 2000))


def test_zxing_decoder_is_a_qr_decoder(sheet: tuple[bytes, Truth]) -> None:
    decoder: QrDecoder = ZxingDecoder()
    result = decoder.decode(sheet[0])
    assert isinstance(result, DecodeResult)
    assert result.text == sheet[1].payload
    assert result.stage == "half"  # a clean phone-sized photo needs only the cheap read
    assert result.candidates == (sheet[1].payload,)
    assert (result.width, result.height, result.format) == (1500, 2000, "JPEG")
    assert [s for s, _ in result.timings] == ["half"]
    assert result.ms >= result.timings[0][1] > 0


def test_small_photos_skip_the_half_size_read() -> None:
    steps = (Degradation(DegradationKind.LOWRES, 1000),)
    data, truth = render(E, "130501007.03", OPTIONS, 4, seed=22, degradations=steps)
    result = ZxingDecoder().decode(data)
    assert result.text == truth.payload
    assert result.stage in STAGES[1:]
    assert "half" not in [s for s, _ in result.timings]


def test_a_code_outside_the_region_is_read_by_the_full_stage(
    sheet: tuple[bytes, Truth],
) -> None:
    # upside down and no EXIF tag to say so: the QR is in the top half of the photo
    flipped = Image.open(io.BytesIO(sheet[0])).transpose(Image.Transpose.ROTATE_180)
    buf = io.BytesIO()
    flipped.save(buf, format="JPEG", quality=90)
    result = ZxingDecoder().decode(buf.getvalue())
    assert result.text == sheet[1].payload
    # nothing like a QR code in the bottom half: no patch to cut out
    assert [s for s, _ in result.timings] == ["half", "region", "smoothed", "full"]


@pytest.mark.parametrize(
    ("size", "scale"),
    [
        ((1500, 2000), 1),
        ((2399, 2399), 1),
        ((2400, 3200), 2),
        ((3000, 4000), 2),
        ((4000, 3000), 2),
        ((6000, 8000), 4),
        ((20_000, 20_000), 8),
        ((600, 800), 1),
    ],
)
def test_dct_scale_keeps_the_short_side_at_min_side(size: tuple[int, int], scale: int) -> None:
    assert dct_scale(*size, 1200) == scale


def test_a_large_photo_is_decoded_once_at_a_reduced_scale(sheet: tuple[bytes, Truth]) -> None:
    big = Image.open(io.BytesIO(sheet[0])).resize((3000, 4000), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=85)
    data = buf.getvalue()
    examined = ZxingDecoder().examine(data)
    assert examined.result.text == sheet[1].payload
    assert examined.result.stage == "half"  # the bottom half of the 1500 × 2000 decode, halved
    assert (examined.result.width, examined.result.height) == (3000, 4000)
    assert hamming(examined.phash, perceptual_hash(data)) <= 4
    # the full-resolution stages still work on such a photo
    assert ZxingDecoder(stages=("bottom",)).decode(data).text == sheet[1].payload


@pytest.mark.parametrize("orientation", [None, 6])
def test_examine_is_decode_plus_hash_and_metadata_from_one_opening(
    sheet: tuple[bytes, Truth], orientation: int | None
) -> None:
    data = sheet[0]
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        buf = io.BytesIO()
        stored = Image.open(io.BytesIO(data)).transpose(Image.Transpose.ROTATE_90)
        stored.save(buf, format="JPEG", quality=90, exif=exif.tobytes())
        data = buf.getvalue()
    decoder = ZxingDecoder(accept=_parses)
    examined = decoder.examine(data)
    plain = decoder.decode(data)
    assert (examined.result.text, examined.result.stage) == (plain.text, plain.stage)
    assert examined.result.text == sheet[1].payload
    assert examined.capture == capture_metadata(data)
    assert examined.capture["orientation"] == orientation  # read before it is applied
    # the hash of the decoded pixels, reduced as JPEG draft mode would: within 4 bits
    assert hamming(examined.phash, perceptual_hash(data)) <= 4
    assert ZxingDecoder(stages=("bottom",)).examine(data).phash == examined.phash


def test_examine_refuses_what_decode_refuses() -> None:
    with pytest.raises(ImageError, match="not a photo"):
        ZxingDecoder().examine(b"Acta 010113042.01\n" * 10)


def test_a_located_but_unread_code_is_cut_out_and_read_by_the_patch_stage() -> None:
    # perspective, blur, low resolution: zxing finds the symbol but cannot read it
    # in the region; the same pixels around it, upscaled, are enough
    seed = 10465
    steps = sample_degradations(seed)
    data, truth = render(
        E, "130501007.03", OPTIONS, 4, seed=seed, degradations=steps, size=(1200, 1600)
    )
    result = ZxingDecoder(accept=_parses).decode(data)
    assert (result.text, result.stage) == (truth.payload, "patch")
    assert [s for s, _ in result.timings] == ["region", "smoothed", "patch"]
    assert ZxingDecoder(stages=("region", "patch")).decode(data).text == truth.payload
    assert ZxingDecoder(stages=("region",)).decode(data).text is None


def test_nothing_read_is_reported_not_raised() -> None:
    data, _ = render(E, "130501007.03", OPTIONS, 4, seed=23, with_qr=False, size=(1200, 1600))
    result = ZxingDecoder().decode(data)
    assert result.text is None and result.stage == "none" and result.candidates == ()
    # nothing located anywhere: the full-resolution stages are not tried
    assert [s for s, _ in result.timings] == ["half", "region", "smoothed", "full"]
    dig = ZxingDecoder(unlocated=True).decode(data)
    assert dig.text is None and dig.stage == "none"
    assert [s for s, _ in dig.timings] == [
        "half",
        "region",
        "smoothed",
        "full",
        "bottom",
        "sharpened",
        "denoised",
        "sharpened_2x",
    ]


def test_a_stray_qr_is_a_candidate_only(sheet: tuple[bytes, Truth]) -> None:
    img = Image.open(io.BytesIO(sheet[0])).convert("RGB")
    stray = segno.make_qr("https://example.org/not-an-acta", error="m")
    buf = io.BytesIO()
    stray.save(buf, kind="png", scale=8, border=4)
    # in the bottom half, where the cascade looks first: a sticker next to the acta's code
    img.paste(Image.open(buf).convert("RGB"), (60, img.height - 60 - 264))
    out = io.BytesIO()
    img.save(out, format="PNG")
    photo = out.getvalue()

    # any code ends the cascade; the caller keeps the one that parses
    plain = ZxingDecoder().decode(photo)
    assert set(plain.candidates) == {b"https://example.org/not-an-acta", sheet[1].payload}
    got = first_parsing(plain.candidates, FMT.parse)
    assert got.text == sheet[1].payload
    assert isinstance(got.value, Payload) and got.value.options == OPTIONS
    if plain.candidates[0] != sheet[1].payload:
        assert got.errors and got.errors[0][0] == b"https://example.org/not-an-acta"

    # with ``accept`` the decoder itself puts the parsing one first
    strict = ZxingDecoder(accept=_parses).decode(photo)
    assert strict.text == sheet[1].payload


def test_first_parsing_collects_every_rejection() -> None:
    got = first_parsing([b"", b"hello", b"010113042.01.1.0001!1,2!0!0"], FMT.parse)
    assert got.text is None and got.value is None
    assert [t for t, _ in got.errors] == [b"", b"hello", b"010113042.01.1.0001!1,2!0!0"]
    assert "38 vote counts" in got.errors[2][1]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_read(sheet: tuple[bytes, Truth], fmt: str) -> None:
    buf = io.BytesIO()
    Image.open(io.BytesIO(sheet[0])).save(
        buf, format=fmt, **({"quality": 92} if fmt == "WEBP" else {})
    )
    result = ZxingDecoder().decode(buf.getvalue())
    assert result.format == fmt and result.text == sheet[1].payload


def test_heic_is_read_when_pillow_heif_is_installed(sheet: tuple[bytes, Truth]) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    try:
        Image.open(io.BytesIO(sheet[0])).save(buf, format="HEIF", quality=90)
    except (OSError, KeyError, ValueError) as exc:  # pragma: no cover - no HEVC encoder
        pytest.skip(f"no HEIF encoder: {exc}")
    assert sniff_format(buf.getvalue()) == "HEIF"
    assert ZxingDecoder().decode(buf.getvalue()).text == sheet[1].payload


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_honoured(sheet: tuple[bytes, Truth], orientation: int) -> None:
    # store the pixels as a camera held sideways would, with the tag that undoes it
    undo = {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    stored = Image.open(io.BytesIO(sheet[0])).transpose(undo)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=90, exif=exif.tobytes())
    data = buf.getvalue()
    assert open_image(data).size == (1500, 2000)
    assert capture_metadata(data)["orientation"] == orientation
    assert ZxingDecoder(stages=("bottom",)).decode(data).text == sheet[1].payload


# --- hostile files -----------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\xff" * ((width + 7) // 8))  # one row of many
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty", "empty"),
        ("truncated", "truncated or corrupt"),
        ("huge_png", "Mpx"),
        ("text_as_jpg", "not a photo"),
        ("jpeg_magic_then_garbage", "cannot be read"),
        ("too_many_bytes", "limit"),
        ("heif_brand_only", "HEI"),
    ],
)
def test_hostile_files_give_a_clear_image_error(
    sheet: tuple[bytes, Truth], name: str, message: str
) -> None:
    data = {
        "empty": b"",
        "truncated": sheet[0][: len(sheet[0]) // 3],
        "huge_png": _png_header_only(20_000, 20_000),
        "text_as_jpg": b"Acta 010113042.01: 232 votos para EG\n" * 10,
        "jpeg_magic_then_garbage": b"\xff\xd8\xff" + bytes(range(256)) * 4,
        "too_many_bytes": sheet[0],
        "heif_brand_only": b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64,
    }[name]
    limits = Limits(max_bytes=len(sheet[0]) - 1) if name == "too_many_bytes" else Limits()
    before = Image.MAX_IMAGE_PIXELS
    calls = [
        lambda: ZxingDecoder(limits=limits).decode(data),
        lambda: strip_metadata(data, limits=limits),
        lambda: perceptual_hash(data, limits=limits),
        lambda: open_image(data, limits=limits),
    ]
    if name != "truncated":  # metadata comes from the header, which is intact
        calls.append(lambda: capture_metadata(data, limits=limits))
    for call in calls:
        with pytest.raises(ImageError, match=message):
            call()
    assert before == Image.MAX_IMAGE_PIXELS  # no global was changed


def test_pixel_limit_is_per_call(sheet: tuple[bytes, Truth]) -> None:
    with pytest.raises(ImageError, match="Mpx"):
        open_image(sheet[0], limits=Limits(max_pixels=1_000_000))
    assert open_image(sheet[0]).size == (1500, 2000)


# --- derivatives, metadata, hashes ------------------------------------------


def _with_camera_exif(data: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    exif[0x0110] = "SM-A145M"
    exif.get_ifd(0x8769)[0x9003] = "2024:07:28 19:42:05"
    exif.get_ifd(0x8825)[2] = (10.0, 30.0, 0.0)  # GPSLatitude
    buf = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buf, format="JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_capture_metadata_reads_the_camera_fields(sheet: tuple[bytes, Truth]) -> None:
    meta = capture_metadata(_with_camera_exif(sheet[0]))
    assert meta["make"] == "Samsung" and meta["model"] == "SM-A145M"
    assert meta["taken"] == "2024:07:28 19:42:05"
    assert meta["gps"] is True
    plain = capture_metadata(sheet[0])
    assert plain["make"] is None and plain["taken"] is None and plain["gps"] is False


def test_strip_metadata_leaves_no_exif_and_a_smaller_upright_jpeg(
    sheet: tuple[bytes, Truth],
) -> None:
    public = strip_metadata(_with_camera_exif(sheet[0]))
    img = Image.open(io.BytesIO(public))
    assert img.format == "JPEG" and max(img.size) == 1600
    assert "exif" not in img.info and not img.getexif()
    meta = capture_metadata(public)
    assert meta["make"] is None and meta["gps"] is False
    assert ZxingDecoder().decode(public).text == sheet[1].payload  # still readable


def test_perceptual_hash_survives_reencoding_but_not_another_picture(
    sheet: tuple[bytes, Truth],
) -> None:
    h = perceptual_hash(sheet[0])
    assert 0 <= h < 2**64
    small = Image.open(io.BytesIO(sheet[0])).resize((600, 800))
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=40)
    assert hamming(h, perceptual_hash(buf.getvalue())) <= 6
    assert hamming(h, perceptual_hash(strip_metadata(sheet[0]))) <= 6
    steps = (Degradation(DegradationKind.ROTATE, 25), Degradation(DegradationKind.SHADOW, 0.6))
    other, _ = render(E, "130501007.03", OPTIONS, 4, seed=21, degradations=steps)
    assert hamming(h, perceptual_hash(other)) >= 12
    assert hamming(5, 3) == 2


def test_unknown_stages_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="quarter"):
        ZxingDecoder(stages=("half", "quarter"))
    with pytest.raises(ValueError, match="no decoding stages"):
        ZxingDecoder(stages=())
