"""The thermal-strip acta as data: what a voting machine prints, line by line.

The 2024 Venezuelan acta is not an A4 form but the voting machine's receipt: a long,
narrow thermal strip (80 mm paper, 576 dots a line) in a small monospace font, one line
per ballot option with its votes, the totals, the table's header lines, a signatures
area and the QR code at the bottom. :func:`strip_layout` derives that layout from an
election definition — line labels in option order, the font, the QR's place — so the
generator (:mod:`actas.dev.strip`) draws it and the OCR (:mod:`actas.adapters.photo.strip_ocr`)
knows which labels to look for. Everything is in printer dots; the title is the
definition's own name, never an institution's.

Pure: no I/O. The labels are printed in upper-case ASCII, as thermal printers' code
pages do (``ELECCIÓN`` prints ``ELECCION``).
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from actas.core.model import Election

__all__ = ["LineKind", "StripLayout", "StripLine", "printable", "strip_layout"]


class LineKind(enum.StrEnum):
    TITLE = "title"  # centred header text
    TEXT = "text"  # a header line: date, region codes, centre, table
    RULE = "rule"  # a dashed separator
    CANDIDATE = "candidate"  # a candidate's name, above that candidate's options
    OPTION = "option"  # a ballot option's label and its votes
    VALID = "valid"  # the valid-votes total
    NULL = "null"  # the null-votes total
    SIGNATURE = "signature"  # a signature line with a role under it
    BLANK = "blank"


@dataclass(frozen=True, slots=True)
class StripLine:
    """One printed line. ``option`` is the option index (payload order) of an OPTION line."""

    kind: LineKind
    text: str
    option: int | None = None

    def render(self, columns: int, value: int | None = None) -> str:
        """The line as printed: a label with its number right-aligned in the last columns."""
        if self.kind is LineKind.RULE:
            return "-" * columns
        if self.kind is LineKind.TITLE:
            return self.text[:columns].center(columns).rstrip()
        if value is None:
            return self.text[:columns]
        number = str(value)
        room = columns - len(number) - 1
        return self.text[:room].ljust(room) + " " + number


@dataclass(frozen=True, slots=True)
class StripLayout:
    """The strip's lines top to bottom, its font and paper, and where the QR sits."""

    lines: tuple[StripLine, ...]
    width: int = 576  # dots across the paper (80 mm at 203 dpi)
    margin: int = 16  # dots left and right of the print
    columns: int = 40  # characters per line
    font: str = "DejaVuSansMono.ttf"  # a monospace font like the printer's
    font_size: int = 22  # dots
    line_height: int = 30  # dots
    signature_gap: int = 70  # blank dots above each signature line
    qr_side: int = 400  # dots, quiet zone included
    qr_position: str = "bottom"  # after the signatures, centred
    feed: int = 120  # blank paper after the QR
    min_aspect: float = 5.5  # a strip is at least this many times longer than wide

    def option_lines(self) -> tuple[StripLine, ...]:
        return tuple(ln for ln in self.lines if ln.kind is LineKind.OPTION)

    def label(self, kind: LineKind, option: int | None = None) -> str:
        for ln in self.lines:
            if ln.kind is kind and ln.option == option:
                return ln.text
        raise KeyError(kind)


def printable(text: str) -> str:
    """Upper-case ASCII, as a thermal printer prints it (accents dropped)."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if c.isascii() and c.isprintable()).upper().strip()


def _wrap(text: str, columns: int) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > columns:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line[:columns])
    return out


def strip_layout(election: Election, table_id: str = "", *, columns: int = 40) -> StripLayout:
    """The strip of ``election``'s acta for ``table_id`` (header lines name its regions).

    Options are grouped under their candidate in payload order: a candidate's name line
    is printed whenever the candidate changes. Labels are the options' names.
    """
    lines: list[StripLine] = [StripLine(LineKind.TITLE, "ACTA DE ESCRUTINIO")]
    lines += [StripLine(LineKind.TITLE, t) for t in _wrap(printable(election.name), columns)]
    if election.date:
        lines.append(StripLine(LineKind.TEXT, f"FECHA: {election.date}"))
    if table_id:
        try:
            codes = election.scheme.region_codes(table_id)
        except ValueError:
            codes = ()
        for level, code in zip(election.levels, codes, strict=False):
            lines.append(StripLine(LineKind.TEXT, f"{printable(level.name)}: {code}"))
        _, table = election.scheme.split(table_id) if codes else ("", table_id)
        lines.append(StripLine(LineKind.TEXT, f"MESA: {table}"))
        lines.append(StripLine(LineKind.TEXT, f"ACTA: {table_id}"))
    lines.append(StripLine(LineKind.RULE, ""))
    lines.append(StripLine(LineKind.TEXT, "ORGANIZACION".ljust(columns - 5) + "VOTOS"))
    lines.append(StripLine(LineKind.RULE, ""))
    names = {c.id: printable(c.name) for c in election.candidates}
    previous = None
    for i, opt in enumerate(election.options):
        if opt.candidate != previous:
            if previous is not None:
                lines.append(StripLine(LineKind.BLANK, ""))
            lines.append(StripLine(LineKind.CANDIDATE, names.get(opt.candidate, opt.candidate)))
            previous = opt.candidate
        lines.append(StripLine(LineKind.OPTION, printable(opt.name), i))
    lines.append(StripLine(LineKind.RULE, ""))
    lines.append(StripLine(LineKind.VALID, "VOTOS VALIDOS"))
    lines.append(StripLine(LineKind.NULL, "VOTOS NULOS"))
    lines.append(StripLine(LineKind.RULE, ""))
    for role in ("PRESIDENTE(A)", "MIEMBRO", "SECRETARIO(A)", "OPERADOR(A)", "TESTIGO"):
        lines.append(StripLine(LineKind.SIGNATURE, role))
    return StripLayout(lines=tuple(lines), columns=columns)
