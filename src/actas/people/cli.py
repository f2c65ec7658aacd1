"""``actas users …``: accounts from the command line (the first administrator, tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..errors import ActasError
from ..service import Service
from ..settings import Settings
from .accounts import People

__all__ = ["users_app"]

users_app = typer.Typer(help="People's accounts and roles (docs/people.md).", no_args_is_help=True)
out = Console()
HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data folder.", show_default=False)]


def _people(home: Path | None) -> People:
    return People(Service.open(Settings.from_env(home=home)))


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[
        str,
        typer.Option("--role", help="administrator, coordinator, witness, volunteer or reviewer."),
    ],
    email: Annotated[str, typer.Option("--email")] = "",
    home: HomeOpt = None,
) -> None:
    """Create an account; its password is printed once."""
    people = _people(home)
    try:
        account, password = people.add(name, role, email=email)
    except ActasError as exc:
        Console(stderr=True).print(f"error: {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    finally:
        people.svc.close()
    out.print(f"{account.name} ({account.role}, actor {account.actor}) password: {password}")


@users_app.command("list")
def users_list(home: HomeOpt = None) -> None:
    """Every account: name, role, status, pseudonym."""
    people = _people(home)
    try:
        for a in people.accounts():
            out.print(f"{a.id}  {a.name}  {a.role}  {a.status}  {a.actor}", highlight=False)
    finally:
        people.svc.close()


@users_app.command("role")
def users_role(account_id: str, role: str, home: HomeOpt = None) -> None:
    """Give an account another role (logged as an EVENT leaf)."""
    people = _people(home)
    try:
        a = people.set_role(account_id, role, None)
    finally:
        people.svc.close()
    out.print(f"{a.name}: {a.role}")


@users_app.command("token")
def users_token(account_id: str, label: str = "cli", home: HomeOpt = None) -> None:
    """A new API token for an account (bulk uploaders); printed once."""
    people = _people(home)
    try:
        token = people.new_api_token(people.get(account_id), label)
    finally:
        people.svc.close()
    out.print(token)
