"""Forensic analysis of the stored results, and official claims as data. Wiring only.

The store's counted tables become a :class:`~actas.core.forensics.TableData`
(registered voters, null votes and ballots where known; one array of region
codes per level of the election's table-id scheme), the stored claims become
:class:`~actas.core.forensics.Claim` values, and :func:`actas.core.forensics.analyse`
does the rest. Nothing here knows which country it is looking at.

    import_claims(ctx)                   # the election's built-in claims file
    import_claims(ctx, data, "cne.json") # or any claims file (docs/claims.md)
    report = analyse(ctx, seed=1)        # JSON-ready dict (docs/forensics.md)

``ctx`` is a :class:`~actas.app.context.Context` (a ``Service`` is one).

A claims file is logged as one ``event`` submission, byte for byte as
received, and its parsed claims are kept in the store's ``meta`` table under
:data:`CLAIMS_KEY`. A file that is not a valid claims file is refused and not
logged, as the importer refuses files that are not tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from actas.core import forensics
from actas.core.errors import DefinitionError, InputError, NotFound
from actas.core.forensics.claimset import CLAIMS_FORMAT, ClaimSet, parse_claim_set
from actas.core.forensics.tabledata import IntArray
from actas.core.model import Source, Submission, SubmissionKind, TableIdScheme

if TYPE_CHECKING:
    from actas.app.context import Context

__all__ = [
    "CLAIMS_KEY",
    "DIGIT_NOTE",
    "analyse",
    "builtin_claims",
    "fingerprint_svg",
    "import_claims",
    "parse_claims_json",
    "stored_claims",
    "table_data",
]

#: the ``meta`` key holding the imported claims files (JSON)
CLAIMS_KEY = "claims"
BUILTIN_CLAIMS = "claims.json"

DIGIT_NOTE = (
    "The digit tests (2BL, last digit, digit pairs) are not evidence of fraud at table "
    "level: they reject on genuine tally sheets (the Venezuelan 2024 opposition actas, "
    "judged authentic by independent reviews, fail 2BL with chi2 ~ 116). Read them as "
    "descriptions of the counts, never as a verdict on a table or an election."
)


# ----------------------------------------------------------------- claims


def parse_claims_json(
    data: bytes | str,
    origin: str = "<claims>",
    *,
    election: str | None = None,
    candidate_ids: Collection[str] | None = None,
) -> ClaimSet:
    """Decode and validate a claims file (docs/claims.md); errors name ``origin``."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(f"{origin}: not valid JSON: {exc}") from None
    try:
        return parse_claim_set(raw, election=election, candidate_ids=candidate_ids)
    except DefinitionError as exc:
        raise DefinitionError(f"{origin}: {exc}") from None


def builtin_claims(election_id: str) -> bytes:
    """The claims file shipped with a built-in election (``elections/<id>/claims.json``)."""
    path = resources.files("actas.adapters.elections") / election_id / BUILTIN_CLAIMS
    if not path.is_file():
        raise NotFound(f"election {election_id!r} has no built-in claims file")
    return path.read_bytes()


def _stored(ctx: Context) -> list[dict[str, Any]]:
    text = ctx.store.get_meta(CLAIMS_KEY)
    if text is None:
        return []
    files: list[dict[str, Any]] = json.loads(text)["files"]
    return files


def _check_regions(ctx: Context, claims: ClaimSet, origin: str) -> None:
    for claim in claims.claims():
        if claim.region is None:
            continue
        try:
            ctx.election.scheme.level_of(claim.region)
        except ValueError as exc:
            raise DefinitionError(f"{origin}: region {claim.region!r}: {exc}") from None


def import_claims(ctx: Context, data: bytes | None = None, name: str = "") -> dict[str, Any]:
    """Log a claims file and keep its claims; ``data=None`` takes the built-in file.

    Returns a summary: file name, SHA-256, the leaf index (``seq``) of the
    logged event, the number of claims, and ``duplicate`` when the same bytes
    were imported before (then nothing is logged again).
    """
    if data is None:
        data = builtin_claims(ctx.election.id)
        name = name or f"{ctx.election.id}/{BUILTIN_CLAIMS} (built-in)"
    name = name or "claims.json"
    claims = parse_claims_json(
        data,
        name,
        election=ctx.election.id,
        candidate_ids={c.id for c in ctx.election.candidates},
    )
    _check_regions(ctx, claims, name)
    sha = hashlib.sha256(data).hexdigest()
    summary: dict[str, Any] = {
        "file": name,
        "sha256": sha,
        "claims": len(claims.claims()),
        "labels": [c.label + (f" ({c.region})" if c.region else "") for c in claims.claims()],
    }
    received = ctx.clock()
    event = Submission(
        kind=SubmissionKind.EVENT,
        source=Source("claims", name, sha),
        received_at=received,
        raw=data,
        meta={"event": "claims", "format": CLAIMS_FORMAT},
    )
    files = _stored(ctx)
    for f in files:
        if f["sha256"] == sha:
            return {**summary, "seq": f["seq"], "duplicate": True}
    with ctx.store.write() as conn:
        (seq,) = ctx.log.append(conn, [event])
        files.append(
            {
                "name": name,
                "sha256": sha,
                "seq": seq,
                "received_at": received,
                "claims": claims.to_json(),
            }
        )
        ctx.store.set_meta(
            CLAIMS_KEY,
            json.dumps({"files": files}, ensure_ascii=False, separators=(",", ":")),
            conn,
        )
    return {**summary, "seq": seq, "duplicate": False}


