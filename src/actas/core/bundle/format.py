"""The open-data bundle format: file names and how each file is rendered. Pure.

The exporter (``export``, an adapter) renders a store's contents with these
functions and writes the bytes; the verifier (``verify``, core) re-derives the
same values from the leaves and renders or compares them with the same
functions, so the two cannot drift apart. Specified in ``docs/verification.md``.

Every JSON document here is *canonical*: ``json.dumps(value, sort_keys=True,
ensure_ascii=False, separators=(",", ":"))`` in UTF-8. A JSON array file holds
one element per line (``[``, then the elements separated by ``,\\n``, then
``]``), so that a failure can name a line. CSV files are UTF-8, comma
separated, ``\\n`` line ends, quoted only where needed (Python's ``csv``
minimal quoting); an unknown value is an empty field and a float is written
as the shortest text that reads back the same (``repr``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from actas.core.model import Counts, Election, Finding
from actas.core.results.reconcile import Status, TableResult
from actas.core.results.tally import TableArrays

__all__ = [
    "AUDITS_JSON",
    "CHECKPOINT",
    "ELECTION",
    "LEAVES",
    "MANIFEST",
    "MAPPINGS_DIR",
    "PHOTOS_DIR",
    "README",
    "RESULTS_CSV",
    "RESULTS_JSON",
    "RESULTS_PARQUET",
    "SUBMISSIONS",
    "TABLES_CSV",
    "TABLES_JSON",
    "TABLES_PARQUET",
    "VERIFIER_KEY",
    "Row",
    "column_rows",
    "counted_votes",
    "counts_from_json",
    "counts_to_json",
    "dumps",
    "json_lines",
    "manifest_bytes",
    "parse_manifest",
    "photo_extension",
    "photo_path",
    "readme_text",
    "region_columns",
    "region_row",
    "render_csv",
    "render_csv_columns",
    "submission_json",
    "table_arrays",
    "table_column_values",
    "table_columns",
    "table_json",
    "table_row",
]

ELECTION = "election.toml"
MAPPINGS_DIR = "mappings"
LEAVES = "leaves.txt"
SUBMISSIONS = "submissions.jsonl"
TABLES_CSV = "tables.csv"
TABLES_JSON = "tables.json"
TABLES_PARQUET = "tables.parquet"
RESULTS_CSV = "results.csv"
RESULTS_JSON = "results.json"
RESULTS_PARQUET = "results.parquet"
CHECKPOINT = "checkpoint.txt"
VERIFIER_KEY = "verifier.pub"
PHOTOS_DIR = "photos"
README = "README.md"
MANIFEST = "MANIFEST"
AUDITS_JSON = "audits.json"  # optional: every audit's sample and decision (actas.core.audit.trail)

#: A flat row of tables.csv / results.csv before rendering (and of the Parquet copies).
Row = dict[str, str | int | float | None]

_COUNT_FIELDS = ("null", "invalid", "registered", "ballots", "valid_reported")


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Canonical JSON text (sorted keys, no whitespace, UTF-8 characters kept)."""
    return _ENCODER.encode(value)


def json_lines(items: Iterable[Any]) -> bytes:
    """A JSON array with one canonical element per line (``[]`` when empty)."""
    body = ",\n".join(dumps(x) for x in items)
    return ("[\n" + body + "\n]\n" if body else "[]\n").encode("utf-8")


# --------------------------------------------------------------------------- counts


def counts_to_json(election: Election, c: Counts) -> dict[str, Any]:
    """Counts with named votes: ``{"votes": {candidate: n}, "options": {option: n}, ...}``.

    Fields the source does not know are left out, as in :meth:`Counts.to_json`.
    """
    out: dict[str, Any] = {
        "votes": {cand.id: v for cand, v in zip(election.candidates, c.votes, strict=True)}
    }
    if c.options is not None:
        out["options"] = {o.id: v for o, v in zip(election.options, c.options, strict=True)}
    for name in _COUNT_FIELDS:
        value = getattr(c, name)
        if value is not None:
            out[name] = value
    return out


