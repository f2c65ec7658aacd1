"""Deterministic table-level sanity screens.

Each function takes a :class:`~actas.core.forensics.tabledata.TableData` and
returns a :class:`~actas.core.forensics.result.ScreenResult` whose ``flagged`` rows
are the tables that fail the check. There is no null model: ``statistic`` is
the number of flagged tables and ``bound`` the threshold used.

* :func:`turnout_over_100` – more ballots (or votes cast) than registered voters;
* :func:`high_turnout` – turnout above an implausibility threshold (0.95);
* :func:`all_zero` – a table with no votes at all;
* :func:`unanimous` – one candidate with 100 % of the valid votes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from actas.core.errors import InputError
from actas.core.forensics.result import ScreenResult
from actas.core.forensics.tabledata import TableData

__all__ = ["all_zero", "high_turnout", "turnout_over_100", "unanimous"]


def _rows(mask: NDArray[np.bool_]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask))


def turnout_over_100(data: TableData) -> ScreenResult:
    """Tables with more ballots (else valid + null votes) than registered voters."""
    reg = data.registered_or_missing()
    known = reg >= 0
    mask = known & (data.turnout_numerator() > reg)
    return ScreenResult(
        name="turnout_over_100",
        inputs="per table: ballots (else valid + null votes) and registered voters",
        statistic_name="tables",
        statistic=int(mask.sum()),
        bound=1.0,
        caveat=(
            "More votes than registered voters is arithmetically impossible unless voters "
            "outside the roll (e.g. assisted or transferred voters) are legitimately added; "
            "it can also be a transcription error in either number."
        ),
        flagged=_rows(mask),
        details={"tables_with_registered": int(known.sum())},
    )


def high_turnout(data: TableData, threshold: float = 0.95) -> ScreenResult:
    """Tables whose turnout exceeds ``threshold`` (default 0.95), including > 100 %."""
    if not 0.0 < threshold <= 1.0:
        raise InputError("high_turnout: threshold must be in (0, 1]")
    turnout = data.turnout()
    known = ~np.isnan(turnout)
    mask = known & (np.nan_to_num(turnout, nan=0.0) > threshold)
    return ScreenResult(
        name="high_turnout",
        inputs="per table: ballots-issued turnout = ballots issued (else valid + null) "
        "/ registered (not the votes-cast turnout of the turnout.high finding)",
        statistic_name="tables",
        statistic=int(mask.sum()),
        bound=threshold,
        caveat=(
            "Very high turnout is implausible in most places but legitimate in some "
            "(small closed communities, hospitals, military units); compare with the region."
        ),
        flagged=_rows(mask),
        details={
            "tables_with_turnout": int(known.sum()),
            "threshold": threshold,
            **data.turnout_definition(),
        },
    )


def all_zero(data: TableData) -> ScreenResult:
    """Tables with no valid votes, no null votes and no ballots recorded."""
    mask = (data.valid == 0) & (data.votes.sum(axis=1) == 0)
    if data.null is not None:
        mask &= data.null == 0
    if data.ballots is not None:
        mask &= data.ballots <= 0
    return ScreenResult(
        name="all_zero",
        inputs="per table: candidate votes, valid, null and ballots",
        statistic_name="tables",
        statistic=int(mask.sum()),
        caveat=(
            "An all-zero table is usually a table that did not open or a sheet that was not "
            "filled in, and should be treated as missing rather than as zero votes."
        ),
        flagged=_rows(mask),
    )


def unanimous(data: TableData, min_valid: int = 10) -> ScreenResult:
    """Tables with at least ``min_valid`` valid votes where one candidate has them all."""
    if min_valid < 1:
        raise InputError("unanimous: min_valid must be >= 1")
    top = data.votes.max(axis=1) if data.n_candidates else np.zeros(data.n_tables, np.int64)
    mask = (data.valid >= min_valid) & (top == data.valid)
    winner_col = data.winner_index
    by_winner = int((mask & (data.votes[:, winner_col] == data.valid)).sum()) if mask.size else 0
    return ScreenResult(
        name="unanimous",
        inputs=f"per table: candidate votes and valid votes (tables with >= {min_valid} valid)",
        statistic_name="tables",
        statistic=int(mask.sum()),
        bound=1.0,
        caveat=(
            "A single candidate with every valid vote is rare but possible in small or "
            "homogeneous communities; it is a reason to look at the sheet, not proof."
        ),
        flagged=_rows(mask),
        details={"min_valid": min_valid, "for_winner": by_winner},
    )
