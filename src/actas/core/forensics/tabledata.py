"""Table-level results as numpy arrays: the input of every screen.

A :class:`TableData` holds one row per table (mesa, polling station): its id,
its region code at each level, registered voters, ballots, valid and null
votes, and the votes per candidate. Unknown registered or ballot counts are
``-1``; a whole column that is unknown may be left ``None``. The arrays are
copied and made read-only on construction, so a ``TableData`` is immutable.

Derived quantities used by several screens are defined once here:

* **turnout numerator** – ballots issued when known, else valid + null (when
  null is known), else valid votes;
* **turnout** – turnout numerator / registered, NaN where registered is
  unknown or zero;
* **winner share** – winner votes / valid votes (Klimek et al.), NaN where
  valid is zero;
* **leader denominator** – valid + null when null is known, else valid: the
  "ballots in the boxes" denominator Kobak et al. use for the leader's
  percentage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.core.errors import InputError

__all__ = ["FloatArray", "IntArray", "TableData"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def _ints(name: str, values: object, n: int | None, *, ndim: int = 1) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if (
        arr.size
        and not np.issubdtype(arr.dtype, np.integer)
        and not np.all(np.equal(np.mod(arr, 1), 0))
    ):
        raise InputError(f"{name}: counts must be whole numbers")
    out = np.array(arr, dtype=np.int64, copy=True)
    if n is not None and out.shape[0] != n:
        raise InputError(f"{name}: expected {n} rows, got {out.shape[0]}")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class TableData:
    """Per-table counts for one contest; every array has one row per table.

    ``votes`` is ``[tables × candidates]`` in the order of ``candidate_ids``.
    ``regions`` has one array of codes per entry of ``region_levels``
    (outermost first, e.g. state, municipality, parish). ``winner`` is the
    column of the declared winner; ``None`` means the candidate with the most
    votes over all tables.
    """

    table_ids: tuple[str, ...]
    candidate_ids: tuple[str, ...]
    votes: IntArray
    valid: IntArray
    null: IntArray | None = None
    registered: IntArray | None = None
    ballots: IntArray | None = None
    region_levels: tuple[str, ...] = ()
    regions: tuple[NDArray[np.str_], ...] = ()
    winner: int | None = None

    def __post_init__(self) -> None:
        n = len(self.table_ids)
        if len(set(self.table_ids)) != n:
            raise InputError("table_ids: duplicate table id")
        votes = _ints("votes", self.votes, n, ndim=2)
        if votes.shape[1] != len(self.candidate_ids):
            raise InputError(
                f"votes: {votes.shape[1]} columns for {len(self.candidate_ids)} candidate ids"
            )
        if len(set(self.candidate_ids)) != len(self.candidate_ids):
            raise InputError("candidate_ids: duplicate candidate id")
        if np.any(votes < 0):
            raise InputError("votes: negative count")
        object.__setattr__(self, "table_ids", tuple(str(t) for t in self.table_ids))
        object.__setattr__(self, "candidate_ids", tuple(str(c) for c in self.candidate_ids))
        object.__setattr__(self, "votes", votes)
        valid = _ints("valid", self.valid, n)
        if np.any(valid < 0):
            raise InputError("valid: negative count")
        object.__setattr__(self, "valid", valid)
        for name in ("null", "registered", "ballots"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = _ints(name, value, n)
            if np.any(arr < -1):
                raise InputError(f"{name}: counts must be >= 0 (or -1 for unknown)")
            if name == "null" and np.any(arr < 0):
                raise InputError("null: negative count")
            object.__setattr__(self, name, arr)
        if len(self.regions) != len(self.region_levels):
            raise InputError(
                f"regions: {len(self.regions)} arrays for {len(self.region_levels)} levels"
            )
        codes = []
        for level, arr_in in zip(self.region_levels, self.regions, strict=True):
            arr = np.array(arr_in, dtype=np.str_, copy=True)
            if arr.shape != (n,):
                raise InputError(f"regions[{level!r}]: expected {n} codes, got shape {arr.shape}")
            arr.setflags(write=False)
            codes.append(arr)
        object.__setattr__(self, "regions", tuple(codes))
        object.__setattr__(self, "region_levels", tuple(self.region_levels))
        if self.winner is not None and not 0 <= self.winner < len(self.candidate_ids):
            raise InputError(f"winner: index {self.winner} out of range")

    # -- sizes ---------------------------------------------------------------

    @property
    def n_tables(self) -> int:
        return len(self.table_ids)

    @property
    def n_candidates(self) -> int:
        return len(self.candidate_ids)

    @property
    def winner_index(self) -> int:
        """Column of the winner: the declared one, else the most-voted overall."""
        if self.winner is not None:
            return self.winner
        if self.n_tables == 0:
            return 0
        return int(np.argmax(self.votes.sum(axis=0)))

    @property
    def winner_votes(self) -> IntArray:
        out: IntArray = self.votes[:, self.winner_index]
        return out

    # -- derived counts ------------------------------------------------------

    def registered_or_missing(self) -> IntArray:
        """Registered voters, ``-1`` where unknown (all ``-1`` when not given)."""
        if self.registered is None:
            return np.full(self.n_tables, -1, dtype=np.int64)
        return self.registered

    def turnout_numerator(self) -> IntArray:
        """Ballots issued where known, else valid + null (or valid when null is unknown)."""
        cast = self.valid if self.null is None else self.valid + self.null
        if self.ballots is None:
            return cast
        out: IntArray = np.where(self.ballots >= 0, self.ballots, cast)
        return out

    def turnout_definition(self) -> dict[str, int | str]:
        """Which turnout the screens used: ``ballots_issued`` (the forensic turnout,
        docs/forensics.md "Turnout definitions"), with the tables where ballots issued
        were unknown and valid + null (or valid alone) stood in for them."""
        by_ballots = 0 if self.ballots is None else int((self.ballots >= 0).sum())
        fallback = "valid" if self.null is None else "valid + null"
        return {
            "turnout": "ballots_issued",
            "tables_by_ballots_issued": by_ballots,
            "tables_by_fallback": self.n_tables - by_ballots,
            "fallback": fallback,
        }

    def leader_denominator(self) -> IntArray:
        """Valid + null where null is known, else valid (Kobak's ballots-in-box count)."""
        return self.valid if self.null is None else self.valid + self.null

    def turnout(self) -> FloatArray:
        """Turnout per table; NaN where registered is unknown or zero."""
        reg = self.registered_or_missing()
        num = self.turnout_numerator().astype(np.float64)
        out = np.full(self.n_tables, np.nan)
        ok = reg > 0
        out[ok] = num[ok] / reg[ok]
        return out

    def winner_share(self) -> FloatArray:
        """Winner votes / valid votes per table; NaN where valid is zero."""
        out = np.full(self.n_tables, np.nan)
        ok = self.valid > 0
        out[ok] = self.winner_votes[ok] / self.valid[ok]
        return out

    def level_index(self, level: int | str) -> int:
        """Position of a region level given by index or name."""
        if isinstance(level, str):
            if level not in self.region_levels:
                raise InputError(f"unknown region level {level!r}; have {self.region_levels}")
            return self.region_levels.index(level)
        if not -len(self.region_levels) <= level < len(self.region_levels):
            raise InputError(f"region level {level} out of range")
        return level % len(self.region_levels)

    def region_codes(self, level: int | str) -> NDArray[np.str_]:
        return self.regions[self.level_index(level)]

    def subset(self, rows: Sequence[int] | NDArray[np.intp] | NDArray[np.bool_]) -> TableData:
        """A new TableData with only the given rows (indices or a boolean mask)."""
        idx = np.arange(self.n_tables)[np.asarray(rows)]

        def pick(a: IntArray | None) -> IntArray | None:
            return None if a is None else a[idx]

        return TableData(
            table_ids=tuple(self.table_ids[i] for i in idx),
            candidate_ids=self.candidate_ids,
            votes=self.votes[idx],
            valid=self.valid[idx],
            null=pick(self.null),
            registered=pick(self.registered),
            ballots=pick(self.ballots),
            region_levels=self.region_levels,
            regions=tuple(r[idx] for r in self.regions),
            winner=self.winner_index,
        )