def counts_from_json(election: Election, data: Mapping[str, Any]) -> Counts:
    """Inverse of :func:`counts_to_json`; raises ValueError on any other shape."""
    if not isinstance(data, Mapping):
        raise ValueError("counts must be an object")
    extra = set(data) - {"votes", "options", *_COUNT_FIELDS}
    if extra:
        raise ValueError(f"unknown count fields {sorted(extra)}")
    votes = _named(data.get("votes"), [c.id for c in election.candidates], "votes")
    opts = data.get("options")
    options = None if opts is None else _named(opts, [o.id for o in election.options], "options")
    values: dict[str, int | None] = {}
    for name in _COUNT_FIELDS:
        v = data.get(name)
        if v is not None and not _is_int(v):
            raise ValueError(f"{name} is not a whole number")
        values[name] = v
    return Counts(votes=votes, options=options, **values)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _named(value: Any, ids: Sequence[str], what: str) -> tuple[int, ...]:
    if not isinstance(value, Mapping) or sorted(value) != sorted(ids):
        raise ValueError(f"{what} must name exactly {list(ids)}")
    out = tuple(value[i] for i in ids)
    if not all(_is_int(v) for v in out):
        raise ValueError(f"{what} must be whole numbers")
    return out


# --------------------------------------------------------------------------- submissions


def submission_json(
    election: Election,
    *,
    seq: int,
    kind: str,
    channel: str,
    table_id: str | None,
    counts: Counts | None,
    findings: Sequence[Finding],
    blob_sha256: str,
    raw_sha256: str,
    raw_b64: str | None,
) -> dict[str, Any]:
    """One line of ``submissions.jsonl``: what was read from a leaf and how it was judged.

    ``raw_b64`` is the raw bytes (base64) for a leaf too large to hold them
    inline, else ``None`` (then the key is absent).
    """
    out: dict[str, Any] = {
        "seq": seq,
        "kind": kind,
        "channel": channel,
        "table_id": table_id,
        "counts": None if counts is None else counts_to_json(election, counts),
        "findings": [
            f.to_json() if f.table_id is not None or table_id is None else _with_table(f, table_id)
            for f in findings
        ],
        "blob_sha256": blob_sha256 or None,
        "raw_sha256": raw_sha256,
    }
    if raw_b64 is not None:
        out["raw"] = raw_b64
    return out


def _with_table(f: Finding, table_id: str) -> dict[str, Any]:
    out = f.to_json()
    out["table_id"] = table_id
    return out


# --------------------------------------------------------------------------- tables


def counted_votes(
    election: Election, results: Iterable[TableResult]
) -> Callable[[str], Mapping[str, int] | None]:
    """Table id -> votes per candidate id of each counted table (None otherwise): what a
    quick count's estimate in ``audits.json`` is computed from, by export and verify."""
    ids = [c.id for c in election.candidates]
    by_id: dict[str, Counts] = {
        r.table_id: r.counts for r in results if r.status.counted and r.counts is not None
    }

    def votes_of(table_id: str) -> Mapping[str, int] | None:
        counts = by_id.get(table_id)
        return None if counts is None else dict(zip(ids, counts.votes, strict=True))

    return votes_of


def table_json(election: Election, r: TableResult) -> dict[str, Any]:
    """One element of ``tables.json``."""
    c = r.counts
    return {
        "table_id": r.table_id,
        "status": str(r.status),
        "counts": None if c is None else counts_to_json(election, c),
        "valid": None if c is None else c.valid,
        "agreeing": r.agreeing,
        "channels": list(r.channels),
        "seqs": list(r.seqs),
        "differing": list(r.differing),
    }


def table_columns(election: Election) -> list[str]:
    head = ["table_id", "status", "agreeing", "channels", "seqs", "differing", "valid"]
    return head + list(_COUNT_FIELDS) + [f"votes_{c.id}" for c in election.candidates]


def table_row(election: Election, r: TableResult) -> Row:
    """One row of ``tables.csv`` / ``tables.parquet``; lists are joined with ``;``."""
    c = r.counts
    row: Row = {
        "table_id": r.table_id,
        "status": str(r.status),
        "agreeing": r.agreeing,
        "channels": ";".join(r.channels),
        "seqs": ";".join(map(str, r.seqs)),
        "differing": ";".join(r.differing),
        "valid": None if c is None else c.valid,
    }
    for name in _COUNT_FIELDS:
        row[name] = None if c is None else getattr(c, name)
    for i, cand in enumerate(election.candidates):
        row[f"votes_{cand.id}"] = None if c is None else c.votes[i]
    return row


