"""The open-data bundle format: file names and how each file is rendered. Pure.

The exporter (``export``, an adapter) renders a store's contents with these
functions and writes the bytes; the verifier (``verify``, core) re-derives the
same values from the leaves and renders or compares them with the same
functions, so the two cannot drift apart. Specified in ``docs/verification.md``.

The public face of the format; the parts live beside it: :mod:`.paths` (file
names), :mod:`.canonical` (JSON and CSV renderings), :mod:`.counts` (counts and
submissions), :mod:`.tables` (tables and regions), :mod:`.manifest` and :mod:`.readme`.

Every JSON document here is *canonical*: ``json.dumps(value, sort_keys=True,
ensure_ascii=False, separators=(",", ":"))`` in UTF-8. A JSON array file holds
one element per line (``[``, then the elements separated by ``,\\n``, then
``]``), so that a failure can name a line. CSV files are UTF-8, comma
separated, ``\\n`` line ends, quoted only where needed (Python's ``csv``
minimal quoting); an unknown value is an empty field and a float is written
as the shortest text that reads back the same (``repr``).
"""

from __future__ import annotations

from actas.core.bundle.canonical import (
    Row,
    cell,
    column_rows,
    dumps,
    json_lines,
    render_csv,
    render_csv_columns,
)
from actas.core.bundle.counts import (
    counts_from_json,
    counts_to_json,
    submission_json,
)
from actas.core.bundle.manifest import (
    manifest_bytes,
    parse_manifest,
)
from actas.core.bundle.paths import (
    AUDITS_JSON,
    CHECKPOINT,
    ELECTION,
    LEAVES,
    MANIFEST,
    MAPPINGS_DIR,
    PHOTOS_DIR,
    README,
    RESULTS_CSV,
    RESULTS_JSON,
    RESULTS_PARQUET,
    SUBMISSIONS,
    TABLES_CSV,
    TABLES_JSON,
    TABLES_PARQUET,
    VERIFIER_KEY,
    photo_extension,
    photo_path,
)
from actas.core.bundle.readme import (
    readme_text,
)
from actas.core.bundle.tables import (
    counted_votes,
    region_columns,
    region_row,
    table_arrays,
    table_column_values,
    table_columns,
    table_json,
    table_row,
)

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
    "cell",
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