def stored_claims(ctx: Context) -> list[dict[str, Any]]:
    """Every imported claims file: name, SHA-256, leaf, receipt time and its claims."""
    return _stored(ctx)


def _claim_sets(ctx: Context) -> list[tuple[dict[str, Any], ClaimSet]]:
    return [(f, parse_claim_set(f["claims"])) for f in _stored(ctx)]


# ----------------------------------------------------------------- data


def table_data(ctx: Context, winner: str | None = None) -> forensics.TableData:
    """The counted tables (not those in conflict) as TableData.

    ``valid`` is the sum of the candidates' votes, as in the tally; ``null``
    is given only when every counted table knows it; registered voters and
    ballots are ``-1`` where unknown (and left out when no table knows them).
    """
    election = ctx.election
    ids = [c.id for c in election.candidates]
    if winner is not None and winner not in ids:
        raise InputError(f"unknown winner {winner!r}; candidates: {', '.join(ids)}")
    with ctx.store.read() as conn:
        rows = ctx.store.counted_counts(conn)
    if not rows:
        raise InputError("no counted tables to analyse; import results first")
    table_ids = [t for t, _ in rows]
    counts: list[dict[str, Any]] = json.loads("[" + ",".join(j for _, j in rows) + "]")
    n = len(rows)

    def column(key: str) -> IntArray:
        return np.fromiter(
            (-1 if (v := c.get(key)) is None else v for c in counts), dtype=np.int64, count=n
        )

    votes = np.array([c["votes"] for c in counts], dtype=np.int64).reshape(n, len(ids))
    null, registered, ballots = column("null"), column("registered"), column("ballots")
    return forensics.TableData(
        table_ids=tuple(table_ids),
        candidate_ids=tuple(ids),
        votes=votes,
        valid=votes.sum(axis=1),
        null=null if bool(np.all(null >= 0)) else None,
        registered=registered if bool(np.any(registered >= 0)) else None,
        ballots=ballots if bool(np.any(ballots >= 0)) else None,
        region_levels=tuple(lv.id for lv in election.levels),
        regions=tuple(
            np.array(_level_codes(election.scheme, table_ids, i), dtype=np.str_)
            for i in range(len(election.levels))
        ),
        winner=None if winner is None else ids.index(winner),
    )


def _level_codes(scheme: TableIdScheme, table_ids: Sequence[str], level: int) -> list[str]:
    """Region codes at ``level`` of canonical table ids (the store holds only those)."""
    if not scheme.separator:
        width = sum(lv.width for lv in scheme.levels[: level + 1])
        return [t[:width] for t in table_ids]
    sep, tsep, keep = scheme.separator, scheme.table_separator, level + 1
    return [sep.join(t.rpartition(tsep)[0].split(sep)[:keep]) for t in table_ids]


def _frame(ctx: Context, data: forensics.TableData) -> tuple[dict[str, int] | None, list[str]]:
    """Tables per top-level region from the registry, when it covers the collected tables."""
    level = ctx.election.levels[0].id
    registry = ctx.store.registry()
    if not registry:
        expected = ctx.election.expected_tables
        total = f" (the definition expects {expected:,} tables nationally)" if expected else ""
        return None, [
            f"No registry of tables is loaded, so the tables per {level} in the frame are "
            f"unknown{total}: the projection weights each {level} by its collected tables "
            "and applies no finite-population correction."
        ]
    frame: dict[str, int] = {}
    for t in registry:
        try:
            top = ctx.election.scheme.region_codes(t)[0]
        except ValueError:
            continue
        frame[top] = frame.get(top, 0) + 1
    strata, counts = np.unique(data.region_codes(0), return_counts=True)
    bad = [
        str(s) for s, c in zip(strata.tolist(), counts.tolist(), strict=True) if frame.get(s, 0) < c
    ]
    if bad:
        return None, [
            f"The registry has fewer tables than were collected in {len(bad)} {level}(s) "
            f"({', '.join(bad[:5])}): the frame is treated as unknown."
        ]
    return frame, [f"Frame: {sum(frame.values()):,} tables per {level} from the registry."]


def _missing_registered(ctx: Context, data: forensics.TableData) -> tuple[int | None, list[str]]:
    expected = ctx.election.expected_registered
    reg = data.registered_or_missing()
    if expected is None:
        return None, []
    if reg.size == 0 or bool(np.any(reg < 0)):
        return None, [
            "Registered voters are not known for every collected table, so the registered "
            "voters of the missing tables (and the turnout bound on missing votes) are unknown."
        ]
    missing = expected - int(reg.sum())
    if missing < 0:
        return None, [
            f"The collected tables hold more registered voters than the definition's total "
            f"({expected:,}); no turnout bound on missing votes is computed."
        ]
    return missing, [
        f"Registered voters in tables not collected: {expected:,} expected − "
        f"{int(reg.sum()):,} collected = {missing:,}."
    ]