def table_column_values(election: Election, results: Sequence[TableResult]) -> dict[str, list[Any]]:
    """:func:`table_row` of every result, by column (``table_columns`` order), without a
    dict per row: what the verifier renders ``tables.csv`` from and compares the
    Parquet copy with."""
    counts = [r.counts for r in results]
    out: dict[str, list[Any]] = {
        "table_id": [r.table_id for r in results],
        "status": [r.status.value for r in results],
        "agreeing": [r.agreeing for r in results],
        "channels": [";".join(r.channels) for r in results],
        "seqs": [";".join(map(str, r.seqs)) for r in results],
        "differing": [";".join(r.differing) for r in results],
        "valid": [None if c is None else sum(c.votes) for c in counts],
    }
    for name in _COUNT_FIELDS:
        get = operator.attrgetter(name)
        out[name] = [None if c is None else get(c) for c in counts]
    for i, cand in enumerate(election.candidates):
        out[f"votes_{cand.id}"] = [None if c is None else c.votes[i] for c in counts]
    return out


def column_rows(columns: Sequence[str], values: Mapping[str, Sequence[Any]]) -> list[Row]:
    """Rows (dicts) from values by column: the inverse of :func:`table_column_values`."""
    return [
        dict(zip(columns, row, strict=True))
        for row in zip(*(values[c] for c in columns), strict=True)
    ]


def render_csv_columns(columns: Sequence[str], values: Mapping[str, Sequence[Any]]) -> bytes:
    """:func:`render_csv` of the rows whose values by column are ``values``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(zip(*(values[c] for c in columns), strict=True))
    return buf.getvalue().encode("utf-8")


def table_arrays(results: Sequence[TableResult], n_candidates: int) -> TableArrays:
    """Table results as the arrays :func:`actas.core.results.tally.tally_all` sums, sorted by table id.

    The same arrays the store keeps: a conflict is not counted and has zeros;
    an unknown ``registered`` or ``null`` is -1.
    """
    rs = sorted(results, key=lambda r: r.table_id)
    n = len(rs)
    counted = np.fromiter((r.status is not Status.CONFLICT for r in rs), np.bool_, n)
    registered = np.fromiter(
        (
            -1 if r.counts is None or r.counts.registered is None else r.counts.registered
            for r in rs
        ),
        np.int64,
        n,
    )
    null = np.fromiter(
        (-1 if r.counts is None or r.counts.null is None else r.counts.null for r in rs),
        np.int64,
        n,
    )
    zeros = (0,) * n_candidates
    flat = [v for r in rs for v in (zeros if r.counts is None else r.counts.votes)]
    votes = np.array(flat, dtype=np.int64).reshape(n, n_candidates)
    return TableArrays([r.table_id for r in rs], counted, registered, null, votes)


# --------------------------------------------------------------------------- regions


def region_columns(election: Election) -> list[str]:
    return [
        "level",
        "code",
        "name",
        "tables_counted",
        "tables_reported",
        "tables_conflict",
        "tables_expected",
        "tables_coverage",
        "registered_covered",
        "registered_tables_known",
        "registered_expected",
        "registered_coverage",
        "turnout",
        "valid",
        "null",
    ] + [f"votes_{c.id}" for c in election.candidates]


def region_row(election: Election, data: Mapping[str, Any]) -> Row:
    """One row of ``results.csv`` / ``results.parquet`` from a ``tally_to_json`` object."""
    tables, reg = data["tables"], data["registered"]
    row: Row = {
        "level": data["level"],
        "code": data["code"],
        "name": data["name"],
        "tables_counted": tables["counted"],
        "tables_reported": tables["reported"],
        "tables_conflict": tables["conflict"],
        "tables_expected": tables["expected"],
        "tables_coverage": tables["coverage"],
        "registered_covered": reg["covered"],
        "registered_tables_known": reg["tables_known"],
        "registered_expected": reg["expected"],
        "registered_coverage": reg["coverage"],
        "turnout": data["turnout"],
        "valid": data["valid"],
        "null": data["null"],
    }
    votes = {c["id"]: c["votes"] for c in data["candidates"]}
    for cand in election.candidates:
        row[f"votes_{cand.id}"] = votes.get(cand.id)
    return row


# --------------------------------------------------------------------------- CSV


def cell(value: str | int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render_csv(columns: Sequence[str], rows: Iterable[Row]) -> bytes:
    """Header and rows; ``csv`` writes None as an empty field and a float as its ``repr``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    get = operator.itemgetter(*columns)
    w.writerows(get(row) if len(columns) > 1 else (get(row),) for row in rows)
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- manifest


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    """``<sha256 hex>  <path>`` per file, sorted by path, MANIFEST itself excluded.

    The same layout as ``sha256sum``, so ``sha256sum -c MANIFEST`` checks a bundle.
    """
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {path}\n"
        for path, data in sorted(files.items(), key=lambda kv: kv[0].encode("utf-8"))
        if path != MANIFEST
    ]
    return "".join(lines).encode("utf-8")


