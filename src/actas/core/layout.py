"""Where things are printed on the A4 card-grid acta, in layout units of a 1000 × 1400 sheet.

Pure geometry shared by the synthetic sheet generator (:mod:`actas.dev.synth`) and the
reader that crops its boxes (:mod:`actas.adapters.photo.ocr`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SHEET_HEIGHT", "SHEET_WIDTH", "Box", "Layout", "layout_for"]

SHEET_WIDTH = 1000.0  # layout units; a sheet is 3:4 like a phone photo
SHEET_HEIGHT = 1400.0


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in layout units (``x0 < x1``, ``y0 < y1``)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def px(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The box in pixels of a sheet image of ``width`` × ``height``."""
        sx, sy = width / SHEET_WIDTH, height / SHEET_HEIGHT
        return (
            round(self.x0 * sx),
            round(self.y0 * sy),
            round(self.x1 * sx),
            round(self.y1 * sy),
        )

    def inset(self, frac: float) -> Box:
        dx, dy = (self.x1 - self.x0) * frac, (self.y1 - self.y0) * frac
        return Box(self.x0 + dx, self.y0 + dy, self.x1 - dx, self.y1 - dy)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where things are printed on a sheet, in layout units (1000 × 1400)."""

    cards: tuple[Box, ...]  # whole party card, one per option in payload order
    numbers: tuple[Box, ...]  # the printed vote count of each card
    valid: Box  # printed valid-vote total
    null: Box  # printed null-vote total
    table: Box  # printed table id (centre.table)
    header: Box
    signatures: Box
    qr: Box  # square area of the QR code including its quiet zone


def layout_for(n_options: int, columns: int = 5) -> Layout:
    """The sheet layout for an election with ``n_options`` ballot cards."""
    if n_options <= 0:
        raise ValueError("an acta needs at least one ballot option")
    rows = math.ceil(n_options / columns)
    top, bottom, left, right = 215.0, 1000.0, 30.0, 970.0
    cw, ch = (right - left) / columns, (bottom - top) / rows
    cards, numbers = [], []
    for i in range(n_options):
        r, c = divmod(i, columns)
        x0, y0 = left + c * cw, top + r * ch
        cards.append(Box(x0 + 4, y0 + 4, x0 + cw - 4, y0 + ch - 4))
        numbers.append(Box(x0 + cw * 0.40, y0 + ch * 0.42, x0 + cw - 12, y0 + ch - 12))
    return Layout(
        cards=tuple(cards),
        numbers=tuple(numbers),
        valid=Box(250, 1020, 420, 1075),
        null=Box(700, 1020, 870, 1075),
        table=Box(640, 150, 960, 200),
        header=Box(30, 20, 970, 205),
        signatures=Box(30, 1095, 730, 1380),
        qr=Box(765, 1120, 965, 1320),
    )
