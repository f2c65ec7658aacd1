"""Photos end to end: synthetic actas of real V1 tables, decoded back to V1's numbers.

A set of sheets is rendered from ~200 tables of resultadosconvzla V1 (each
candidate's votes split over that candidate's cards, seeded), half clean and
half photographed badly, plus a few with the QR partly out of frame and ~20
without a QR (2025-style) for the OCR fallback. Every decoded payload must be
the truth, and the decoded tables must add up to V1.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from actas.adapters.elections import load_builtin
from actas.adapters.photo.qrdecode import ZxingDecoder, first_parsing
from actas.core.errors import ActasError
from actas.core.payload import Payload, get_format
from actas.dev.synth import Truth, sample_degradations, split_votes
from actas.dev.synthset import SheetSpec, generate_set, read_truths

pytestmark = pytest.mark.slow

E = load_builtin("ve-2024")
FMT = get_format("ve-2024-qr", len(E.options))
N_QR = 200  # half clean, half degraded
N_CUT = 10  # QR partly out of frame
N_OCR = 20  # no QR at all
SIZES = ((1200, 1600), (1500, 2000), (1800, 2400))


def v1_tables(ve: Path, n: int) -> list[tuple[str, tuple[int, ...], int]]:
    """``n`` tables spread over V1: (table id, votes in election candidate order, null)."""
    path = ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    step = len(rows) // n
    out = []
    for row in rows[::step][:n]:
        table_id = f"{int(row['CENTRO']):09d}.{int(row['MESA']):02d}"
        votes = tuple(int(row[c.short] or 0) for c in E.candidates)
        out.append((table_id, votes, int(row["VOTOS_NULOS"] or 0)))
    return out


@pytest.fixture(scope="module")
def tables(ve: Path) -> list[tuple[str, tuple[int, ...], int]]:
    return v1_tables(ve, N_QR + N_CUT + N_OCR)


@pytest.fixture(scope="module")
def photos(
    tmp_path_factory: pytest.TempPathFactory, tables: list[tuple[str, tuple[int, ...], int]]
) -> list[tuple[Path, Truth]]:
    specs = []
    for i, (table_id, votes, null) in enumerate(tables):
        options = split_votes(E, votes, seed=i)
        size = SIZES[i % len(SIZES)]
        if i < N_QR:
            steps = () if i % 2 == 0 else sample_degradations(i)
            specs.append(SheetSpec(table_id, options, null, i, steps, size=size))
        elif i < N_QR + N_CUT:
            steps = sample_degradations(i, cutoff=True)
            specs.append(SheetSpec(table_id, options, null, i, steps, size=size))
        else:
            specs.append(SheetSpec(table_id, options, null, i, with_qr=False, size=size))
    out = tmp_path_factory.mktemp("actas-photos")
    generate_set(E, specs, out, workers=2)
    return read_truths(out)


def accepted(path: Path) -> Payload | None:
    def parses(text: bytes) -> bool:
        try:
            FMT.parse(text)
        except ActasError:
            return False
        return True

    result = ZxingDecoder(accept=parses).decode(path.read_bytes())
    got = first_parsing(result.candidates, FMT.parse)
    return got.value


def test_qr_codes_decode_to_the_truth_and_add_up_to_v1(
    photos: list[tuple[Path, Truth]], tables: list[tuple[str, tuple[int, ...], int]]
) -> None:
    read = {"clean": 0, "degraded": 0}
    seen = {"clean": 0, "degraded": 0}
    wrong: list[str] = []
    missed: list[str] = []
    decoded_votes: dict[str, tuple[int, ...]] = {}
    for (path, truth), (table_id, votes, null) in zip(
        photos[: N_QR + N_CUT], tables[: N_QR + N_CUT], strict=True
    ):
        assert truth.table_id == table_id and E.votes_from_options(truth.options) == votes
        payload = accepted(path)
        if payload is not None and FMT.encode(payload) != truth.payload:
            wrong.append(path.name)
        if not truth.qr_in_frame:
            continue
        kind = "degraded" if truth.degradations else "clean"
        seen[kind] += 1
        if payload is None:
            missed.append(f"{path.name} {[d.to_json() for d in truth.degradations]}")
            continue
        read[kind] += 1
        decoded_votes[str(payload.table_id)] = E.votes_from_options(payload.options)
        assert payload.null == null
    print(
        f"\nclean {read['clean']}/{seen['clean']}, degraded {read['degraded']}/{seen['degraded']}"
    )
    for m in missed:
        print("missed", m)
    assert wrong == []  # zero wrong readings
    assert seen["clean"] == N_QR // 2
    assert read["clean"] == seen["clean"]
    assert seen["degraded"] >= N_QR // 2 - 2
    assert read["degraded"] >= 0.97 * seen["degraded"]
    # the decoded photos add up to V1 for those tables, candidate by candidate
    v1 = {t: v for t, v, _ in tables}
    for i, _ in enumerate(E.candidates):
        assert sum(v[i] for v in decoded_votes.values()) == sum(v1[t][i] for t in decoded_votes)


def test_ocr_reads_the_printed_counts_when_there_is_no_qr(
    photos: list[tuple[Path, Truth]],
) -> None:
    from actas.adapters.photo.ocr import OcrUnavailable, read_counts

    sheets = photos[N_QR + N_CUT :]
    assert len(sheets) == N_OCR
    good = 0
    for path, truth in sheets:
        try:
            reading = read_counts(path.read_bytes(), E)
        except OcrUnavailable as exc:
            if os.environ.get("CI"):
                raise  # CI installs tesseract-ocr (scripts/setup)
            pytest.skip(str(exc))
        assert reading.needs_confirmation
        exact = (
            reading.options == truth.options
            and reading.null == truth.null
            and reading.table_id == truth.table_id
        )
        good += exact
        if exact:
            assert reading.totals_check and reading.valid == truth.valid
        else:
            print("OCR miss", path.name, reading.to_json())
        if reading.totals_check and reading.table_id == truth.table_id:
            # when the totals check, the cards are right unless two errors cancel out
            assert reading.options == truth.options
    print(f"\nOCR exact on {good}/{len(sheets)} clean sheets without QR")
    assert good >= 0.95 * len(sheets)
