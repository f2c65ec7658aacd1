"""What an import needs to be re-read offline is in the log: a custom mapping, a registry.

``actas import --mapping FILE`` logs the mapping's exact bytes (an EVENT leaf on
channel ``mapping``) before the import event that names it; a registry import
logs the registry file itself (an EVENT leaf on channel ``registry``) after its
import event. ``verify`` then re-reads those rows from the bundle alone: the
counts of a custom-format file, and what a registry changes — registered voters
where the actas do not say, expected totals, region names and the registry
findings of later rows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

from actas.adapters.bundle_files import parquet_columns, read_bundle
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.bundle import format as b
from actas.core.log.leaf import decode_leaf
from actas.core.verify.procedure import verify
from bundlegen import HEADER, remanifest, row

CUSTOM = """
[format]
name = "semis"
kind = "results"
description = "a made-up results file: semicolons, Spanish column names, no registered voters"
match = ["CENTRO", "MESA", "VALIDOS", "GONZALEZ"]

[table]
id = "{CENTRO:09}.{MESA:02}"

[columns]
valid = "VALIDOS"
null = "NULOS"

[candidates]
maduro = "MADURO"
gonzalez = ["GONZALEZ", "GONZALEZ_UNT"]
martinez = "OTROS"
bertucci = "CERO"
brito = "CERO"
ecarri = "CERO"
fermin = "CERO"
ceballos = "CERO"
marquez = "CERO"
rausseo = "CERO"
"""

REGISTRY = """
[format]
name = "padron"
kind = "registry"
description = "tables, their registered voters and their centres' names"
match = ["CENTRO", "MESA", "ELECTORES"]

[table]
id = "{CENTRO:09}.{MESA:02}"

[columns]
registered = "ELECTORES"

