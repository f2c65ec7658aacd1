"""Forensic analysis of collected tally sheets: a pure core.

Numbers in, frozen dataclasses and plain JSON out; no files, clock,
environment or global random state (seeds are arguments). Modules:

* :mod:`~actas.core.forensics.tabledata` – :class:`TableData`, per-table arrays;
* :mod:`~actas.core.forensics.claims` – official claims, comparison and bounds;
* :mod:`~actas.core.forensics.claimset` – a claims file (``docs/claims.md``);
* :mod:`~actas.core.forensics.roundpct` – round-percentage test of claimed counts;
* :mod:`~actas.core.forensics.projection` – (stratified) ratio estimates;
* :mod:`~actas.core.forensics.sanity` – turnout > 100 %, high turnout, all-zero, unanimous;
* :mod:`~actas.core.forensics.fingerprint` – Klimek turnout × winner-share histogram, SVG;
* :mod:`~actas.core.forensics.integer_pct` – Kobak integer-percentage test;
* :mod:`~actas.core.forensics.digits` – 2BL, last-digit and digit-pair tests;
* :mod:`~actas.core.forensics.outliers` – robust z-scores within regions;
* :mod:`~actas.core.forensics.report` – :func:`run_screens` and :func:`analyse`.

The methods, formulas, caveats and reference values are in ``docs/forensics.md``.
"""

from __future__ import annotations

from actas.core.forensics.claims import (
    OTHERS,
    CandidateComparison,
    Claim,
    ClaimComparison,
    compare_claim,
    parse_claim,
)
from actas.core.forensics.claimset import CLAIMS_FORMAT, ClaimEntry, ClaimSet, parse_claim_set
from actas.core.forensics.digits import (
    BENFORD_2BL,
    BENFORD_2BL_MEAN,
    BENFORD_2BL_SD,
    digit_pair_test,
    last_digit_test,
    second_digit_test,
    second_digits,
)
from actas.core.forensics.fingerprint import (
    Fingerprint,
    fingerprint,
    fingerprint_of,
    render_fingerprint_svg,
)
from actas.core.forensics.integer_pct import (
    IntegerPctResult,
    inclusion_mask,
    integer_pct_probability,
    integer_pct_test,
    is_integer_pct,
)
from actas.core.forensics.outliers import outlier_screens, robust_z
from actas.core.forensics.projection import (
    Projection,
    RatioEstimate,
    StratumSummary,
    ratio_estimate,
    stratified_projection,
)
from actas.core.forensics.report import REPORT_SCHEMA, analyse, claim_scope, run_screens
from actas.core.forensics.result import ScreenResult, jsonable
from actas.core.forensics.roundpct import (
    DEFAULT_STEPS,
    GridFit,
    RoundPctResult,
    round_percentage_test,
)
from actas.core.forensics.sanity import all_zero, high_turnout, turnout_over_100, unanimous
from actas.core.forensics.tabledata import TableData

__all__ = [
    "BENFORD_2BL",
    "BENFORD_2BL_MEAN",
    "BENFORD_2BL_SD",
    "CLAIMS_FORMAT",
    "DEFAULT_STEPS",
    "OTHERS",
    "REPORT_SCHEMA",
    "CandidateComparison",
    "Claim",
    "ClaimComparison",
    "ClaimEntry",
    "ClaimSet",
    "Fingerprint",
    "GridFit",
    "IntegerPctResult",
    "Projection",
    "RatioEstimate",
    "RoundPctResult",
    "ScreenResult",
    "StratumSummary",
    "TableData",
    "all_zero",
    "analyse",
    "claim_scope",
    "compare_claim",
    "digit_pair_test",
    "fingerprint",
    "fingerprint_of",
    "high_turnout",
    "inclusion_mask",
    "integer_pct_probability",
    "integer_pct_test",
    "is_integer_pct",
    "jsonable",
    "last_digit_test",
    "outlier_screens",
    "parse_claim",
    "parse_claim_set",
    "ratio_estimate",
    "render_fingerprint_svg",
    "robust_z",
    "round_percentage_test",
    "run_screens",
    "second_digit_test",
    "second_digits",
    "stratified_projection",
    "turnout_over_100",
    "unanimous",
]
