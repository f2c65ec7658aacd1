"""What every ``actas`` command module shares: consoles, options, errors, the service.

- :func:`friendly` turns an error of the one hierarchy (:mod:`actas.core.errors`) into
  ``error: …`` on stderr and the error's exit code; nothing else is caught.
- :func:`service` opens the service over ``--home`` and closes it when the command
  ends, so no database connection is left to the garbage collector.
- :func:`print_json` prints what ``--json`` asks for.
- :func:`clean` strips control characters (ESC, C0 other than tab and newline, DEL,
  C1) from text that came from files and people, so a name cannot move the cursor,
  recolour or retitle the terminal; ``out`` and ``err`` apply it to everything they
  print (their own styles are added afterwards), and :func:`print_json` escapes them.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from typer.core import TyperOption

from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import ActasError

__all__ = [
    "F",
    "HomeOpt",
    "JsonOpt",
    "clean",
    "err",
    "friendly",
    "out",
    "print_json",
    "service",
    "settings",
]

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without control characters (tab and newline kept)."""
    return _CONTROL.sub("", text)


class _Console(Console):
    """A console whose printed text never carries a control character of its own."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(clean(seg.text), seg.style, seg.control)
            for seg in buffer
        )


# Markup off: names, file names and messages come from imported files and people, and
# "[/]" in one would crash a print ("[link=…]" would make a link). A styled line asks
# for markup=True and escapes what it interpolates.
out = _Console(markup=False)
err = _Console(stderr=True, markup=False)


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
    text = json.dumps(data, ensure_ascii=False, indent=2)  # C0 is escaped; C1 and DEL too:
    text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")
