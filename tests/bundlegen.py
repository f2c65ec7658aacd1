"""Build an Actas open-data bundle in memory, from the core functions only (no DB).

It does what ``actas import`` + ``actas export`` do for one CVZLA-format CSV
file, without the store: one import EVENT leaf, one RECORD leaf per row, the
readings (``records.read_row`` + ``rules.check``), reconciliation, tally, a
signed checkpoint and the MANIFEST. Used by the verifier's unit and property
tests and by ``benchmarks/bench_verify.py`` to make a 1,000,000-table bundle in
a sane time (the SQL importer would take many minutes for that).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from actas.adapters.bundle_files import builtin_mapping_texts, parquet_bytes
from actas.adapters.elections import load_builtin_text
from actas.core.bundle import format as b
from actas.core.definitions import parse_election
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.log.leaf import MAX_INLINE_RAW, encode_leaf
from actas.core.model import Election, Source, Submission, SubmissionKind, TableId
from actas.core.results import rules
from actas.core.results.reconcile import TableResult, Version, reconcile
from actas.core.results.rows import header_for, read_row
from actas.core.results.tally import tally_all, tally_to_json

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL"
)
RECEIVED = "2024-07-29T04:00:00.000000Z"
SEED = hashlib.sha256(b"actas bundlegen test signer").digest()


def signer(name: str = "actas.example/ve-2024", seed: bytes = SEED) -> cp.Signer:
    return cp.generate_signer(name, seed)


def election() -> tuple[str, Election]:
    text = load_builtin_text("ve-2024")
    return text, parse_election(text, "ve-2024/election.toml")


def row(
    state: int,
    mun: int,
    par: int,
    centre: int,
    mesa: int,
    registered: int,
    votes: Sequence[int],
    null: int = 0,
) -> bytes:
    """One CVZLA row; ``votes`` in the file's column order EG, NM, LM, ... BERA (10)."""
    code = f"{state:02d}{mun:02d}{par:02d}{centre:03d}"
    fields = [
        str(state), f"EDO {state}", str(mun), f"MUN {state}-{mun}", str(par), f"PAR {par}",
        code, str(mesa), str(registered), str(sum(votes)), str(null), *map(str, votes),
        f"https://example.org/{code}-{mesa}.jpg",
    ]  # fmt: skip
    return ",".join(fields).encode("utf-8")


def rows(n: int, seed: int = 1) -> Iterator[bytes]:
    """``n`` distinct, plausible rows spread over the 24 states (deterministic)."""
    x = seed or 1
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        mesa = i % 10 + 1
        c = i // 10
        state, mun, par, centre = c % 24 + 1, c // 24 % 30 + 1, c // 720 % 40 + 1, c // 28800 + 1
        registered = 300 + (x >> 40) % 500
        eg = (x >> 8) % 250
        nm = (x >> 20) % 150
        small = [(x >> (24 + k)) % 4 for k in range(8)]
        yield row(state, mun, par, centre, mesa, registered, [eg, nm, *small], (x >> 50) % 3)


@dataclass
class Built:
    files: dict[str, bytes]
    election: Election
    signer: cp.Signer
    leaves: list[bytes]


