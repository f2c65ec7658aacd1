"""``actas users …``: accounts from the command line (the first administrator, tokens).

Each command opens the service with :func:`actas.cli.support.service` and reports errors
with :func:`actas.cli.support.friendly`, like every other ``actas`` command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from actas.app.people.accounts import People
from actas.cli.support import HomeOpt, friendly, out, service

__all__ = ["users_app"]

users_app = typer.Typer(help="People's accounts and roles (docs/people.md).", no_args_is_help=True)


@users_app.command("add")
@friendly
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
    with service(home) as svc:
        account, password = People(svc).add(name, role, email=email)
    out.print(f"{account.name} ({account.role}, actor {account.actor}) password: {password}")


@users_app.command("list")
@friendly
def users_list(home: HomeOpt = None) -> None:
    """Every account: name, role, status, pseudonym."""
    with service(home) as svc:
        for a in People(svc).accounts():
            out.print(f"{a.id}  {a.name}  {a.role}  {a.status}  {a.actor}", highlight=False)


@users_app.command("role")
@friendly
def users_role(account_id: str, role: str, home: HomeOpt = None) -> None:
    """Give an account another role (logged as an EVENT leaf)."""
    with service(home) as svc:
        a = People(svc).set_role(account_id, role, None)
    out.print(f"{a.name}: {a.role}")


@users_app.command("token")
@friendly
def users_token(account_id: str, label: str = "cli", home: HomeOpt = None) -> None:
    """A new API token for an account (bulk uploaders); printed once."""
    with service(home) as svc:
        people = People(svc)
        token = people.new_api_token(people.get(account_id), label)
    out.print(token)
