"""Duplicate photos: false alarms on different sheets of one template, and re-sends caught.

Renders ``--n`` sheets (default 2,000) of real V1 tables (counts from
``RESULTADOS_2024_CSV_V1.csv``; half the A4 sheet of :mod:`actas.dev.synth`, half the
thermal strip of :mod:`actas.dev.strip`); every four consecutive sheets share one
template seed (the same paper, the same signatures: only the table and the counts
differ), and one sheet in twenty has a twin — another sheet of the *same table* with
one count changed. Then makes ``--resends`` (default ``max(500, n / 4)``) re-sent
variants of sheets already made: re-encoded (JPEG 40–85), resized (50–90 %), cropped
(up to 3 % a side), rotated (up to 4°) and exposed differently (×0.7–1.25); half of
them with the QR covered (the QR unreadable). Everything goes through the real
ingestion (:func:`actas.app.photos.ingest.ingest_paths`) into a fresh store, and the
findings are scored:

- a false positive is a ``photo.duplicate_elsewhere`` finding, or a ``photo.resent``
  finding that links two different sheets;
- a re-send is caught when it and its sheet's earlier photo are linked by
  ``photo.resent``.

Rates are printed for the re-sends with the QR read and with the QR unreadable.
``--n 200`` is a quick run.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from actas.adapters.elections import load_builtin
from actas.app.photos.ingest import ingest_paths
from actas.app.service import Service
from actas.app.settings import Settings
from actas.dev.strip import render_strip
from actas.dev.synth import render, split_votes

REPO = Path(__file__).resolve().parents[1]
V1 = REPO.parent / "shared" / "data" / "ve2024" / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
E = load_builtin("ve-2024")
TEMPLATE = 4  # consecutive sheets sharing one template seed
TWIN_EVERY = 20


@dataclass(frozen=True)
class Sheet:
    key: str  # one physical sheet
    table_id: str
    options: tuple[int, ...]
    null: int
    seed: int
    strip: bool


def sheets(n: int) -> list[Sheet]:
    with V1.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    step = max(1, len(rows) // max(1, n))
    out: list[Sheet] = []
    for i, row in enumerate(rows[::step][:n]):
        seed = 70_000 + (i // TEMPLATE)
        votes = tuple(int(row[c.short] or 0) for c in E.candidates)
        table_id = f"{int(row['CENTRO']):09d}.{int(row['MESA']):02d}"
        options = split_votes(E, votes, seed)
        strip = (i // TEMPLATE) % 2 == 1
        out.append(Sheet(f"s{i}", table_id, options, int(row["VOTOS_NULOS"] or 0), seed, strip))
        if i % TWIN_EVERY == 7:  # another sheet of the same table: one count differs
            changed = (options[0] + 1, *options[1:])
            out.append(Sheet(f"s{i}t", table_id, changed, out[-1].null, seed, strip))
    return out


def _render(args: tuple[Sheet, str]) -> tuple[str, tuple[float, ...] | None]:
    """Write the sheet's photo; return its key and its QR's bounding box (or None)."""
    sheet, out_dir = args
    if sheet.strip:
        data, truth = render_strip(E, sheet.table_id, sheet.options, sheet.null, seed=sheet.seed)
    else:
        data, truth = render(
            E, sheet.table_id, sheet.options, sheet.null, seed=sheet.seed, size=(1050, 1400)
        )
    Path(out_dir, f"{sheet.key}.jpg").write_bytes(data)
    quad = truth.qr_quad
    if quad is None:
        return sheet.key, None
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return sheet.key, (min(xs), min(ys), max(xs), max(ys))


def _resend(args: tuple[str, str, int, tuple[float, ...] | None, bool]) -> str:
    """A re-sent photo of an existing one: another phone, another app."""
    src, dst, seed, qr_box, cover = args
    rng = np.random.default_rng(seed)
    img = Image.open(src).convert("RGB")
    if cover and qr_box is not None:  # the QR unreadable: a thumb, a fold, a sticker
        x0, y0, x1, y1 = qr_box
        pad = 0.08 * (x1 - x0)
        ImageDraw.Draw(img).rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), (236, 234, 228))
    factor = float(rng.uniform(0.7, 1.25))
    arr = np.asarray(img, np.float32) * factor
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    angle = float(rng.uniform(-4.0, 4.0))
    img = img.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=(70, 60, 50))
    w, h = img.size
    c = rng.uniform(0.0, 0.03, 4)
    img = img.crop((int(w * c[0]), int(h * c[1]), int(w * (1 - c[2])), int(h * (1 - c[3]))))
    scale = float(rng.uniform(0.5, 0.9))
    img = img.resize((max(64, int(img.width * scale)), max(64, int(img.height * scale))))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(40, 86)))
    Path(dst).write_bytes(buf.getvalue())
    return dst


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100.0 * a / b:.1f} %)" if b else "0/0"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="sheets (default 2000)")
    ap.add_argument("--resends", type=int, default=None, help="re-sent variants")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    n_resends = args.resends if args.resends is not None else max(500, args.n // 4)
    if not V1.exists():
        print(f"needs {V1}", file=sys.stderr)
        return 2
    made = sheets(args.n)
    by_key = {s.key: s for s in made}
    with tempfile.TemporaryDirectory(prefix="bench-dups-") as tmp:
        photos = Path(tmp, "photos")
        photos.mkdir()
        t0 = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            boxes = dict(pool.map(_render, [(s, str(photos)) for s in made], chunksize=8))
            originals = [s for s in made if not s.key.endswith("t")]
            picks = [originals[(i * 7) % len(originals)] for i in range(n_resends)]
            jobs = [
                (
                    str(photos / f"{s.key}.jpg"),
                    str(photos / f"{s.key}-r{i}.jpg"),
                    90_000 + i,
                    boxes[s.key],
                    i % 2 == 1,
                )
                for i, s in enumerate(picks)
            ]
            list(pool.map(_resend, jobs, chunksize=8))
        rendered = time.perf_counter() - t0
        home = Path(tmp, "home")
        svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024")
        t1 = time.perf_counter()
        summary = ingest_paths(svc, [photos], workers=args.workers)
        ingested = time.perf_counter() - t1
        score(svc, photos, by_key, jobs)
        svc.close()
    print(
        f"{len(made)} sheets ({sum(s.key.endswith('t') for s in made)} twins of a table),"
        f" {n_resends} re-sends; rendered in {rendered:.0f} s, ingested in {ingested:.0f} s"
        f" ({summary.per_second:.1f} photos/s); {summary.decoded} QR read,"
        f" {summary.unreadable} unread (queued: {summary.queued})"
    )
    return 0


def score(
    svc: Service,
    photos: Path,
    by_key: dict[str, Sheet],
    jobs: list[tuple[str, str, int, tuple[float, ...] | None, bool]],
) -> None:
    sheet_of: dict[str, str] = {}  # sha prefix -> physical sheet
    name_of: dict[str, str] = {}
    sha_at: dict[int, str] = {}
    with svc.store.read() as conn:
        for p in photos.glob("*.jpg"):
            sha = hashlib.sha256(p.read_bytes()).hexdigest()
            sheet_of[sha[:12]] = p.stem.split("-r")[0]
            name_of[p.stem] = sha[:12]
            for seq in svc.store.seqs_by_blob(sha, conn):
                sha_at[seq] = sha[:12]
    dup = svc.findings(code="photo.duplicate_elsewhere", limit=100_000)["findings"]
    resent = svc.findings(code="photo.resent", limit=100_000)["findings"]
    linked: set[frozenset[str]] = set()
    false_links = 0
    for f in resent:
        named = re.search(r"photo ([0-9a-f]{12})", f["message"])
        mine = sha_at.get(int(f["seq"]))
        if named is None or mine is None:
            continue
        a, b = sheet_of.get(mine), sheet_of.get(named.group(1))
        if a is None or b is None or a != b:
            false_links += 1
        linked.add(frozenset((mine, named.group(1))))
    groups: dict[str, set[str]] = {}
    for prefix, key in sheet_of.items():
        groups.setdefault(key, set()).add(prefix)
    for label, covered in (("QR read", False), ("QR unreadable", True)):
        mine_jobs = [j for j in jobs if j[4] is covered]
        caught = 0
        for _src, dst, *_ in mine_jobs:
            v = name_of[Path(dst).stem]
            others = groups[sheet_of[v]] - {v}
            if any(frozenset((v, o)) in linked for o in others):
                caught += 1
        print(f"re-sends, {label}: caught {_pct(caught, len(mine_jobs))}")
    print(
        f"false positives: {len(dup)} photo.duplicate_elsewhere,"
        f" {false_links} photo.resent linking different sheets"
        f" (over {len(by_key)} sheets, {len(sheet_of)} photos)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