def parse_manifest(data: bytes) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Path -> hex digest, and (line number, problem) for every malformed line."""
    out: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return out, [(data.count(b"\n", 0, exc.start) + 1, "not UTF-8")]
    if text and not text.endswith("\n"):
        problems.append((text.count("\n") + 1, "the last line has no newline"))
    previous = b""
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            problems.append((number, f"not '<sha256>  <path>': {line[:80]!r}"))
            continue
        if not path or path.startswith("/") or ".." in path.split("/"):
            problems.append((number, f"bad path {path[:80]!r}"))
            continue
        if path in out:
            problems.append((number, f"{path} is listed twice"))
            continue
        if path.encode("utf-8") < previous:
            problems.append((number, f"{path} is out of order (paths are sorted)"))
        previous = path.encode("utf-8")
        out[path] = digest
    return out, problems


# --------------------------------------------------------------------------- photos


def photo_extension(data: bytes) -> str:
    """A file extension from the image's magic bytes (``bin`` when unknown)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypheif"):
        return "heic"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tif"
    if data.startswith(b"%PDF"):
        return "pdf"
    return "bin"


def photo_path(sha256_hex: str, data: bytes) -> str:
    return f"{PHOTOS_DIR}/{sha256_hex[:2]}/{sha256_hex}.{photo_extension(data)}"


# --------------------------------------------------------------------------- README


def readme_text(
    election: Election,
    *,
    size: int,
    root_hex: str,
    verifier_key: str,
    tables: int,
    regions: int,
    mappings: Sequence[str],
    photos: int,
) -> str:
    """The bundle's README: what each file is and how to check it."""
    maps = "\n".join(f"- `mappings/{m}.toml`" for m in mappings) or "- (none)"
    photo_line = (
        f"`photos/<aa>/<sha256>.<ext>` | {photos} photos, each named by the SHA-256 of its bytes"
        if photos
        else "`photos/` | not included in this export"
    )
    return f"""# Open data: {election.name}

Election `{election.id}` ({election.date}). This folder is an **Actas open-data
bundle**: every submission received, exactly as received, in a Merkle log
(RFC 9162) whose tree head is signed (C2SP signed-note checkpoint, Ed25519),
and the results derived from them. Anyone can recompute every number here
from the leaves alone.

- Log size: **{size}** leaves
- Root hash (hex): `{root_hex}`
- Verifier key: `{verifier_key}`
- Tables with a result: {tables}; regions: {regions}

## Files

file | what it is
--- | ---
`election.toml` | the election definition (candidates, ballot options, region scheme)
`mappings/*.toml` | the import mappings: how each CSV format's columns become counts
`leaves.txt` | every leaf of the log, base64 of its exact bytes, one per line, in log order
`submissions.jsonl` | one JSON object per leaf: what was read from it (table, counts) and the findings
`tables.json`, `tables.csv`, `tables.parquet` | per polling table: status, counts, agreeing sources, leaves
`results.json`, `results.csv`, `results.parquet` | every region at every level: totals, coverage, turnout
`checkpoint.txt` | the signed checkpoint (tree size and root) of the log
`verifier.pub` | the log's public key (Go `note` verifier key text)
`audits.json` | only when the log holds audits: each audit's sample and (risk-limiting audits) its p-value and decision, as its leaves give them
{photo_line}
`MANIFEST` | SHA-256 of every other file (`sha256sum -c MANIFEST` checks them)

Mappings in this bundle:

{maps}

Table ids (`table_id`) and region codes (`code`) have leading zeros: read them
as text, not numbers (pandas `dtype={{"table_id": str, "code": str}}`, polars
`schema_overrides={{"table_id": pl.String}}`; a spreadsheet: import the column
as text), or use the Parquet files, which carry each column's type.

## How to verify

With Actas installed: `actas verify .` (add `--key '<verifier key>'` to pin
the key you obtained independently, and `--previous OLD_CHECKPOINT` to check
that this log extends one you saw before). It re-hashes every file, checks
the checkpoint's signature, rebuilds the Merkle root from `leaves.txt`,
re-reads every imported row from its raw bytes with the mapping, re-runs the
reconciliation of each table and the tally of each region, and compares
everything with the published files. The full procedure, precise enough to
write an independent verifier, is `docs/verification.md` in the Actas
source; the leaf and checkpoint formats are `docs/log-format.md`.
"""
