"""``actas users …`` end to end: the first administrator, the list, roles, tokens and the
errors (``error: …`` and the error's exit code, never a traceback), on SQLite and
PostgreSQL; every command closes its service (warnings are errors)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from actas.__main__ import app
from actas.app.people import People
from actas.app.service import Service
from actas.app.settings import Settings


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def test_users_commands(tmp_path: Path, db_url: str) -> None:
    home = str(tmp_path / "h")
    run("init", "--election", "demo", "--db", db_url, "--home", home)
    made = run("users", "add", "ana", "--role", "administrator", "--home", home)
    found = re.fullmatch(r"ana \(administrator, actor (p-[0-9a-f]{12})\) password: (\S+)\n", made)
    assert found is not None, made
    actor, password = found.groups()
    # a bad role, a taken name: a message on stderr and the error's exit code
    out = run("users", "add", "bob", "--role", "king", "--home", home, code=2)
    assert out.startswith("error: unknown role 'king'") and "Traceback" not in out
    assert run("users", "add", "ana", "--role", "witness", "--home", home, code=2) == (
        "error: that name is taken\n"
    )
    (line,) = run("users", "list", "--home", home).splitlines()
    account_id, name, role, status, listed_actor = line.split()
    assert (name, role, status, listed_actor) == ("ana", "administrator", "active", actor)
    assert run("users", "role", account_id, "reviewer", "--home", home) == "ana: reviewer\n"
    token = run("users", "token", account_id, "--home", home).strip()
    assert token.startswith("actas_")
    for command in (("role", "nobody", "reviewer"), ("token", "nobody")):
        out = run("users", *command, "--home", home, code=3)
        assert out == "error: no such account\n"
    svc = Service.open(Settings.from_env(home=home))
    try:
        people = People(svc)
        account = people.authenticate("ana", password)
        assert account is not None and str(account.role) == "reviewer"
    finally:
        svc.close()
