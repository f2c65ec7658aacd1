"""``actas audit …`` and ``actas quickcount …``: thin commands over :mod:`actas.app.audits`.

Kept out of ``cli.py`` so that module stays small; ``cli.py`` only adds the two
groups. Errors are translated by ``cli_support.friendly``: an Actas error becomes a
message on stderr and the error's exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from actas.app import audits
from actas.cli.support import HomeOpt, JsonOpt, friendly, out, print_json, service
from actas.core.errors import InputError

__all__ = ["audit_app", "quickcount_app"]

audit_app = typer.Typer(
    help="Audits: commit the frame, log a public seed, draw, record, decide.",
    no_args_is_help=True,
)
rla_app = typer.Typer(help="Batch-comparison risk-limiting audits.", no_args_is_help=True)
audit_app.add_typer(rla_app, name="rla")
quickcount_app = typer.Typer(
    help="Quick counts: a stratified sample of tables and shares with intervals.",
    no_args_is_help=True,
)

ActorOpt = Annotated[str, typer.Option(help="Pseudonymous id of the person acting (logged).")]
AuditArg = Annotated[str, typer.Argument(help="Audit id, e.g. qc-1 or rla-2.")]
MarginOpt = Annotated[float, typer.Option(help="Target margin of error, e.g. 0.01.")]
ConfidenceOpt = Annotated[float, typer.Option(help="Confidence level of the intervals.")]
AllocationOpt = Annotated[str, typer.Option(help="proportional or neyman.")]
DeffOpt = Annotated[
    str, typer.Option("--design-effect", help="auto (from stored results) or a number.")
]
TurnoutOpt = Annotated[
    float, typer.Option(help="Expected turnout for registry tables without results.")
]
WinnerOpt = Annotated[list[str], typer.Option("--winner", help="Reported winner (repeatable).")]
LoserOpt = Annotated[
    list[str] | None, typer.Option("--loser", help="Loser (repeatable; default: all others).")
]
RiskOpt = Annotated[float, typer.Option(help="Risk limit, e.g. 0.05.")]
ReportedOpt = Annotated[
    Path | None,
    typer.Option(help="An authority's table-level results file (default: Actas's results)."),
]
FormatOpt = Annotated[str | None, typer.Option("--format", help="Format name of --reported.")]
MappingOpt = Annotated[Path | None, typer.Option(help="A column-mapping TOML for --reported.")]


def _deff(text: str) -> float | None:
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"--design-effect must be 'auto' or a number, got {text!r}") from None


def _allocation(text: str) -> audits.Allocation:
    if text == "proportional":
        return "proportional"
    if text == "neyman":
        return "neyman"
    raise InputError(f"--allocation must be proportional or neyman, got {text!r}")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


# ----------------------------------------------------------------- audit


@audit_app.command("create")
@friendly
def audit_create(
    kind: Annotated[str, typer.Option(help="quickcount or rla.")],
    margin: MarginOpt = 0.01,
    confidence: ConfidenceOpt = 0.95,
    allocation: AllocationOpt = "proportional",
    design_effect: DeffOpt = "auto",
    turnout: TurnoutOpt = 0.6,
    winner: WinnerOpt = [],  # noqa: B006 (Typer reads the default)
    loser: LoserOpt = None,
    risk_limit: RiskOpt = 0.05,
    reported: ReportedOpt = None,
    fmt: FormatOpt = None,
    mapping: MappingOpt = None,
    actor: ActorOpt = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Commit an audit's frame and parameters to the log, before any seed exists."""
    if kind not in ("quickcount", "rla"):
        raise InputError(f"--kind must be quickcount or rla, got {kind!r}")
    if kind == "rla" and not winner:
        raise InputError("an RLA needs --winner")
    with service(home) as svc:
        if kind == "quickcount":
            data = audits.create_quick_count(
                svc,
                margin,
                confidence=confidence,
                allocation=_allocation(allocation),
                design_effect=_deff(design_effect),
                turnout=turnout,
                actor=actor,
            )
        else:
            data = audits.create_rla(
                svc,
                winner,
                loser or (),
                risk_limit=risk_limit,
                reported=None if reported is None else _read(reported),
                reported_name=reported.name if reported else "",
                fmt=fmt,
                mapping_file=mapping,
                actor=actor,
            )
    _print_created(data, as_json)


