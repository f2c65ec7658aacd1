"""The CLI end to end on a small file: init, import, results, table, conflicts, findings, log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actas.__main__ import app

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = (
    "20,EDO. YARACUY,13,MP. X,1,PQ. PEÑA,201301006,{m},600,{valid},1,{eg},{nm},5,0,0,3,1,1,0,2,u\n"
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "a.csv"
    a.write_text(
        HEADER
        + ROW.format(m=1, valid=367, eg=167, nm=188)
        + ROW.format(m=2, valid=212, eg=100, nm=100)
    )
    b = tmp_path / "b.csv"
    b.write_text(HEADER + ROW.format(m=1, valid=999, eg=168, nm=188))
    return a, b


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_flow(tmp_path: Path, files: tuple[Path, Path], db_url: str) -> None:
    """On SQLite and PostgreSQL; every command closes its service (warnings are errors,
    so a connection left to the garbage collector fails the test)."""
    home = str(tmp_path / "h")
    out = run("init", "--election", "ve-2024", "--db", db_url, "--home", home)
    assert "Initialised" in out and "+" in out
    assert (tmp_path / "h" / "keys" / "signer.key").stat().st_mode & 0o777 == 0o600
    summary = json.loads(run("import", str(files[0]), "--home", home, "--json"))
    assert summary[0]["loaded"] == 2 and summary[0]["format"] == "cvzla"
    res = json.loads(run("results", "--home", home, "--json"))
    assert res["tables"]["counted"] == 2
    assert {c["id"]: c["votes"] for c in res["candidates"]}["maduro"] == 288
    assert all({"id", "name", "votes"} <= set(c) for c in res["candidates"])
    states = json.loads(run("results", "--level", "state", "--home", home, "--json"))
    assert [s["code"] for s in states] == ["20"]
    assert "PQ. PEÑA" in run("table", "201301006.01", "--home", home)
    run("import", str(files[1]), "--home", home)
    conflicts = json.loads(run("conflicts", "--home", home, "--json"))
    assert [c["table_id"] for c in conflicts] == ["201301006.01"]
    f = json.loads(run("findings", "--home", home, "--json"))
    assert any(s["code"] == "sum.valid_mismatch" for s in f["summary"])
    note = run("log", "checkpoint", "--home", home)
    assert note.startswith("actas.example/ve-2024\n5\n")
    proofs = json.loads(run("log", "prove", "--table", "201301006.01", "--home", home))
    assert len(proofs) == 2 and proofs[0]["tree_size"] == 5
    cons = json.loads(run("log", "consistency", "2", "5", "--home", home))
    assert cons["old_size"] == 2


def test_cli_errors_are_clear(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    r = CliRunner().invoke(app, ["results", "--home", home])
    assert r.exit_code != 0 and "actas init" in r.output
    run("init", "--election", "ve-2024", "--home", home)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    r = CliRunner().invoke(app, ["import", str(empty), "--home", home])
    assert r.exit_code == 2 and "empty" in r.output
    r = CliRunner().invoke(app, ["table", "../etc/passwd", "--home", home])
    assert r.exit_code == 2 and "malformed table id" in r.output
    r = CliRunner().invoke(app, ["table", "010101001.01", "--home", home])
    assert r.exit_code == 3
    r = CliRunner().invoke(app, ["init", "--election", "xx-1999", "--home", home])
    assert r.exit_code == 3 and "ve-2024" in r.output


@pytest.mark.parametrize("command", [["enqueue", "x.jpg"], ["worker", "--burst"], ["jobs"]])
def test_queue_commands_without_the_postgres_extra_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    import sys

    for module in ("procrastinate", "actas.app.photos.queue", "actas.app.photos.workers"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    r = CliRunner().invoke(app, [*command, "--home", str(tmp_path / "h")])
    assert r.exit_code == 8, r.output
    assert "pip install 'actas[postgres]'" in r.output and "Traceback" not in r.output


def test_a_database_without_an_election_is_a_clear_error(tmp_path: Path, db_url: str) -> None:
    """On an empty database the command fails clearly and leaves no connection open."""
    env = {"ACTAS_DATABASE_URL": db_url}
    r = CliRunner().invoke(app, ["results", "--home", str(tmp_path / "h")], env=env)
    assert r.exit_code == 4 and "actas init" in r.output, r.output


def test_hostile_names_are_printed_as_text(tmp_path: Path) -> None:
    """Names come from imported files: Rich markup in one is neither applied (a style,
    a terminal hyperlink) nor allowed to crash a command ("[/]" closes nothing)."""
    home = str(tmp_path / "home")
    hostile = "MP. [red]X[/red] [link=http://evil.example]click[/link] [/] [acta.all_zero]"
    a = tmp_path / "[bold]a.csv"
    a.write_text(
        HEADER.replace("\n", "\r\n")
        + ROW.replace("MP. X", hostile.replace(",", "")).format(m=1, valid=367, eg=167, nm=188)
    )
    run("init", "--election", "ve-2024", "--home", home)
    assert "[bold]a.csv" in run("import", str(a), "--home", home)
    for out in (
        run("table", "201301006.01", "--home", home),
        run("results", "--level", "municipality", "--home", home),
    ):
        assert hostile in " ".join(out.split())  # as text (wrapped as the terminal likes)
    assert "http://evil.example" in run("results", "--region", "2013", "--home", home)


def test_conflicts_print_candidate_names_and_the_counts_that_differ(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    home = str(tmp_path / "h")
    run("init", "--election", "ve-2024", "--home", home)
    run("import", str(files[0]), "--home", home)
    run("import", str(files[1]), "--home", home)
    text = CliRunner().invoke(app, ["conflicts", "--home", home], terminal_width=200).output
    lines = text.splitlines()
    # candidates by name, one column per source: the EG row differs (167 vs 168), NM agrees
    eg = next(line for line in lines if "Edmundo González" in line)
    nm = next(line for line in lines if "Nicolás Maduro" in line)
    assert "167" in eg and "168" in eg and "≠" in eg
    assert "≠" not in nm and nm.count("188") == 2
    assert text.count("leaf ") == 2 and "1 conflicts" in text
    assert "≠" in next(line for line in lines if "valid_reported" in line)


def test_version_and_flag_help() -> None:
    from actas import __version__

    assert run("--version").strip() == f"actas {__version__}"
    for command in (["--help"], ["conflicts", "--help"], ["serve", "--help"]):
        assert "<bool>" not in run(*command)
    assert "<path>" in run("conflicts", "--help")
