"""Validation rules: each a small function with a stable code, returning findings.

Rules judge one submission's counts against the election and what the registry
knows; they never drop anything. All findings of all rules are collected.

=========================  ========  ==============================================
code                       severity  meaning
=========================  ========  ==============================================
sum.valid_mismatch         error     printed valid votes differ from the candidate sum
turnout.over_registered    error     valid + null (+ invalid) exceed registered voters
turnout.high               warning   votes-cast turnout, (valid + null + invalid) /
                                     registered, above 95 % (docs/forensics.md,
                                     "Turnout definitions"; not the forensic one)
registered.zero            warning   a table with votes and 0 registered voters
acta.all_zero              error     every count on the acta is zero
acta.unanimous             warning   one candidate has every valid vote (10 or more)
null.high                  warning   null votes above 10 % of votes cast
table.unknown              error     the table is not in the registry / its top region unknown
table.registered_mismatch  warning   the acta's registered voters differ from the registry
=========================  ========  ==============================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from actas.core.model import Counts, Election, Finding, Severity, TableId

__all__ = ["RULES", "Context", "check"]


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules may know beyond the acta itself."""

    election: Election
    registry_registered: Mapping[str, int] | None = None  # table id -> registered voters
    registry_tables: frozenset[str] | None = None  # every table in the registry, if loaded


Rule = Callable[[TableId, Counts, Context], list[Finding]]


def _f(code: str, sev: Severity, msg: str, table: TableId, *fields: str) -> Finding:
    return Finding(code, sev, msg, table, fields)


def valid_sum(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    if c.valid_reported is not None and c.valid_reported != c.valid:
        return [
            _f(
                "sum.valid_mismatch",
                Severity.ERROR,
                f"candidate votes add up to {c.valid}, the acta says {c.valid_reported} valid",
                t,
                "valid",
                "votes",
            )
        ]
    return []


def _registered(t: TableId, c: Counts, ctx: Context) -> int | None:
    if c.registered is not None:
        return c.registered
    if ctx.registry_registered is not None:
        return ctx.registry_registered.get(t)
    return None


def turnout(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    reg = _registered(t, c, ctx)
    if reg is None:
        return []
    cast = c.valid + (c.null or 0) + (c.invalid or 0)
    if reg == 0:
        if cast > 0:
            return [
                _f("registered.zero", Severity.WARNING, "votes at a table with 0 registered", t)
            ]
        return []
    if cast > reg:
        return [
            _f(
                "turnout.over_registered",
                Severity.ERROR,
                f"{cast} votes cast but only {reg} registered voters",
                t,
                "registered",
            )
        ]
    if cast * 100 > reg * 95:
        return [
            _f(
                "turnout.high",
                Severity.WARNING,
                f"turnout {cast}/{reg} is above 95 %",
                t,
                "registered",
            )
        ]
    return []


def all_zero(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    if c.valid == 0 and not c.null and not c.invalid:
        return [_f("acta.all_zero", Severity.ERROR, "every count on the acta is zero", t)]
    return []


def unanimous(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    if c.valid >= 10 and max(c.votes) == c.valid:
        name = ctx.election.candidates[c.votes.index(c.valid)].name
        return [_f("acta.unanimous", Severity.WARNING, f"{name} has all {c.valid} valid votes", t)]
    return []


def null_share(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    if c.null and c.null * 10 > c.valid + c.null:
        return [_f("null.high", Severity.WARNING, f"{c.null} null votes is over 10 % of votes", t)]
    return []


def known_table(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    if ctx.registry_tables is not None:
        if t not in ctx.registry_tables:
            return [_f("table.unknown", Severity.ERROR, f"table {t} is not in the registry", t)]
        return []
    names = ctx.election.region_names
    if names:
        top = ctx.election.scheme.top_code(t)
        if top not in names:
            level = ctx.election.levels[0].name
            return [_f("table.unknown", Severity.ERROR, f"{level} {top} does not exist", t)]
    return []


def registry_match(t: TableId, c: Counts, ctx: Context) -> list[Finding]:
    if c.registered is None or ctx.registry_registered is None:
        return []
    known = ctx.registry_registered.get(t)
    if known is not None and known != c.registered:
        return [
            _f(
                "table.registered_mismatch",
                Severity.WARNING,
                f"acta says {c.registered} registered, the registry {known}",
                t,
                "registered",
            )
        ]
    return []


RULES: tuple[Rule, ...] = (
    known_table,
    valid_sum,
    turnout,
    registry_match,
    all_zero,
    unanimous,
    null_share,
)


def check(table_id: TableId, counts: Counts, ctx: Context) -> list[Finding]:
    """Run every rule; return all findings, in rule order."""
    if _quiet(table_id, counts, ctx):
        return []
    out: list[Finding] = []
    for rule in RULES:
        out.extend(rule(table_id, counts, ctx))
    return out


def _quiet(t: TableId, c: Counts, ctx: Context) -> bool:
    """True only when no rule has anything to say: the usual acta, checked in one pass
    (imports check every row). Conservative: False sends the acta through every rule;
    a property test holds every rule silent whenever this says True."""
    votes = c.votes
    valid = sum(votes)
    null = c.null or 0
    if c.valid_reported is not None and c.valid_reported != valid:
        return False
    if valid == 0 or (valid >= 10 and max(votes) == valid) or null * 10 > valid + null:
        return False
    if ctx.registry_tables is not None:
        if t not in ctx.registry_tables:
            return False
    else:
        names = ctx.election.region_names
        if names and ctx.election.scheme.top_code(t) not in names:
            return False
    known = None if ctx.registry_registered is None else ctx.registry_registered.get(t)
    reg = c.registered
    if reg is None:
        reg = known
    elif known is not None and known != reg:
        return False
    if reg is None:
        return True
    return reg > 0 and (valid + null + (c.invalid or 0)) * 100 <= reg * 95
