"""What every ``actas`` command module shares: consoles, options, errors, the service.

- :func:`friendly` turns an error of the one hierarchy (:mod:`actas.core.errors`) into
  ``error: …`` on stderr and the error's exit code; nothing else is caught.
- :func:`service` opens the service over ``--home`` and closes it when the command
  ends, so no database connection is left to the garbage collector.
- :func:`print_json` prints what ``--json`` asks for.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperOption

from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import ActasError

__all__ = ["F", "HomeOpt", "JsonOpt", "err", "friendly", "out", "print_json", "service", "settings"]

# Markup off: names, file names and messages come from imported files and people, and
# "[/]" in one would crash a print ("[link=…]" would make a link). A styled line asks
# for markup=True and escapes what it interpolates.
out = Console(markup=False)
err = Console(stderr=True, markup=False)


def _flag_type_shown(self: TyperOption, ctx: Any) -> str | None:
    """An on/off flag takes no value: its help shows no ``<bool>`` type (typer 0.2x does)."""
    if self.is_flag:
        return None
    return _typer_display_type(self, ctx)


_typer_display_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type_shown  # type: ignore[method-assign]

F = TypeVar("F", bound=Callable[..., Any])

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home", help="Data folder (default: $ACTAS_HOME or ./actas-data).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def friendly(fn: F) -> F:
    """Turn Actas errors into a message and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ActasError as exc:
            # the message is text, not markup ("actas[postgres]"), and is not wrapped
            err.print(
                f"[bold red]error:[/] {escape(str(exc))}",
                markup=True,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def settings(home: Path | None, **overrides: str) -> Settings:
    return Settings.from_env(None, home, **overrides)


@contextmanager
def service(home: Path | None = None, *, config: Settings | None = None) -> Iterator[Service]:
    """The service over ``home`` (or ``config``), closed when the command ends."""
    svc = Service.open(config or settings(home))
    try:
        yield svc
    finally:
        svc.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
