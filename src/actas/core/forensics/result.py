"""The outcome of one forensic screen, and its plain-JSON form.

Every screen in :mod:`actas.core.forensics` returns a :class:`ScreenResult`: what was
computed (``name``, ``inputs``), one headline number (``statistic``), a p-value
or a deterministic bound when the method has one, the tables it flags (as row
indices into the input arrays), free-form ``details`` and a ``caveat`` that
says what the number does *not* show. :func:`jsonable` turns any of these
values (numpy scalars, fractions, tuples, nested mappings) into plain
``dict``/``list``/``int``/``float``/``str``/``None`` for ``json.dumps``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["JSONValue", "ScreenResult", "jsonable"]

#: what :func:`jsonable` returns (recursively)
JSONValue = None | bool | int | float | str | list[Any] | dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """One method's outcome over a set of tables.

    ``flagged`` holds row indices into the arrays the screen was given (the
    report maps them to table ids). ``statistic`` is the method's headline
    number, named by ``statistic_name``; ``p_value`` is ``None`` for methods
    without a null model, ``bound`` for deterministic bounds.
    """

    name: str
    inputs: str
    statistic_name: str
    statistic: float | int | None
    caveat: str
    p_value: float | None = None
    bound: float | None = None
    flagged: tuple[int, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def to_json(
        self, table_ids: Sequence[str] | None = None, flag_limit: int | None = None
    ) -> dict[str, Any]:
        """Plain-JSON form; flagged rows become table ids when ``table_ids`` is given.

        ``flag_limit`` caps the listed ids (the count is always complete).
        """
        rows = self.flagged if flag_limit is None else self.flagged[:flag_limit]
        listed: list[Any] = [table_ids[i] for i in rows] if table_ids is not None else list(rows)
        return {
            "name": self.name,
            "inputs": self.inputs,
            "statistic_name": self.statistic_name,
            "statistic": jsonable(self.statistic),
            "p_value": jsonable(self.p_value),
            "bound": jsonable(self.bound),
            "caveat": self.caveat,
            "flagged_count": len(self.flagged),
            "flagged": listed,
            "details": jsonable(self.details),
        }


def jsonable(value: object) -> Any:
    """Convert ``value`` into plain JSON types, recursively.

    numpy scalars and arrays become Python numbers and lists, fractions become
    floats, tuples and sets become lists, mapping keys become strings. Non-finite
    floats (NaN, ±inf) become ``None`` so the output is strict JSON.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | Fraction):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    if hasattr(value, "to_json"):
        return jsonable(value.to_json())
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")
