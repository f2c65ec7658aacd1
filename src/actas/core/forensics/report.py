"""Run every screen over a TableData and assemble a JSON-ready report.

:func:`run_screens` returns the :class:`~actas.core.forensics.result.ScreenResult`
of each table-level method; :func:`analyse` adds the claim comparisons, the
round-percentage test of each claim and the stratified projection, and
returns plain ``dict``/``list``/``int``/``float``/``str``/``None`` that
``json.dumps`` accepts as strict JSON (flagged rows as table ids).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from actas.core.errors import InputError
from actas.core.forensics.claims import Claim, compare_claim
from actas.core.forensics.digits import digit_pair_test, last_digit_test, second_digit_test
from actas.core.forensics.fingerprint import fingerprint_of
from actas.core.forensics.integer_pct import integer_pct_test
from actas.core.forensics.outliers import outlier_screens
from actas.core.forensics.projection import stratified_projection
from actas.core.forensics.result import ScreenResult, jsonable
from actas.core.forensics.roundpct import round_percentage_test
from actas.core.forensics.sanity import all_zero, high_turnout, turnout_over_100, unanimous
from actas.core.forensics.tabledata import TableData

__all__ = ["REPORT_SCHEMA", "analyse", "claim_scope", "run_screens"]

REPORT_SCHEMA = "actas.core.forensics.report/1"


def _skipped(name: str, reason: str) -> ScreenResult:
    return ScreenResult(
        name=name,
        inputs="",
        statistic_name="not_run",
        statistic=None,
        caveat=reason,
        details={"skipped": reason},
    )


def run_screens(
    data: TableData,
    *,
    seed: int,
    nrep: int = 1000,
    high_turnout_threshold: float = 0.95,
    unanimous_min_valid: int = 10,
    outlier_level: int | str = 0,
    outlier_threshold: float = 3.5,
    outlier_min_group: int = 10,
    digit_min_n: int = 100,
    integer_method: Literal["exact", "resample"] = "exact",
) -> tuple[ScreenResult, ...]:
    """Every table-level screen, in a fixed order.

    Screens that need registered voters or regions are reported as not run
    when those are missing. Digit tests run for each candidate with at least
    ``digit_min_n`` eligible counts and a median count of at least 10 (2BL,
    pairs) or 100 (last digit): for candidates with mostly tiny counts the
    tests only measure the small-count bias.
    """
    out: list[ScreenResult] = [
        turnout_over_100(data),
        high_turnout(data, high_turnout_threshold),
        all_zero(data),
        unanimous(data, unanimous_min_valid),
    ]
    reg = data.registered_or_missing()
    if np.any(reg > 0):
        out.append(fingerprint_of(data).to_screen())
        out.append(
            integer_pct_test(
                reg,
                data.turnout_numerator(),
                data.leader_denominator(),
                data.winner_votes,
                seed=seed,
                nrep=nrep,
                method=integer_method,
            ).to_screen()
        )
    else:
        reason = "registered voters per table are unknown"
        out += [_skipped("fingerprint", reason), _skipped("integer_percentages", reason)]
    if data.region_levels:
        out += outlier_screens(
            data, level=outlier_level, threshold=outlier_threshold, min_group=outlier_min_group
        )
    else:
        out.append(_skipped("outliers", "the tables have no region codes"))
    for j, cid in enumerate(data.candidate_ids):
        col = data.votes[:, j]
        median = float(np.median(col)) if col.size else 0.0
        if int((col >= 10).sum()) >= digit_min_n and median >= 10:
            out.append(second_digit_test(col, label=cid))
            out.append(digit_pair_test(col, label=cid))
        if int((col >= 100).sum()) >= digit_min_n and median >= 100:
            out.append(last_digit_test(col, label=cid))
    return tuple(out)


def claim_scope(data: TableData, claim: Claim) -> NDArray[np.bool_]:
    """Rows of ``data`` inside the claim's region (all rows for a national claim)."""
    if claim.region is None:
        return np.ones(data.n_tables, dtype=bool)
    for codes in data.regions:
        mask: NDArray[np.bool_] = codes == claim.region
        if mask.any():
            return mask
    raise InputError(f"claim region {claim.region!r} matches no table's region code")


def _claim_section(
    data: TableData,
    claim: Claim,
    missing_registered: int | None,
    max_turnout: float,
) -> dict[str, Any]:
    rows = claim_scope(data, claim)
    sums = data.votes[rows].sum(axis=0)
    collected = {c: int(s) for c, s in zip(data.candidate_ids, sums, strict=True)}
    valid = int(data.valid[rows].sum())
    missing_reg = missing_registered if claim.region is None else None
    reg = data.registered_or_missing()[rows]
    if missing_reg is None and claim.registered is not None and np.all(reg >= 0):
        gap = claim.registered - int(reg.sum())
        missing_reg = gap if gap >= 0 else None
    comparison = compare_claim(
        claim, collected, valid, missing_registered=missing_reg, max_turnout=max_turnout
    )
    labels = [c for c, _ in claim.votes]
    counts = [v for _, v in claim.votes]
    section: dict[str, Any] = {"comparison": comparison.to_json()}
    if len(counts) >= 2 and sum(counts) > 0:
        rp = round_percentage_test(counts, claim.valid, labels=labels)
        section["round_percentages"] = rp.to_screen().to_json()
    return section


def analyse(
    data: TableData,
    *,
    seed: int,
    nrep: int = 1000,
    claims: Sequence[Claim] = (),
    frame_tables: Mapping[str, int] | None = None,
    stratum_level: int | str | None = 0,
    missing_registered: int | None = None,
    max_turnout: float = 1.0,
    flag_limit: int | None = None,
    **screen_options: Any,
) -> dict[str, Any]:
    """All screens, claim comparisons and the projection as one JSON-ready dict.

    ``frame_tables`` gives the tables per stratum in the frame for the
    projection (strata at ``stratum_level``); ``missing_registered`` the
    registered voters in national tables not collected (else derived from a claim's
    ``registered`` when every collected table has a registered count).
    ``screen_options`` are passed to :func:`run_screens`.
    """
    screens = run_screens(data, seed=seed, nrep=nrep, **screen_options)
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "tables": data.n_tables,
        "candidates": list(data.candidate_ids),
        "winner": data.candidate_ids[data.winner_index] if data.n_candidates else None,
        "seed": seed,
        "nrep": nrep,
        "methods": [s.to_json(data.table_ids, flag_limit) for s in screens],
        "claims": [_claim_section(data, c, missing_registered, max_turnout) for c in claims],
        "projection": None,
    }
    if stratum_level is not None and data.region_levels and data.n_tables >= 2:
        strata = data.region_codes(stratum_level)
        proj = stratified_projection(
            strata, data.votes, data.valid, data.candidate_ids, frame_tables
        )
        report["projection"] = proj.to_json()
    result: dict[str, Any] = jsonable(report)
    return result
