"""``actas demo``: a fictional election, end to end, with no data of the user's.

It creates the built-in fictional election ``demo`` (the Republic of Valdoria,
invented regions and candidates; every page carries a "simulated data" banner),
invents plausible counts for a few hundred tables, renders their acta photos
with QR codes (some degraded like phone photos, a few without a QR code, a few
sent twice: another file of the same sheet),
ingests them through the real photo pipeline, signs a checkpoint, and serves
the portal. Reproducible: the same seed gives the same photos and results.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actas.adapters.elections import load_builtin
from actas.app.photos.ingest import IngestSummary, ingest_paths
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.model import Election

__all__ = ["DemoTable", "build_demo", "demo_tables"]

MUNICIPALITIES = {
    "01": ["MP. PUERTO CLARO", "MP. LAS GAVIOTAS"],
    "02": ["MP. PICO NEVADO", "MP. VALLE FRIO"],
    "03": ["MP. SABANA ANCHA", "MP. RIO LENTO"],
    "04": ["MP. ISLA MAYOR", "MP. CAYO VERDE"],
}
PARISHES = ["PQ. SAN ALBERTO", "PQ. LA ESPERANZA", "PQ. EL MIRADOR"]
CENTRES = [
    "ESCUELA BASICA LOS PINOS",
    "LICEO JUANA RAMIREZ",
    "UNIDAD EDUCATIVA EL SAMAN",
    "CASA COMUNAL LA CEIBA",
]


@dataclass(frozen=True, slots=True)
class DemoTable:
    table_id: str
    votes: tuple[int, ...]  # per candidate
    null: int
    registered: int
    seed: int
    degrade: bool
    with_qr: bool
    resent: bool = False  # a second photo of the same sheet, as another phone sends it


def demo_tables(
    election: Election, n_tables: int, seed: int
) -> tuple[list[DemoTable], dict[str, str]]:
    """Invent tables with regional political geography; return them and region names."""
    rng = np.random.default_rng(seed)
    names: dict[str, str] = {}
    tables: list[DemoTable] = []
    k = len(election.candidates)
    states = sorted(election.region_names)
    per_state = max(1, n_tables // len(states))
    for si, state in enumerate(states):
        lean = rng.dirichlet(np.ones(k) * 3.0) * 0.5 + np.roll(np.eye(k)[0], si) * 0.5
        made = 0
        for mi, mun_name in enumerate(MUNICIPALITIES.get(state, ["MP. CENTRAL"])):
            mun = f"{state}{mi + 1:02d}"
            names[mun] = mun_name
            for pi, par_name in enumerate(PARISHES):
                par = f"{mun}{pi + 1:02d}"
                names[par] = par_name
                for ci, centre_name in enumerate(CENTRES):
                    centre = f"{par}{ci + 1:03d}"
                    names[centre] = centre_name
                    for t in range(1, 4):
                        if made >= per_state:
                            break
                        registered = int(rng.integers(300, 700))
                        turnout = float(np.clip(rng.normal(0.62, 0.08), 0.2, 0.95))
                        cast = int(registered * turnout)
                        shares = rng.dirichlet(lean * 60 + 0.5)
                        null = int(rng.binomial(cast, 0.01))
                        votes = rng.multinomial(cast - null, shares)
                        index = len(tables)
                        tables.append(
                            DemoTable(
                                table_id=f"{centre}.{t:02d}",
                                votes=tuple(int(v) for v in votes),
                                null=null,
                                registered=registered,
                                seed=seed * 100_000 + index,
                                degrade=index % 7 == 3,
                                with_qr=index % 37 != 11,
                                resent=index % 11 == 4,
                            )
                        )
                        made += 1
    return tables, names


def _render(args: tuple[DemoTable, str, str]) -> str:
    from actas.dev import synth

    table, election_id, out_dir = args
    election = load_builtin(election_id)
    options = synth.split_votes(election, table.votes, table.seed)
    degradations = synth.sample_degradations(table.seed, k=2) if table.degrade else ()
    image, _ = synth.render(
        election,
        table.table_id,
        options,
        table.null,
        seed=table.seed,
        degradations=degradations,
        with_qr=table.with_qr,
        size=(1200, 1600),
    )
    path = Path(out_dir) / f"acta-{table.table_id}.jpg"
    path.write_bytes(image)
    if table.resent:
        again = Path(out_dir) / f"acta-{table.table_id}-reenvio.jpg"
        again.write_bytes(_resend(image))
    return str(path)


def _resend(image: bytes) -> bytes:
    """The same photo as a messaging app passes it on: turned a little, smaller,
    recompressed (another file of the same sheet)."""
    from PIL import Image

    img = Image.open(io.BytesIO(image)).convert("RGB")
    img = img.rotate(1.5, Image.Resampling.BICUBIC, expand=True, fillcolor=(90, 80, 70))
    img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=60)
    return buf.getvalue()


def build_demo(
    settings: Settings,
    n_tables: int = 240,
    seed: int = 2030,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Service, IngestSummary | None]:
    """Create (or reuse) the demo data folder; returns the service and the ingest summary."""
    say = progress or (lambda _msg: None)
    db = settings.home / "actas.db"
    if settings.database_url.startswith("sqlite") and db.exists():
        svc = Service.open(settings)
        if svc.election.id == "demo" and svc.log.size() > 0:
            say(f"reusing the demo in {settings.home}")
            return svc, None
        svc.close()
    svc = Service.init(settings, "demo")
    election = svc.election
    tables, names = demo_tables(election, n_tables, seed)
    # the registry goes in through the log, like any registry file: its leaves carry the
    # registered voters and region names, so that `actas verify` finds the same coverage
    registry = settings.home / "demo-registry.csv"
    with registry.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["MESA", "ELECTORES", "MUNICIPIO", "PARROQUIA", "CENTRO"])
        for t in tables:
            codes = election.scheme.region_codes(t.table_id)
            out.writerow([t.table_id, t.registered, *(names[c] for c in codes[1:])])
    svc.import_file(registry)
    photos = settings.home / "demo-photos"
    photos.mkdir(parents=True, exist_ok=True)
    say(f"rendering {len(tables)} synthetic acta photos into {photos}")
    args = [(t, election.id, str(photos)) for t in tables]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_render, args, chunksize=4))
    truth: list[dict[str, Any]] = [
        {"table_id": t.table_id, "votes": list(t.votes), "null": t.null, "with_qr": t.with_qr}
        for t in tables
    ]
    (photos / "truth.json").write_text(json.dumps(truth, indent=1), "utf-8")
    say("ingesting them through the photo pipeline")
    summary = ingest_paths(svc, [photos], workers=workers)
    svc.log.publish_checkpoint(svc.clock())
    say(
        f"{summary.decoded} photos decoded, {summary.unreadable} waiting for transcription; "
        "checkpoint signed"
    )
    return svc, summary
