"""A custom election: the mappings beside its election.toml are found, ``init`` takes
the folder, and a file no mapping fits says which were tried and why (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import actas
from actas.cli.main import app
from actas.core.errors import InputError

ELECTION = """\
[election]
id = "tierra"
name = "Tierra"
date = "2026-01-01"
fictional = true

[regions]
separator = "/"
table_separator = "#"
table_width = 0
levels = [{ id = "province", name = "Province" }]

[[candidates]]
id = "a"
name = "A"

[[candidates]]
id = "b"
name = "B"
"""

MAPPING = """\
[format]
name = "tierra-csv"
kind = "results"
match = ["Provincia", "Mesa", "Voto A"]

[table]
id = "{Provincia}#{Mesa}"

[columns]
registered = "Inscritos"

[candidates]
a = "Voto A"
b = "Voto B"
"""

ROWS = "Provincia,Mesa,Inscritos,Voto A,Voto B\nNorte,1,100,30,20\nNorte b,1,90,10,40\n"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tierra"
    folder.mkdir()
    (folder / "election.toml").write_text(ELECTION, "utf-8")
    (folder / "tierra.toml").write_text(MAPPING, "utf-8")
    (folder / "notes.toml").write_text('title = "not a mapping"\n', "utf-8")
    (tmp_path / "results.csv").write_text(ROWS, "utf-8")
    return folder


@pytest.mark.parametrize("given", ["folder", "file"])
def test_mappings_beside_a_custom_definition_are_found(tmp_path: Path, given: str) -> None:
    folder = _folder(tmp_path)
    spec = folder if given == "folder" else folder / "election.toml"
    svc = actas.init(tmp_path / "home", str(spec), env={})
    try:
        summary = svc.import_file(tmp_path / "results.csv")  # no --format, no --mapping
        assert (summary.format, summary.loaded) == ("tierra-csv", 2)
        svc.export(tmp_path / "bundle")
    finally:
        svc.close()
    assert (tmp_path / "bundle" / "mappings" / "tierra-csv.toml").read_text() == MAPPING
    report = actas.verify(tmp_path / "bundle")
    assert report.ok, report.failures
    (folder / "tierra.toml").unlink()  # the data folder keeps its own copy
    svc = actas.open(tmp_path / "home", env={})
    try:
        assert svc.import_file(tmp_path / "results.csv").duplicates == 2
    finally:
        svc.close()


def test_init_takes_the_folder_on_the_command_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    home = tmp_path / "home"
    res = CliRunner().invoke(app, ["init", "--election", str(folder), "--home", str(home)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["import", str(tmp_path / "results.csv"), "--home", str(home)])
    assert res.exit_code == 0, res.output


def test_a_file_no_mapping_fits_says_what_was_tried(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    bad = tmp_path / "other.csv"
    bad.write_text("Zona,Mesa,Voto B,Voto A,Extra\nNorte,1,2,3,4\n", "utf-8")
    svc = actas.init(tmp_path / "home", str(folder), env={})
    try:
        with pytest.raises(InputError) as err:
            svc.import_file(bad)
    finally:
        svc.close()
    text = str(err.value)
    assert "'Zona', 'Mesa', 'Voto B', 'Voto A', 'Extra'" in text  # the file's own order
    assert "tierra-csv: lacks 'Provincia'" in text


def test_two_mappings_of_one_format_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "copy.toml").write_text(MAPPING, "utf-8")
    with pytest.raises(actas.DefinitionError, match="also defined"):
        actas.init(tmp_path / "home", str(folder), env={})
