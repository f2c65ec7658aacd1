"""Benchmark reading acta photos: our zxing-cpp cascade against a pyzbar pipeline.

    .venv/bin/python benchmarks/bench_decode.py [--n 1000] [--workers 2] [--repeat 1] [--out DIR]

Generates (once; reused while ``DIR/truth.jsonl`` matches) ``n`` synthetic actas
of real V1 tables — half clean, half photographed badly
(:func:`actas.dev.synth.sample_degradations`), sizes 1200×1600 to 1800×2400 — into
``benchmarks/out/photos`` (git-ignored). Then, in one run, each pipeline reads
every photo end to end in a pool of ``workers`` processes: read the file,
SHA-256 it, decode the QR, accept the first candidate that parses under
``ve-2024-qr``. Printed per pipeline: images/s (wall clock), decode rate on
clean and degraded in-frame QR codes, wrong readings (accepted payloads that
differ from the truth: must be 0), median and p95 decode time per photo
(including JPEG decoding), and which stage of our cascade read how many.

Then ``actas ingest`` itself end to end (blob store, decode, submission, log
leaf, tally) into a fresh store, with 1 process and with ``workers``; the
decoded payloads are checked against the truth there too.

The machine may be shared: every line gives the wall clock *and* the CPU time
(all processes, ``getrusage``), and "on idle cores" is images/s if those CPU
seconds had ``workers`` cores to themselves; the load average is printed
before and after. ``--repeat`` runs everything again to show the spread.

pyzbar needs Debian's libzbar0 and ``pip install pyzbar``; it is imported
lazily and its half is skipped with a message when it is missing.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from actas.adapters.elections import load_builtin
from actas.adapters.photo.imaging import capture_metadata, open_image
from actas.adapters.photo.qrdecode import ZxingDecoder, dct_scale, first_parsing
from actas.core.errors import ActasError
from actas.core.payload import get_format
from actas.dev.synth import Truth, sample_degradations, split_votes
from actas.dev.synthset import SheetSpec, generate_set, read_truths

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
V1 = DATA / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
SIZES = ((1200, 1600), (1500, 2000), (1800, 2400))

E = load_builtin("ve-2024")
FMT = get_format("ve-2024-qr", len(E.options))


def specs(n: int) -> list[SheetSpec]:
    with V1.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for i, row in enumerate(rows[:: max(1, len(rows) // n)][:n]):
        table_id = f"{int(row['CENTRO']):09d}.{int(row['MESA']):02d}"
        votes = tuple(int(row[c.short] or 0) for c in E.candidates)
        options = split_votes(E, votes, seed=i)
        steps = () if i % 2 == 0 else sample_degradations(10_000 + i)
        null = int(row["VOTOS_NULOS"] or 0)
        out.append(SheetSpec(table_id, options, null, 10_000 + i, steps, size=SIZES[i % 3]))
    return out


def ensure_set(out: Path, n: int, workers: int) -> list[tuple[Path, Truth]]:
    wanted = specs(n)
    truth = out / "truth.jsonl"
    if truth.exists():
        have = read_truths(out)
        if [p.name for p, _ in have] == [s.file_name for s in wanted]:
            print(f"reusing {n} photos in {out}")
            return have
    print(f"rendering {n} photos into {out} ({workers} processes)...", flush=True)
    t = time.perf_counter()
    generate_set(E, wanted, out, workers=workers)
    print(f"  rendered in {time.perf_counter() - t:.0f} s")
    return read_truths(out)


@dataclass(frozen=True)
class Outcome:
    payload: bytes | None  # the accepted (parsing) payload
    ms: float  # decode time, JPEG decoding included
    stage: str


def _parses(text: bytes) -> bool:
    try:
        FMT.parse(text)
    except ActasError:
        return False
    return True


_DECODER = ZxingDecoder(accept=_parses)


def ours_fn(path: str) -> Outcome:
    data = Path(path).read_bytes()
    hashlib.sha256(data).hexdigest()
    result = _DECODER.decode(data)
    got = first_parsing(result.candidates, FMT.parse)
    return Outcome(got.text, result.ms, result.stage)


def ceiling(path: str) -> Outcome:
    """Read, hash and decode the JPEG to grey once, at the scale the cascade decodes it
    (:func:`actas.adapters.photo.qrdecode.dct_scale`): the floor of any cascade."""
    data = Path(path).read_bytes()
    hashlib.sha256(data).hexdigest()
    t = time.perf_counter()
    meta = capture_metadata(data)  # reads the header only
    w, h = meta["width"], meta["height"]
    k = dct_scale(w, h, _DECODER.min_side)
    open_image(data, draft=("L", (w // k, h // k)))
    return Outcome(None, (time.perf_counter() - t) * 1000, "jpeg-only")


def zbar(path: str) -> Outcome:
    from PIL import Image
    from pyzbar import pyzbar

    data = Path(path).read_bytes()
    hashlib.sha256(data).hexdigest()
    t = time.perf_counter()
    import io

    img = Image.open(io.BytesIO(data)).convert("L")
    found = pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])
    ms = (time.perf_counter() - t) * 1000
    got = first_parsing([bytes(f.data) for f in found], FMT.parse)
    return Outcome(got.text, ms, "zbar" if got.text else "none")


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _speed(n: int, wall: float, cpu: float, workers: int) -> str:
    return (
        f"{n / wall:.1f} images/s wall ({wall:.1f} s for {n});"
        f" CPU {cpu * 1000 / n:.1f} ms/image = {workers * n / cpu:.0f} images/s"
        f" on {workers} idle core{'s' if workers > 1 else ''}"
    )


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(
    name: str,
    fn: Callable[[str], Outcome],
    items: list[tuple[Path, Truth]],
    workers: int,
    reads: bool = True,
) -> tuple[float, float]:
    """Run one pipeline; returns (images/s wall, images/s on idle cores)."""
    paths = [str(p) for p, _ in items]
    c, t = _cpu(), time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        outcomes = list(pool.map(fn, paths, chunksize=8))
    wall, cpu = time.perf_counter() - t, _cpu() - c
    rate, idle = len(items) / wall, workers * len(items) / cpu
    seen: Counter[str] = Counter()
    read: Counter[str] = Counter()
    wrong = 0
    for (_, truth), o in zip(items, outcomes, strict=True):
        if o.payload is not None and o.payload != truth.payload:
            wrong += 1
        if truth.qr_in_frame:
            kind = "degraded" if truth.degradations else "clean"
            seen[kind] += 1
            read[kind] += o.payload is not None
    ms = sorted(o.ms for o in outcomes)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    total_read = read["clean"] + read["degraded"]
    total_seen = seen["clean"] + seen["degraded"]
    print(f"\n== {name} ({workers} processes)")
    print(f"  {_speed(len(items), wall, cpu, workers)}")
    if not reads:
        print(f"  time per photo: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms")
        return rate, idle
    print(
        f"  decoded {total_read}/{total_seen} in-frame QR codes:"
        f" clean {read['clean']}/{seen['clean']}, degraded {read['degraded']}/{seen['degraded']}"
    )
    print(f"  wrong readings: {wrong}")
    print(f"  decode time per photo: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms")
    stages = Counter(o.stage for o in outcomes)
    print("  stages: " + ", ".join(f"{k} {v}" for k, v in stages.most_common()))
    return rate, idle


def ingest_end_to_end(items: list[tuple[Path, Truth]], workers: int) -> tuple[float, float]:
    """The whole pipeline on the same photos: store, decode, submission, log leaf."""
    import tempfile

    from sqlalchemy import select

    from actas.adapters.store import schema
    from actas.app.photos.ingest import ingest_paths
    from actas.app.service import Service
    from actas.app.settings import Settings

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "photos"
        folder.mkdir()
        for p, _ in items:
            (folder / p.name).symlink_to(p)
        svc = Service.init(Settings.from_env(env={}, home=Path(d) / "home"), "ve-2024")
        c, t = _cpu(), time.perf_counter()
        summary = ingest_paths(svc, [folder], workers=workers)
        wall, cpu = time.perf_counter() - t, _cpu() - c
        size = svc.log.size()
        c_ = schema.submissions.c
        with svc.store.read() as conn:
            raw = {sha: data for sha, data in conn.execute(select(c_.blob_sha256, c_.raw))}
        svc.close()
    seen: Counter[str] = Counter()
    read: Counter[str] = Counter()
    wrong = 0
    for p, truth in items:
        got = raw.get(hashlib.sha256(p.read_bytes()).hexdigest()) or None
        wrong += got is not None and got != truth.payload
        if truth.qr_in_frame:
            kind = "degraded" if truth.degradations else "clean"
            seen[kind] += 1
            read[kind] += got == truth.payload
    print(
        f"\n== actas ingest end to end ({workers} process{'es' if workers > 1 else ''}:"
        " blob store + decode + submission + leaf + tally)"
    )
    print(f"  {_speed(len(items), wall, cpu, workers)}")
    print(
        f"  decoded {read['clean'] + read['degraded']}/{seen['clean'] + seen['degraded']}"
        f" in-frame QR codes: clean {read['clean']}/{seen['clean']},"
        f" degraded {read['degraded']}/{seen['degraded']}; wrong readings: {wrong};"
        f" {summary.unreadable} unreadable; {size} leaves"
    )
    return len(items) / wall, workers * len(items) / cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "photos")
    ap.add_argument("--skip-zbar", action="store_true")
    args = ap.parse_args(argv)
    if not V1.exists():
        print(f"V1 results not found at {V1}", file=sys.stderr)
        return 2
    items = ensure_set(args.out.resolve(), args.n, args.workers)  # absolute: ingest symlinks them
    zbar_ok = not args.skip_zbar
    if zbar_ok:
        try:
            from pyzbar import pyzbar  # noqa: F401
        except (ImportError, OSError) as exc:
            print(f"\n== pyzbar: skipped ({exc}); apt-get install libzbar0 && pip install pyzbar")
            zbar_ok = False
    w = args.workers
    for round_ in range(1, args.repeat + 1):
        print(f"\n######## round {round_} of {args.repeat}; {_load()}")
        floor = run(
            "ceiling: read + SHA-256 + one grey JPEG decode, no QR", ceiling, items, w, reads=False
        )
        ours = run("zxing-cpp cascade (actas.adapters.photo.qrdecode.ZxingDecoder)", ours_fn, items, w)
        e2e = {k: ingest_end_to_end(items, k) for k in sorted({1, w})}
        print(
            "\n  (wall, idle-core) images/s: ceiling {:.0f}/{:.0f}, cascade {:.0f}/{:.0f},"
            " ingest with {} processes {:.0f}/{:.0f} (goal >= 80)".format(*floor, *ours, w, *e2e[w])
        )
        if not zbar_ok:
            continue
        zb = run("pyzbar (full-resolution grey)", zbar, items, w)
        print(
            f"\nratio, wall clock: the cascade reads {ours[0] / zb[0]:.1f}× as many images/s"
            f" as pyzbar; actas ingest end to end {e2e[w][0] / zb[0]:.1f}×"
        )
        print(
            f"ratio, CPU time: cascade {ours[1] / zb[1]:.1f}×; ingest {e2e[w][1] / zb[1]:.1f}×"
            " (goal >= 10×)"
        )
        print(f"  {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
