"""``actas conflicts``: one table per conflicting acta, candidate × source.

Each column is one logged version (its leaf and channel); each row a candidate, by
name, then the other counts the sources carry. A row whose sources disagree is
marked ``≠`` and printed bold, so the numbers in dispute are the ones the eye finds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

__all__ = ["conflict_rows", "conflict_table"]

_OTHER_COUNTS = ("valid", "null", "invalid", "registered", "ballots", "valid_reported")


def conflict_rows(
    conflict: Mapping[str, Any], names: Sequence[str]
) -> list[tuple[str, list[int | None], bool]]:
    """``(label, value per version, whether the versions differ)`` for each count."""
    counts = [v["counts"] or {} for v in conflict["versions"]]
    rows: list[tuple[str, list[int | None], bool]] = []
    width = max((len(c.get("votes") or ()) for c in counts), default=0)
    for i in range(width):
        label = names[i] if i < len(names) else f"#{i + 1}"
        values = [_at(c.get("votes"), i) for c in counts]
        rows.append((label, values, _differ(values)))
    for key in _OTHER_COUNTS:
        if key == "valid":
            values = [sum(c["votes"]) if c.get("votes") else None for c in counts]
        else:
            values = [c.get(key) for c in counts]
        if any(v is not None for v in values):
            rows.append((key, values, _differ(values)))
    return rows


def conflict_table(conflict: Mapping[str, Any], names: Sequence[str]) -> Table:
    """The rich table ``actas conflicts`` prints for one conflicting acta."""
    table = Table(title=f"{conflict['table_id']} differs in {', '.join(conflict['differing'])}")
    table.add_column("")
    table.add_column("candidate")
    for v in conflict["versions"]:
        flags = f"\n{', '.join(v['findings'])}" if v["findings"] else ""
        table.add_column(f"leaf {v['seq']}\n{v['channel']}{flags}", justify="right")
    for label, values, differs in conflict_rows(conflict, names):
        style = "bold" if differs else ""
        cells = [Text("—" if x is None else f"{x:,}", style=style) for x in values]
        table.add_row(Text("≠" if differs else "", style="bold red"), Text(label), *cells)
    return table


def _at(votes: Sequence[int] | None, i: int) -> int | None:
    return int(votes[i]) if votes is not None and i < len(votes) else None


def _differ(values: Sequence[int | None]) -> bool:
    known = {v for v in values if v is not None}
    return len(known) > 1
