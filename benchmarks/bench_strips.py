"""Benchmark reading photos of thermal-strip actas: the QR, and the OCR without it.

    .venv/bin/python benchmarks/bench_strips.py [--n 1000] [--ocr-n 200] [--workers 2]

Prints ``n`` strips (:func:`actas.dev.strip.render_strip`) of real V1 tables — real
counts from ``RESULTADOS_2024_CSV_V1.csv`` spread over the ballot options, half clean,
half photographed badly (:func:`actas.dev.strip.sample_strip_degradations`: 2–4 of
curl, crease, fade, glare, low light, motion blur, a finger, partial frame, HEIC,
WhatsApp…) — in memory, in a pool of ``workers`` processes, and reads each with the
cascade ingestion uses (:class:`~actas.adapters.photo.qrdecode.ZxingDecoder`, the first
candidate that parses under ``ve-2024-qr``). Printed: the QR read rate on clean and
degraded strips whose QR is in frame, by degradation (a strip counts under each of
its steps), and wrong readings (an accepted payload that is not the strip's: must
be 0).

Then the OCR (:func:`actas.adapters.photo.strip_ocr.read_strip`) on ``ocr-n`` strips of
the same kind printed **without** a QR: the share fully correct (every count read and
the sheet's own totals agree), the share whose proposal is right (every count equal
to the truth, checked or not), proposals that pass every check yet are wrong, and
accepted-wrong — an OCR reading is only ever a proposal, so that is 0 by construction
and counted to show it.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from actas.adapters.elections import load_builtin
from actas.adapters.photo.qrdecode import ZxingDecoder, first_parsing
from actas.core.errors import ActasError
from actas.core.payload import get_format
from actas.dev.degradation import Degradation
from actas.dev.strip import render_strip, sample_strip_degradations
from actas.dev.synth import split_votes

REPO = Path(__file__).resolve().parents[1]
V1 = REPO.parent / "shared" / "data" / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
E = load_builtin("ve-2024")
FMT = get_format("ve-2024-qr", len(E.options))


@dataclass(frozen=True)
class Spec:
    table_id: str
    options: tuple[int, ...]
    null: int
    seed: int
    steps: tuple[Degradation, ...]


def specs(n: int, offset: int = 0) -> list[Spec]:
    """``n`` strips of V1 tables spread over the file; odd ones degraded."""
    with V1.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    step = max(1, len(rows) // max(1, n))
    out = []
    for i, row in enumerate(rows[offset::step][:n]):
        seed = 50_000 + offset * 7919 + i
        votes = tuple(int(row[c.short] or 0) for c in E.candidates)
        steps = () if i % 2 == 0 else sample_strip_degradations(seed)
        table_id = f"{int(row['CENTRO']):09d}.{int(row['MESA']):02d}"
        out.append(
            Spec(table_id, split_votes(E, votes, seed), int(row["VOTOS_NULOS"] or 0), seed, steps)
        )
    return out


def _parses(text: bytes) -> bool:
    try:
        FMT.parse(text)
    except ActasError:
        return False
    return True


_DECODER = ZxingDecoder(accept=_parses)


@dataclass(frozen=True)
class QrOutcome:
    kinds: tuple[str, ...]
    in_frame: bool
    read: bool
    wrong: bool
    render_s: float
    decode_ms: float
    stage: str


def qr_one(spec: Spec) -> QrOutcome:
    t = time.perf_counter()
    data, truth = render_strip(
        E, spec.table_id, spec.options, spec.null, seed=spec.seed, degradations=spec.steps
    )
    render_s = time.perf_counter() - t
    result = _DECODER.decode(data)
    got = first_parsing(result.candidates, FMT.parse).text
    return QrOutcome(
        tuple(str(d.kind) for d in spec.steps),
        truth.qr_in_frame,
        got == truth.payload,
        got is not None and got != truth.payload,
        render_s,
        result.ms,
        result.stage,
    )


@dataclass(frozen=True)
class OcrOutcome:
    kinds: tuple[str, ...]
    fully_correct: bool  # complete, checks pass, equal to the truth
    right: bool  # the proposal's counts equal the truth
    checked_wrong: bool  # every check passed, yet a count differs
    proposal: bool  # something was proposed
    accepted: bool  # the reading counted without a person (never)
    cells_right: int
    cells: int
    ms: float


def ocr_one(spec: Spec) -> OcrOutcome:
    from actas.adapters.photo.strip_ocr import read_strip

    data, truth = render_strip(
        E,
        spec.table_id,
        spec.options,
        spec.null,
        seed=spec.seed,
        degradations=spec.steps,
        with_qr=False,
    )
    t = time.perf_counter()
    reading = read_strip(data, E)
    ms = (time.perf_counter() - t) * 1000
    want = (*truth.options, truth.null)
    got = (*reading.options, reading.null)
    right = got == want
    return OcrOutcome(
        tuple(str(d.kind) for d in spec.steps),
        right and reading.checks_pass,
        right,
        reading.checks_pass and not right,
        any(v is not None for v in got),
        not reading.needs_confirmation,
        sum(g == w for g, w in zip(got, want, strict=True)),
        len(want),
        ms,
    )


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.1f} %)" if b else "0/0"


def report_qr(outcomes: list[QrOutcome], wall: float) -> None:
    seen: Counter[str] = Counter()
    read: Counter[str] = Counter()
    for o in outcomes:
        if not o.in_frame:
            continue
        for k in o.kinds or ("clean",):
            seen[k] += 1
            read[k] += o.read
        group = "degraded" if o.kinds else "all clean"
        seen[group] += 1
        read[group] += o.read
    out_of_frame = sum(not o.in_frame for o in outcomes)
    print(f"\n== QR on {len(outcomes)} strips ({wall:.0f} s wall)")
    print(f"  clean: {_pct(read['all clean'], seen['all clean'])} read")
    print(
        f"  degraded, QR in frame: {_pct(read['degraded'], seen['degraded'])} read"
        f" ({out_of_frame} with the QR out of frame)"
    )
    for k in sorted(k for k in seen if k not in ("all clean", "degraded", "clean")):
        print(f"    {k:<12} {_pct(read[k], seen[k])}")
    print(f"  wrong readings: {sum(o.wrong for o in outcomes)}")
    ms = sorted(o.decode_ms for o in outcomes)
    render = sorted(o.render_s for o in outcomes)
    print(
        f"  decode median {ms[len(ms) // 2]:.0f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms;"
        f" render median {render[len(render) // 2]:.2f} s"
    )
    stages = Counter(o.stage for o in outcomes)
    print("  stages: " + ", ".join(f"{k} {v}" for k, v in stages.most_common()))


def report_ocr(outcomes: list[OcrOutcome], wall: float) -> None:
    print(f"\n== OCR on {len(outcomes)} strips printed without a QR ({wall:.0f} s wall)")
    for name, group in (
        ("clean", [o for o in outcomes if not o.kinds]),
        ("degraded", [o for o in outcomes if o.kinds]),
    ):
        n = len(group)
        cells = sum(o.cells for o in group)
        print(
            f"  {name}: fully correct {_pct(sum(o.fully_correct for o in group), n)},"
            f" correct proposal {_pct(sum(o.right for o in group), n)},"
            f" any proposal {_pct(sum(o.proposal for o in group), n)},"
            f" cells right {_pct(sum(o.cells_right for o in group), cells)}"
        )
    kinds = sorted({k for o in outcomes for k in o.kinds})
    for k in kinds:
        group = [o for o in outcomes if k in o.kinds]
        print(f"    {k:<12} fully correct {_pct(sum(o.fully_correct for o in group), len(group))}")
    print(
        f"  passed every check yet wrong: {sum(o.checked_wrong for o in outcomes)};"
        f" accepted-wrong: {sum(o.accepted and not o.right for o in outcomes)}"
        " (a reading is only a proposal)"
    )
    ms = sorted(o.ms for o in outcomes)
    print(f"  OCR median {ms[len(ms) // 2]:.0f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="strips for the QR read rate")
    ap.add_argument("--ocr-n", type=int, default=200, help="strips without QR for the OCR")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if not V1.exists():
        print(f"V1 results not found at {V1}", file=sys.stderr)
        return 2
    print("load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    with ProcessPoolExecutor(args.workers) as pool:
        if args.n:
            t = time.perf_counter()
            qr = list(pool.map(qr_one, specs(args.n), chunksize=4))
            report_qr(qr, time.perf_counter() - t)
        if args.ocr_n:
            t = time.perf_counter()
            ocr = list(pool.map(ocr_one, specs(args.ocr_n, offset=1), chunksize=2))
            report_ocr(ocr, time.perf_counter() - t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