def build(
    data_rows: Sequence[bytes],
    *,
    key: cp.Signer | None = None,
    file_name: str = "synthetic.csv",
    parquet: bool = True,
) -> Built:
    """The bundle of a log holding one imported CVZLA file with ``data_rows``."""
    key = key or signer()
    text, el = election()
    maps = builtin_mapping_texts(el)
    from actas.core.definitions import parse_mapping

    mapping = parse_mapping(maps["cvzla"], el, "cvzla.toml")
    data = HEADER.encode() + b"\n" + b"\n".join(data_rows) + b"\n"
    sha = hashlib.sha256(data).hexdigest()
    columns = HEADER.split(",")
    header = header_for(mapping, el, columns)
    ctx = rules.Context(el)
    event_raw = json.dumps(
        {
            "event": "import",
            "file": file_name,
            "sha256": sha,
            "size": len(data),
            "format": "cvzla",
            "encoding": "utf-8",
            "header": HEADER,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    subs = [
        Submission(
            kind=SubmissionKind.EVENT,
            source=Source("import", file_name, sha),
            received_at=RECEIVED,
            raw=event_raw,
            meta={"format": "cvzla"},
        )
    ]
    names: dict[str, str] = dict(el.region_names)
    for n, raw in enumerate(data_rows, start=1):
        fields = next(csv.reader([raw.decode()]))
        reading = read_row(header, fields, len(columns))
        findings = reading.findings
        if reading.counts is not None and reading.table_id is not None:
            findings = findings + tuple(rules.check(reading.table_id, reading.counts, ctx))
        for code, name in reading.region_names.items():
            names.setdefault(code, name)
        subs.append(
            Submission(
                kind=SubmissionKind.RECORD,
                source=Source("cvzla", file_name, sha, n),
                received_at=RECEIVED,
                raw=raw,
                table_id=reading.table_id,
                counts=reading.counts,
                findings=findings,
                meta=reading.meta,
            )
        )
    leaves = [encode_leaf(el.id, s) for s in subs]
    files: dict[str, bytes] = {
        b.ELECTION: text.encode(),
        b.VERIFIER_KEY: (key.verifier().to_text() + "\n").encode(),
    }
    for name, mtext in maps.items():
        files[f"{b.MAPPINGS_DIR}/{name}.toml"] = mtext.encode()
    files[b.LEAVES] = b"".join(base64.b64encode(leaf) + b"\n" for leaf in leaves)
    lines = []
    versions: dict[str, list[Version]] = {}
    for seq, s in enumerate(subs):
        lines.append(
            b.dumps(
                b.submission_json(
                    el,
                    seq=seq,
                    kind=str(s.kind),
                    channel=s.source.channel,
                    table_id=s.table_id,
                    counts=s.counts,
                    findings=s.findings,
                    blob_sha256=s.blob_sha256,
                    raw_sha256=hashlib.sha256(s.raw).hexdigest(),
                    raw_b64=None
                    if len(s.raw) <= MAX_INLINE_RAW
                    else base64.b64encode(s.raw).decode(),
                )
            )
        )
        if s.table_id is not None and s.counts is not None:
            versions.setdefault(s.table_id, []).append(Version(seq, s.source.channel, s.counts))
    files[b.SUBMISSIONS] = ("\n".join(lines) + "\n").encode()
    results: list[TableResult] = [
        r for t in sorted(versions) if (r := reconcile(TableId(t), versions[t])) is not None
    ]
    files[b.TABLES_JSON] = b.json_lines(b.table_json(el, r) for r in results)
    trows = [b.table_row(el, r) for r in results]
    files[b.TABLES_CSV] = b.render_csv(b.table_columns(el), trows)
    levels = tally_all(el, b.table_arrays(results, len(el.candidates)))
    regions = [tally_to_json(el, r, names) for lv in sorted(levels) for r in levels[lv]]
    files[b.RESULTS_JSON] = b.json_lines(regions)
    rrows = [b.region_row(el, r) for r in regions]
    files[b.RESULTS_CSV] = b.render_csv(b.region_columns(el), rrows)
    if parquet:
        from actas.adapters.bundle_files import _REGION_TYPES, _TABLE_TYPES

        files[b.TABLES_PARQUET] = parquet_bytes(b.table_columns(el), trows, _TABLE_TYPES)
        files[b.RESULTS_PARQUET] = parquet_bytes(b.region_columns(el), rrows, _REGION_TYPES)
    root = merkle.Frontier().extend(merkle.leaf_hash(leaf) for leaf in leaves)[0].root()
    files[b.CHECKPOINT] = cp.sign_checkpoint(cp.Checkpoint(key.name, len(leaves), root), key)
    files[b.README] = b.readme_text(
        el,
        size=len(leaves),
        root_hex=root.hex(),
        verifier_key=key.verifier().to_text(),
        tables=len(results),
        regions=len(regions),
        mappings=list(maps),
        photos=0,
    ).encode()
    files[b.MANIFEST] = b.manifest_bytes(files)
    return Built(files, el, key, leaves)


def remanifest(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with MANIFEST recomputed (what a tamperer would do)."""
    out = {k: v for k, v in files.items() if k != b.MANIFEST}
    out[b.MANIFEST] = b.manifest_bytes(out)
    return out