def _print_created(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    if data["kind"] == "quickcount":
        _print_design(data["design"])
    else:
        out.print(
            f"RLA of {', '.join(data['contest']['winners'])} over "
            f"{', '.join(data['contest']['losers'])}; risk limit {data['risk_limit']}; "
            f"{data['tables']:,} tables ({data['reported']['source']}); "
            f"U = {data['total_bound']:.4f}; initial sample {data['initial_sample_size']} draws",
            highlight=False,
        )
        out.print(f"manifest SHA-256 {data['manifest_sha256']}", highlight=False)
    out.print(
        f"[bold]{escape(data['audit'])}[/] committed at leaf {data['commitment_seq']} "
        f"(frame SHA-256 {data['frame_sha256']}).",
        highlight=False,
        markup=True,
    )
    out.print(
        f"Next: roll the dice in public, then 'actas audit seed {data['audit']} --seed DIGITS'.",
        highlight=False,
    )


@audit_app.command("randomness")
@friendly
def audit_randomness(
    seed: Annotated[str, typer.Option(help="The digits as read out.")],
    note: Annotated[str, typer.Option(help="Where and how it was generated.")] = "",
    actor: ActorOpt = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log public randomness as it is read out, to be used later with 'audit seed --leaf'."""
    with service(home) as svc:
        data = audits.log_randomness(svc, seed, note, actor)
    if as_json:
        print_json(data)
        return
    out.print(f"randomness {data['seed']} logged at leaf {data['seq']}", highlight=False)


@audit_app.command("seed")
@friendly
def audit_seed(
    audit: AuditArg,
    seed: Annotated[str | None, typer.Option(help="The public seed (digits).")] = None,
    leaf: Annotated[
        int | None, typer.Option(help="Use the randomness logged at this leaf instead.")
    ] = None,
    actor: ActorOpt = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log the seed (after the commitment) and draw the sample."""
    with service(home) as svc:
        data = audits.set_seed(svc, audit, seed, leaf=leaf, actor=actor)
    if as_json:
        print_json(data)
        return
    out.print(f"seed {data['seed']['seed']} logged at leaf {data['seed']['seq']}", highlight=False)
    _print_status(data)


@audit_app.command("list")
@friendly
def audit_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every audit and quick count with its leaves."""
    with service(home) as svc:
        rows = audits.list_audits(svc)
    if as_json:
        print_json(rows)
        return
    t = Table(title="Audits")
    for col in ("audit", "kind", "commitment leaf", "seed leaf", "records"):
        t.add_column(col)
    for r in rows:
        seed = "—" if r["seed_seq"] is None else str(r["seed_seq"])
        t.add_row(r["audit"], r["kind"], str(r["commitment_seq"]), seed, str(r["records"]))
    out.print(t)


@audit_app.command("status")
@friendly
def audit_status(audit: AuditArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Where an audit or quick count stands."""
    with service(home) as svc:
        data = audits.status(svc, audit)
    if as_json:
        print_json(data)
        return
    _print_status(data)


# ----------------------------------------------------------------- audit rla


@rla_app.command("create")
@friendly
def rla_create(
    winner: WinnerOpt,
    loser: LoserOpt = None,
    risk_limit: RiskOpt = 0.05,
    reported: ReportedOpt = None,
    fmt: FormatOpt = None,
    mapping: MappingOpt = None,
    actor: ActorOpt = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Commit an RLA: the reported results (manifest), contest and risk limit."""
    audit_create(
        "rla",
        winner=winner,
        loser=loser,
        risk_limit=risk_limit,
        reported=reported,
        fmt=fmt,
        mapping=mapping,
        actor=actor,
        home=home,
        as_json=as_json,
    )


def _parse_counts(text: str) -> dict[str, int]:
    """``gonzalez=167,maduro=188`` or a JSON object."""
    text = text.strip()
    try:
        raw: Any = json.loads(text) if text.startswith("{") else None
    except json.JSONDecodeError as exc:
        raise InputError(f"--counts is not valid JSON: {exc}") from None
    if raw is None:
        raw = {}
        for part in text.split(","):
            name, sep, value = part.partition("=")
            if not sep:
                raise InputError(f"--counts: expected candidate=votes, got {part!r}")
            raw[name.strip()] = value.strip()
    out: dict[str, int] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not str(value).isdigit():
            raise InputError(f"--counts: {name} must be a whole number, got {value!r}")
        out[str(name)] = int(value)
    return out


@rla_app.command("record")
@friendly
def rla_record(
    audit: AuditArg,
    table_id: Annotated[str, typer.Argument(help="A drawn table, e.g. 201301006.01")],
    counts: Annotated[
        str | None,
        typer.Option(help="Votes found: 'gonzalez=167,maduro=188,…' or a JSON object."),
    ] = None,
    from_transcription: Annotated[
        bool, typer.Option(help="Use the table's latest logged photo or transcription.")
    ] = False,
    from_leaf: Annotated[
        int | None, typer.Option(help="Use the counts of this logged photo/transcription.")
    ] = None,
    not_found: Annotated[
        bool, typer.Option(help="The table could not be found or counted (maximal error).")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Log a correction of an earlier record.")] = False,
    note: Annotated[str, typer.Option(help="A remark kept in the leaf.")] = "",
    actor: ActorOpt = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log the audited value of one drawn table (a hand count) and re-evaluate."""
    given = sum((counts is not None, from_transcription, from_leaf is not None, not_found))
    if given != 1:
        raise InputError(
            "give exactly one of --counts, --from-transcription, --from-leaf, --not-found"
        )
    with service(home) as svc:
        data = audits.record(
            svc,
            audit,
            table_id,
            None if counts is None else _parse_counts(counts),
            from_leaf=from_leaf,
            from_transcription=from_transcription,
            actor=actor,
            note=note,
            replace=replace,
        )
    if as_json:
        print_json(data)
        return
    out.print(f"table {table_id} recorded at leaf {data['recorded']['seq']}", highlight=False)
    _print_status(data, brief=True)


@rla_app.command("status")
@friendly
def rla_status(audit: AuditArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The sample in draw order, audited values, discrepancies, p-values and the decision."""
    audit_status(audit, home, as_json)


# ----------------------------------------------------------------- quickcount


@quickcount_app.command("design")
@friendly
def qc_design(
    margin: MarginOpt = 0.01,
    confidence: ConfidenceOpt = 0.95,
    allocation: AllocationOpt = "proportional",
    design_effect: DeffOpt = "auto",
    turnout: TurnoutOpt = 0.6,
    dry_run: Annotated[bool, typer.Option(help="Show the design without committing it.")] = False,
    actor: ActorOpt = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Design a stratified quick count over the election's tables and commit it."""
    kwargs: dict[str, Any] = {
        "confidence": confidence,
        "allocation": _allocation(allocation),
        "design_effect": _deff(design_effect),
        "turnout": turnout,
    }
    with service(home) as svc:
        if dry_run:
            design = audits.plan_quick_count(svc, margin, **kwargs).to_json()
        else:
            created = audits.create_quick_count(svc, margin, actor=actor, **kwargs)
    if not dry_run:
        _print_created(created, as_json)
    elif as_json:
        print_json(design)
    else:
        _print_design(design)
        out.print("(dry run: nothing logged)")


@quickcount_app.command("status")
@friendly
def qc_status(audit: AuditArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Shares with intervals from the sampled tables received so far; the missing ones."""
    audit_status(audit, home, as_json)


# ----------------------------------------------------------------- rendering


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _print_design(d: dict[str, Any]) -> None:
    source = {
        "registry": "the table registry",
        "results": "every table with a counted result (no registry imported)",
    }[d["frame_source"]]
    out.print(f"Frame: {d['frame_tables']:,} tables — {source}", highlight=False)
    out.print(
        f"Strata: {d['strata']} ({d['strata_level']}); margin ±{_pct(d['margin'])} at "
        f"{_pct(d['confidence'])}; design effect {d['design_effect']:.3g} "
        f"({d['design_effect_note']})",
        highlight=False,
    )
    out.print(
        f"Sample: {d['tables']:,} tables by the formula, {d['total']:,} after per-stratum "
        f"minimums ({d['voters']:,} voters ÷ {d['votes_per_table']:.0f} valid votes per table)",
        highlight=False,
    )
    out.print("  " + ", ".join(f"{h}: {n}" for h, n in d["sizes"].items()), highlight=False)
    for n in d.get("notes", []):
        out.print(f"  note: {n}", highlight=False)


def _print_status(data: dict[str, Any], brief: bool = False) -> None:
    if data["kind"] == "quickcount":
        _print_qc(data)
    else:
        _print_rla(data, brief)


def _print_qc(d: dict[str, Any]) -> None:
    out.print(
        f"[bold]{escape(d['audit'])}[/] quick count over {d['commitment']['frame_tables']:,} "
        f"tables ({escape(d['frame_source'])}); {d['designed']} sampled",
        highlight=False,
        markup=True,
    )
    if d["state"] == "awaiting_seed":
        out.print(f"awaiting the seed: 'actas audit seed {d['audit']} --seed DIGITS'")
        return
    out.print(f"received {d['received']} of {d['designed']}; missing {len(d['missing'])}")
    est = d["estimate"]
    if est is not None:
        t = Table(title=f"Estimated shares ({_pct(est['confidence'])} intervals)")
        for col in ("candidate", "share", "interval", "s.e."):
            t.add_column(col, justify="left" if col == "candidate" else "right")
        for s in est["shares"]:
            t.add_row(
                s["name"],
                _pct(s["share"]),
                f"{_pct(s['low'])} – {_pct(s['high'])}",
                f"{100 * s['se']:.2f}",
            )
        out.print(t)
        if est["strata_without_data"]:
            out.print(f"strata without data: {', '.join(est['strata_without_data'])}")
    if d["missing"]:
        shown = ", ".join(d["missing"][:20]) + (" …" if len(d["missing"]) > 20 else "")
        out.print(f"still missing: {shown}", highlight=False)
        out.print("(intervals assume missing tables are missing at random within their stratum)")


def _print_rla(d: dict[str, Any], brief: bool) -> None:
    if not brief:
        c = d["contest"]
        out.print(
            f"[bold]{escape(d['audit'])}[/] RLA: {escape(', '.join(c['winners']))} vs "
            f"{escape(', '.join(c['losers']))}; "
            f"risk limit {d['risk_limit']}; U = {d['total_bound']:.4f}; "
            f"sample {d['sample_size']} draws (initial {d['initial_sample_size']})",
            highlight=False,
            markup=True,
        )
        if d["draws"]:
            t = Table(title="Draws")
            for col in ("draw", "table", "audited", "taint", "p-value"):
                t.add_column(col, justify="right")
            for r in d["draws"]:
                p = r.get("p_value", "")
                t.add_row(
                    str(r["draw"]),
                    r["table_id"],
                    "yes" if r["audited"] else "—",
                    f"{r['taint']:.4f}" if "taint" in r else "",
                    "∞" if "p_value" in r and p is None else (f"{p:.4g}" if p != "" else ""),
                )
            out.print(t)
        for x in d["discrepancies"]:
            what = "not found" if x["missing"] else f"error {x['error']:.3g}"
            out.print(
                f"  discrepancy at draw {x['draw']}, table {x['table_id']}: {what}, "
                f"taint {x['taint']:.4f}",
                highlight=False,
            )
        for n in d["notes"]:
            out.print(f"note: {n}", highlight=False)
    label = {
        "confirmed": "[bold green]CONFIRMED[/]",
        "continue": "[bold yellow]CONTINUE[/]",
        "full_hand_count": "[bold red]FULL HAND COUNT[/]",
        "awaiting_seed": "[bold]AWAITING SEED[/]",
    }[d["decision"]]
    out.print(f"{label}: {escape(d['reason'])}", highlight=False, markup=True)
    if d["pending"]:
        shown = ", ".join(d["pending"][:20]) + (" …" if len(d["pending"]) > 20 else "")
        out.print(f"to audit next: {shown}", highlight=False)
