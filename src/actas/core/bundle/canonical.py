"""Canonical renderings: JSON text, one-element-per-line JSON arrays, and CSV. Pure.

JSON is ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
in UTF-8; a JSON array file holds one element per line. CSV is UTF-8, comma
separated, ``\\n`` line ends, minimal quoting; an unknown value is an empty
field and a float the shortest text that reads back the same (``repr``).
"""

from __future__ import annotations

import csv
import io
import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "Row",
    "cell",
    "column_rows",
    "dumps",
    "json_lines",
    "render_csv",
    "render_csv_columns",
]

#: A flat row of tables.csv / results.csv before rendering (and of the Parquet copies).
Row = dict[str, str | int | float | None]


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Canonical JSON text (sorted keys, no whitespace, UTF-8 characters kept)."""
    return _ENCODER.encode(value)


def json_lines(items: Iterable[Any]) -> bytes:
    """A JSON array with one canonical element per line (``[]`` when empty)."""
    body = ",\n".join(dumps(x) for x in items)
    return ("[\n" + body + "\n]\n" if body else "[]\n").encode("utf-8")


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


def render_csv_columns(columns: Sequence[str], values: Mapping[str, Sequence[Any]]) -> bytes:
    """:func:`render_csv` of the rows whose values by column are ``values``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(zip(*(values[c] for c in columns), strict=True))
    return buf.getvalue().encode("utf-8")


def column_rows(columns: Sequence[str], values: Mapping[str, Sequence[Any]]) -> list[Row]:
    """Rows (dicts) from values by column: the inverse of :func:`table_column_values`."""
    return [
        dict(zip(columns, row, strict=True))
        for row in zip(*(values[c] for c in columns), strict=True)
    ]
