"""Steps 6 and 7: every table reconciled and every region tallied again, and compared
with the published JSON, CSV and Parquet. Pure."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np

from actas.core.bundle import format as b
from actas.core.bundle.render import LineRenderer
from actas.core.model import Election, TableId
from actas.core.results.reconcile import TableResult, Version, reconcile
from actas.core.results.tally import (
    Registry,
    expected_from_registry,
    fill_registered,
    tally_all,
    tally_to_json,
)
from actas.core.verify.rederive import Derived
from actas.core.verify.run import Run

__all__ = ["ParquetReader", "parquet", "regions", "tables"]

#: Reads a Parquet file as columns: name -> values (the CLI passes ``export.parquet_columns``).
ParquetReader = Callable[[bytes], Mapping[str, Sequence[Any]]]


def tables(
    run: Run, election: Election, derived: Derived, read_parquet: ParquetReader | None
) -> list[TableResult]:
    """Step 6: reconcile every table again and compare the three renderings."""
    versions = cast(dict[TableId, list[Version]], derived.versions)  # ids, by the scheme
    results = [r for t in sorted(versions) if (r := reconcile(t, versions[t]))]
    run.count("tables", len(results))
    table_text = LineRenderer(election).table
    rendered = [table_text(r) for r in results]
    run.cmp.json_array(
        run.files.get(b.TABLES_JSON),
        b.TABLES_JSON,
        lambda: [b.table_json(election, r) for r in results],
        ("table_id",),
        "table",
        lines=rendered,
    )
    del rendered
    cols = b.table_columns(election)
    values = b.table_column_values(election, results)  # no dict per table unless needed

    def rows() -> list[b.Row]:
        return b.column_rows(cols, values)

    canonical = b.render_csv_columns(cols, values)
    key = ("table_id",)
    run.cmp.csv(run.files.get(b.TABLES_CSV), b.TABLES_CSV, cols, rows, key, "table", canonical)
    del canonical
    parquet(run, b.TABLES_PARQUET, read_parquet, rows, key, "table", values)
    return results


def regions(
    run: Run,
    election: Election,
    results: list[TableResult],
    derived: Derived,
    read_parquet: ParquetReader | None,
) -> None:
    """Step 7: tally every region again and compare the three renderings."""
    arrays = b.table_arrays(results, len(election.candidates))
    from_registry = None
    if derived.registry and not derived.registry_seen:  # registries re-read from the log
        ids = sorted(derived.registry)
        voters = [derived.registry[t] for t in ids]
        registry = Registry(ids, np.array([-1 if v is None else v for v in voters], np.int64))
        arrays = fill_registered(arrays, registry)  # where the actas do not say
        from_registry = expected_from_registry(election, registry)
    levels = tally_all(election, arrays, from_registry)
    names = {code: name for code, (name, _) in derived.names.items()}
    expected = [
        tally_to_json(election, r, names) for level in sorted(levels) for r in levels[level]
    ]
    published = _loose_json_array(run.files.get(b.RESULTS_JSON)) if derived.relaxed else None
    if published is not None:
        found = {(o.get("level"), o.get("code")): o for o in published if isinstance(o, dict)}
        for obj in expected:
            pub = found.get((obj["level"], obj["code"]))
            if pub is not None:
                _relax(obj, pub, derived)
    run.count("regions", len(expected))
    key = ("level", "code")
    region_text = LineRenderer(election).region
    rendered = [region_text(o) for o in expected]
    data = run.files.get(b.RESULTS_JSON)
    run.cmp.json_array(data, b.RESULTS_JSON, expected, key, "region", lines=rendered)
    del rendered
    rows = [b.region_row(election, o) for o in expected]
    cols = b.region_columns(election)
    run.cmp.csv(run.files.get(b.RESULTS_CSV), b.RESULTS_CSV, cols, rows, key, "region")
    parquet(run, b.RESULTS_PARQUET, read_parquet, rows, key, "region")


def parquet(
    run: Run,
    path: str,
    reader: ParquetReader | None,
    rows: list[b.Row] | Callable[[], list[b.Row]],
    key: tuple[str, ...],
    what: str,
    by_column: Mapping[str, Sequence[Any]] | None = None,
) -> None:
    data = run.files.get(path)
    if reader is None:
        if data is not None:
            run.count("parquet_hash_only")
        return
    if data is None:
        run.fail("file.missing", path, "the Parquet copy is missing")
        return
    try:
        found = reader(data)
    except ValueError as exc:
        run.fail("file.unreadable", path, str(exc))
        return
    run.cmp.columns(path, found, rows, key, what, by_column)
    run.count("parquet_files")


def _loose_json_array(data: bytes | None) -> list[Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, list) else None


def _relax(expected: dict[str, Any], published: Mapping[str, Any], derived: Derived) -> None:
    """Take from ``published`` what the log cannot show: a registry's expected totals,
    and region names the re-read rows did not give."""
    if derived.registry_seen:
        for part in ("tables", "registered"):
            exp, pub = expected.get(part), published.get(part)
            if isinstance(exp, dict) and isinstance(pub, dict):
                for key in ("expected", "coverage"):
                    if key in pub:
                        exp[key] = pub[key]
    code = expected["code"]
    known = derived.names.get(code)
    if code and (known is None or not known[1]) and "name" in published:
        expected["name"] = published["name"]