# ----------------------------------------------------------------- analysis


def analyse(
    ctx: Context,
    *,
    seed: int = 0,
    nrep: int = 1000,
    flag_limit: int | None = 100,
    winner: str | None = None,
    data: forensics.TableData | None = None,
) -> dict[str, Any]:
    """Every forensic method over the counted tables, with the stored claims.

    The result is :func:`actas.core.forensics.analyse`'s report plus ``election``,
    ``coverage``, ``claim_files`` and ``notes`` (what was known, what was
    assumed, and the plain statement that digit tests are not evidence of
    fraud at table level). ``flag_limit`` caps the table ids listed per
    method (``None``: all); counts are always complete.
    """
    if nrep < 1:
        raise InputError("nrep must be at least 1")
    if data is None:
        data = table_data(ctx, winner)
    notes: list[str] = []
    frame, frame_notes = _frame(ctx, data)
    missing_reg, reg_notes = _missing_registered(ctx, data)
    notes += frame_notes + reg_notes
    claims: list[forensics.Claim] = []
    files = []
    region_codes = {str(c) for codes in data.regions for c in np.unique(codes).tolist()}
    for f, cs in _claim_sets(ctx):
        files.append({k: f[k] for k in ("name", "sha256", "seq", "received_at")})
        for claim in cs.claims():
            if claim.region is not None and claim.region not in region_codes:
                notes.append(
                    f"Claim {claim.label!r} for region {claim.region} is not compared: "
                    "no table of that region was collected."
                )
                continue
            claims.append(claim)
    if not files:
        notes.append("No official claims are imported ('actas claims import').")
    if data.null is None:
        notes.append("Null votes are not known for every table; they are left out.")
    notes.append(DIGIT_NOTE)
    report = forensics.analyse(
        data,
        seed=seed,
        nrep=nrep,
        claims=claims,
        frame_tables=frame,
        stratum_level=0,
        missing_registered=missing_reg,
        flag_limit=flag_limit,
    )
    for section, claim in zip(report["claims"], claims, strict=True):
        note, comparable = _scope_note(claim, data.n_tables, ctx.election.expected_tables)
        section["scope_note"] = note
        section["scope_comparable"] = comparable
    e = ctx.election
    report["election"] = {
        "id": e.id,
        "name": e.name,
        "name_en": e.name_en,
        "levels": [lv.id for lv in e.levels],
        "expected_tables": e.expected_tables,
        "expected_registered": e.expected_registered,
        "expected_source": e.expected_source,
    }
    report["coverage"] = _coverage(ctx, data)
    report["claim_files"] = files
    report["notes"] = notes
    return report


def _scope_note(claim: forensics.Claim, collected: int, expected: int | None) -> tuple[str, bool]:
    """What the claim-versus-actas bounds assume about the claim's tables, and whether
    that can hold (not when the claim covers fewer tables than were collected)."""
    base = "The bounds assume that the tables behind the claim include every collected table."
    share = claim.tables_share
    if claim.region is not None or share is None or share >= 1 or not expected:
        return base, True
    ours = collected / expected
    if share < ours:
        return (
            f"{base} That cannot hold here: the claim covers {100 * share:.2f} % of the tables "
            f"by its own account, fewer than the {100 * ours:.2f} % collected. Read its gaps "
            "as differences between two partial counts, not as contradictions."
        ), False
    return (
        f"{base} The claim covers {100 * share:.2f} % of the tables by its own account and "
        f"{100 * ours:.2f} % were collected, so this is possible but not known."
    ), True


def _coverage(ctx: Context, data: forensics.TableData) -> dict[str, Any]:
    expected = ctx.election.expected_tables
    reg = data.registered_or_missing()
    return {
        "tables_counted": data.n_tables,
        "expected_tables": expected,
        "table_share": data.n_tables / expected if expected else None,
        "tables_with_registered": int((reg >= 0).sum()),
        "tables_with_ballots": 0 if data.ballots is None else int((data.ballots >= 0).sum()),
        "null_known": data.null is not None,
    }


def fingerprint_svg(ctx: Context, data: forensics.TableData | None = None) -> str:
    """The turnout × winner-share fingerprint of the counted tables as an SVG document."""
    if data is None:
        data = table_data(ctx)
    if data.registered is None:
        raise InputError("the fingerprint needs registered voters per table")
    fp = forensics.fingerprint_of(data)
    winner = ctx.election.candidates[data.winner_index]
    title = f"{ctx.election.name_en or ctx.election.name}: {fp.used:,} tables"
    return forensics.render_fingerprint_svg(
        fp, title=title, y_label=f"{winner.short or winner.name} share of valid votes (%)"
    )
