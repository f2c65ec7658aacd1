"""The bundle's ``README.md``: what each file is and how to check it. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from actas.core.model import Election

__all__ = [
    "readme_text",
]


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
