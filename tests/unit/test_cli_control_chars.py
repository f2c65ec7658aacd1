"""The CLI prints no control character that came from data (issue 19 D11: escape
sequences in imported names reached the terminal)."""

from __future__ import annotations

import io
import json

import pytest
from rich.table import Table

from actas.cli import support

HOSTILE = "PQ. \x1b]0;owned\x07X\x1b[2J\x9b31m\x7fY\r\x08Z"


def test_printed_text_and_tables_carry_no_control_characters() -> None:
    buf = io.StringIO()
    console = support._Console(file=buf, force_terminal=True, color_system="standard")
    console.print(HOSTILE, markup=False)
    table = Table("name")
    table.add_row(HOSTILE)
    console.print(table)
    console.print("[bold]styled[/]", markup=True)  # the console's own styles still work
    text = buf.getvalue()
    assert "owned" in text and "X" in text and "Z" in text
    for bad in ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\x7f", "\x08"):
        assert bad not in text
    assert "\x1b[1m" in text  # bold, from rich itself


def test_json_output_escapes_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    support.print_json({"name": HOSTILE})
    printed = capsys.readouterr().out
    assert json.loads(printed) == {"name": HOSTILE}
    assert all(ch in "\n" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F) for ch in printed)


def test_clean_keeps_text_tabs_and_newlines() -> None:
    assert support.clean("Peña\tMesa 1\n\x1b[31m") == "Peña\tMesa 1\n[31m"