[region_names]
centre = "NOMBRE_CENTRO"
"""


def _clock() -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"2024-07-29T04:00:00.{next(counter):06d}Z"


def _service(tmp_path: Path) -> Service:
    return Service.init(Settings.from_env(env={}, home=tmp_path / "home"), "ve-2024", _clock())


def _export(svc: Service, tmp_path: Path) -> dict[str, bytes]:
    svc.export(tmp_path / "bundle")
    return read_bundle(tmp_path / "bundle")


def _published(files: dict[str, bytes], table: str) -> dict[str, object]:
    for line in files[b.SUBMISSIONS].splitlines():
        obj = json.loads(line)
        if obj["table_id"] == table:
            return obj  # type: ignore[no-any-return]
    raise AssertionError(table)


def _events(files: dict[str, bytes], channel: str) -> list[dict[str, object]]:
    import base64

    out = []
    for line in files[b.LEAVES].splitlines():
        entry = decode_leaf(base64.b64decode(line))
        if entry["kind"] == "event" and entry["source"]["channel"] == channel:
            out.append(entry)
    return out


def test_rows_of_a_custom_mapping_are_rederived_from_the_logged_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "semis.toml"
    mapping.write_bytes(CUSTOM.encode())
    data = tmp_path / "semis.csv"
    data.write_bytes(
        b"CENTRO;MESA;VALIDOS;NULOS;MADURO;GONZALEZ;GONZALEZ_UNT;OTROS;CERO\n"
        b"10101001;1;300;4;100;150;40;10;0\n"
        b"10101001;2;200;1;120;50;20;10;0\n"
        b"10101002;1;99;0;x;50;20;10;0\n"  # unreadable: a finding, no counts
    )
    svc = _service(tmp_path)
    try:
        svc.import_file(data, mapping_file=mapping)
        files = _export(svc, tmp_path)
    finally:
        svc.close()
    [logged] = _events(files, "mapping")
    assert logged["meta"] == {"format": "semis"} and logged["source"]["name"] == "semis.toml"
    [imported] = _events(files, "import")
    event = json.loads(__import__("base64").b64decode(imported["raw"]))
    assert event["mapping_sha256"] == logged["raw_sha256"]

    report = verify(files, read_parquet=parquet_columns)
    assert report.ok, report.failures
    assert report.checks["mappings_logged"] == 1
    assert report.checks["records_rederived"] == 3
    assert not [n for n in report.notes if "registry" in n]

    # the counts are re-read with the logged mapping, not taken as published
    line = _published(files, "010101001.01")
    tampered = files[b.SUBMISSIONS].replace(
        b.dumps(line).encode(), b.dumps({**line, "counts": {**line["counts"], "null": 5}}).encode()
    )
    report = verify(remanifest({**files, b.SUBMISSIONS: tampered}))
    assert "record.counts_mismatch" in report.codes()

    # a mapping of the same name in the bundle's mappings/ is not the one the log holds
    other = CUSTOM.replace('maduro = "MADURO"', 'maduro = "OTROS"').replace(
        'martinez = "OTROS"', 'martinez = "MADURO"'
    )
    report = verify(remanifest({**files, "mappings/semis.toml": other.encode()}))
    assert report.ok, report.failures


def test_a_registry_is_rederived_from_the_logged_file(tmp_path: Path) -> None:
    registry = tmp_path / "padron.toml"
    registry.write_bytes(REGISTRY.encode())
    padron = tmp_path / "padron.csv"
    padron.write_bytes(
        "CENTRO,MESA,ELECTORES,NOMBRE_CENTRO\n"
        "10101001,1,500,Escuela Bolívar\n"
        "10101001,2,450,Escuela Bolívar\n"
        "10101002,1,,Liceo Andrés Bello\n"  # registered voters not known
        "10101003,1,300,\n".encode()
    )
    results = tmp_path / "results.csv"
    results.write_bytes(
        HEADER.encode()
        + b"\n"
        + row(1, 1, 1, 1, 1, 500, [100, 150, 0, 0, 0, 0, 0, 0, 0, 0])  # as the registry says
        + b"\n"
        + row(1, 1, 1, 1, 2, 460, [90, 100, 0, 0, 0, 0, 0, 0, 0, 0])  # the registry says 450
        + b"\n"
        + row(1, 1, 1, 9, 1, 200, [10, 20, 0, 0, 0, 0, 0, 0, 0, 0])  # not in the registry
        + b"\n"
    )
    svc = _service(tmp_path)
    try:
        svc.import_file(padron, mapping_file=registry)
        svc.import_file(results)
        files = _export(svc, tmp_path)
    finally:
        svc.close()
    [content] = _events(files, "registry")
    assert content["raw_len"] == padron.stat().st_size
    codes = {f["code"] for f in _published(files, "010101001.02")["findings"]}
    assert "table.registered_mismatch" in codes
    assert "table.unknown" in {f["code"] for f in _published(files, "010101009.01")["findings"]}

    report = verify(files, read_parquet=parquet_columns)
    assert report.ok, report.failures
    assert report.checks["registries_rederived"] == 1 and report.checks["mappings_logged"] == 1
    assert not [n for n in report.notes if "registry" in n]
    nation = json.loads(files[b.RESULTS_JSON])[0]
    assert nation["tables"]["expected"] == 4 and nation["registered"]["expected"] is None
    centre = next(r for r in json.loads(files[b.RESULTS_JSON]) if r["code"] == "010101001")
    assert centre["name"] == "Escuela Bolívar" and centre["registered"]["expected"] == 950

    # expected totals are re-derived now, not taken as published
    text = files[b.RESULTS_JSON].replace(b'"expected":950', b'"expected":951')
    report = verify(remanifest({**files, b.RESULTS_JSON: text}))
    assert "region.mismatch" in report.codes()
    # and so are the registry's findings
    line = _published(files, "010101001.02")
    without = {
        **line,
        "findings": [f for f in line["findings"] if f["code"] != "table.registered_mismatch"],
    }
    subs = files[b.SUBMISSIONS].replace(b.dumps(line).encode(), b.dumps(without).encode())
    report = verify(remanifest({**files, b.SUBMISSIONS: subs}))
    assert "record.findings_mismatch" in report.codes()


def test_the_bundles_definitions_must_be_those_the_import_used(tmp_path: Path) -> None:
    """A built-in mapping and the election definition are not logged as bytes (the
    bundle carries them), but every import event names them by hash: swapping two
    columns in mappings/cvzla.toml, or two candidates' names in election.toml, would
    otherwise re-derive consistently wrong results that verify accepts."""
    results = tmp_path / "results.csv"
    results.write_bytes(
        HEADER.encode()
        + b"\n"
        + row(1, 1, 1, 1, 1, 500, [100, 150, 0, 0, 0, 0, 0, 0, 0, 0])
        + b"\n"
    )
    svc = _service(tmp_path)
    try:
        svc.import_file(results)
        files = _export(svc, tmp_path)
    finally:
        svc.close()
    [imported] = _events(files, "import")
    event = json.loads(__import__("base64").b64decode(imported["raw"]))
    assert event["format"] == "cvzla" and len(event["mapping_sha256"]) == 64
    assert event["election_sha256"] == __import__("hashlib").sha256(files[b.ELECTION]).hexdigest()
    report = verify(files, read_parquet=parquet_columns)
    assert report.ok, report.failures

    mapping = files["mappings/cvzla.toml"].decode()
    swapped = mapping.replace('"EG"', '"@@"').replace('"NM"', '"EG"').replace('"@@"', '"NM"')
    assert swapped != mapping
    report = verify(remanifest({**files, "mappings/cvzla.toml": swapped.encode()}))
    assert "mapping.missing" in report.codes()
    assert "mappings/cvzla.toml is " in " ".join(str(f) for f in report.failures)

    definition = files[b.ELECTION].decode()
    renamed = definition.replace("Edmundo González", "Nicolás Maduro", 1)
    assert renamed != definition
    report = verify(remanifest({**files, b.ELECTION: renamed.encode()}))
    assert "election.mismatch" in report.codes()
