"""The analysis report (``analysis.analyse``) as a readable terminal report (Rich).

App layer, presentation only: it reads the JSON-ready report and prints it.
Every caveat is printed in plain words next to its method; the digit tests
are introduced by the statement that they are not evidence of fraud at
table level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["print_claims", "print_report"]

_SANITY = ("turnout_over_100", "high_turnout", "all_zero", "unanimous")
_DIGITS = ("second_digit_2bl", "last_digit", "digit_pairs")


def _n(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:,.1f}" if abs(x) >= 10 else f"{x:.4g}"
    return str(x)


def _p(x: Any) -> str:
    return "—" if x is None else f"{x:.2g}"


def _pct(x: Any, digits: int = 2) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f} %"


def _caveat(console: Console, text: str, label: str = "Caveat") -> None:
    console.print(f"  [italic]{label}:[/] {escape(text)}", highlight=False)


def _heading(console: Console, text: str) -> None:
    console.print()
    console.print(f"[bold underline]{escape(text)}[/]")


def _names(report: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    return {c: names.get(c, c) for c in report["candidates"]}


def print_report(
    report: Mapping[str, Any], console: Console, names: Mapping[str, str] | None = None
) -> None:
    """Print every section of the report; ``names`` maps candidate ids to display names."""
    label = _names(report, names or {})
    e, cov = report["election"], report["coverage"]
    console.print(f"[bold]Forensic analysis — {escape(e['name_en'] or e['name'])}[/]")
    expected = (
        f" of {cov['expected_tables']:,} expected ({_pct(cov['table_share'])})"
        if cov["expected_tables"]
        else ""
    )
    console.print(
        f"{cov['tables_counted']:,} counted tables{expected}; seed {report['seed']}, "
        f"{report['nrep']:,} Monte-Carlo replicates; winner column: "
        f"{escape(label.get(report['winner'], str(report['winner'])))}",
        highlight=False,
    )
    _claims(report, console, label)
    _projection(report, console, label)
    methods = report["methods"]
    _screens(console, [m for m in methods if not _is_digit(m)])
    _digits(console, [m for m in methods if _is_digit(m)], label)
    skipped = [m for m in methods if m["statistic_name"] == "not_run"]
    if skipped:
        _heading(console, "Not run")
        for m in skipped:
            console.print(f"  {m['name']}: {escape(m['details']['skipped'])}", highlight=False)
    if report["notes"]:
        _heading(console, "Notes")
        for note in report["notes"]:
            console.print(f"  • {escape(note)}", highlight=False)


def _is_digit(m: Mapping[str, Any]) -> bool:
    return m["name"].split(":")[0] in _DIGITS


def _claims(report: Mapping[str, Any], console: Console, label: Mapping[str, str]) -> None:
    _heading(console, "Official claims against the collected actas")
    if not report["claims"]:
        console.print("  No claims imported ('actas claims import').")
        return
    for section in report["claims"]:
        cmp = section["comparison"]
        c = cmp["claim"]
        where = f", region {c['region']}" if c["region"] else ""
        console.print()
        console.print(
            f"[bold]{escape(c['authority'])}, {escape(c['label'])}[/] ({escape(c['date'])}"
            f"{escape(where)}): {escape(c['scope'] or 'scope not stated')}",
            highlight=False,
        )
        console.print(
            f"  claimed valid votes {_n(cmp['collected_valid'] + cmp['missing_valid'])}, "
            f"collected {_n(cmp['collected_valid'])}: the claim implies "
            f"{_n(cmp['missing_valid'])} valid votes in tables not collected"
            + (
                f" (at most {_n(cmp['missing_valid_max'])} by registered voters)"
                if cmp["missing_valid_max"] is not None
                else ""
            ),
            highlight=False,
        )
        t = Table(show_edge=False, pad_edge=False)
        for col in ("candidate", "official", "collected", "official − collected"):
            t.add_column(col, justify="left" if col == "candidate" else "right")
        t.add_column("share of missing votes needed", justify="right")
        t.add_column("verdict")
        comparable = section.get("scope_comparable", True)
        for r in cmp["rows"]:
            verdict = (
                "partial count"
                if not comparable and (r["contradiction"] or r["impossible"])
                else "below the collected actas"
                if r["contradiction"]
                else "impossible"
                if r["impossible"]
                else ""
            )
            t.add_row(
                escape(label.get(r["candidate"], r["candidate"])),
                _n(r["official"]),
                _n(r["collected"]),
                _n(r["gap"]),
                "—" if r["contradiction"] else _pct(r["required_share"], 1),
                verdict,
            )
        console.print(t)
        lead = label.get(cmp["leader"], cmp["leader"])
        console.print(
            f"  Collected leader: {escape(lead)}; "
            + (
                "no rival can catch up even with every missing vote."
                if cmp["leader_secure"]
                else "a rival could still catch up with the missing votes."
            ),
            highlight=False,
        )
        for note in cmp["notes"]:
            console.print(f"  • {escape(note)}", highlight=False)
        _caveat(console, section.get("scope_note", ""), "Scope")
        _caveat(console, cmp["caveat"])
        rp = section.get("round_percentages")
        if rp:
            _round(console, rp)


def _round(console: Console, rp: Mapping[str, Any]) -> None:
    d = rp["details"]
    best = d["best_grid_pp"]
    if best is None:
        worst = {g["step_pp"]: g["r_max"] for g in d["grids"]}
        console.print(
            "  Round percentages: the counts fit no grid of round shares (largest residual "
            + ", ".join(f"{_n(v)} votes at {k} pp" for k, v in worst.items())
            + ").",
            highlight=False,
        )
    else:
        grid = next(g for g in d["grids"] if g["step_pp"] == best)
        res = ", ".join(f"{r:+.3f}" for r in grid["residuals"])
        console.print(
            f"  [bold]Round percentages: the counts sit on the {best}-pp grid[/] "
            f"(cell {_n(grid['cell_votes'])} votes; residuals {res} votes); "
            f"p = {_p(grid['p'])} at that grid, {_p(rp['p_value'])} after Bonferroni over "
            f"{d['comparisons']} grids.",
            highlight=False,
        )
    _caveat(console, rp["caveat"])


def _projection(report: Mapping[str, Any], console: Console, label: Mapping[str, str]) -> None:
    proj = report["projection"]
    if proj is None:
        return
    level = report["election"]["levels"][0]
    _heading(console, f"Projection (stratified ratio estimate by {level})")
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("candidate")
    t.add_column("share", justify="right")
    t.add_column(f"{100 * proj['confidence']:.0f} % interval", justify="right")
    rows = sorted(proj["candidates"].items(), key=lambda kv: -(kv[1]["share"] or 0))
    for cid, est in rows:
        lo, hi = est["ci"]
        t.add_row(escape(label.get(cid, cid)), _pct(est["share"]), f"{_pct(lo)} – {_pct(hi)}")
    console.print(t)
    console.print(
        f"  {proj['collected']:,} tables in {len(proj['strata'])} strata"
        + (f"; frame {proj['frame_total']:,} tables" if proj["frame_total"] else "; frame unknown"),
        highlight=False,
    )
    for note in proj["notes"]:
        console.print(f"  • {escape(note)}", highlight=False)
    _caveat(console, proj["caveat"])


def _screens(console: Console, methods: Sequence[Mapping[str, Any]]) -> None:
    ran = [m for m in methods if m["statistic_name"] != "not_run"]
    if not ran:
        return
    _heading(console, "Table-level screens")
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("method")
    t.add_column("statistic", justify="right")
    t.add_column("what the statistic counts", overflow="fold")
    t.add_column("p-value / bound", justify="right")
    t.add_column("tables flagged", justify="right")
    for m in ran:
        pb = _p(m["p_value"]) if m["p_value"] is not None else _n(m["bound"])
        t.add_row(
            m["name"],
            _n(m["statistic"]),
            m["statistic_name"].replace("_", " "),
            pb,
            _n(m["flagged_count"]),
        )
    console.print(t)
    for m in ran:
        _detail(console, m)
    for name, caveat in _unique_caveats(ran):
        _caveat(console, caveat, f"Caveat ({name})")


def _detail(console: Console, m: Mapping[str, Any]) -> None:
    d = m["details"]
    if m["name"] == "integer_percentages":
        console.print(
            f"  integer percentages: {_n(d['included'])} tables included; "
            f"{_n(d['observed_either'])} with an integer turnout or winner percentage "
            f"(turnout {_n(d['observed_turnout'])}, winner {_n(d['observed_leader'])}); "
            f"expected {_n(d['null_mean'])} ± {_n(d['null_sd'])} under the binomial null; "
            f"excess {_n(m['statistic'])}.",
            highlight=False,
        )
    elif m["name"] == "fingerprint":
        console.print(
            f"  fingerprint: turnout peaks at {_pct(d['turnout_peak'], 1)}, winner share at "
            f"{_pct(d['share_peak'], 1)}; {_n(d['corner_observed'])} table(s) above "
            f"{_pct(d['corner'], 0)} on both, "
            + (
                "no corner model (a peak at the edge of the range, see the caveat)."
                if d.get("corner_model") == "not fitted"
                else f"{_n(d['corner_expected'])} expected by the model fitted left of the "
                f"{'main blob' if d.get('corner_model') == 'interior peak' else 'peaks'}."
            ),
            highlight=False,
        )


def _unique_caveats(methods: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    seen: dict[str, list[str]] = {}
    for m in methods:
        seen.setdefault(m["caveat"], []).append(m["name"].split(":")[0])
    return [(", ".join(dict.fromkeys(names)), caveat) for caveat, names in seen.items()]


def _digits(
    console: Console, methods: Sequence[Mapping[str, Any]], label: Mapping[str, str]
) -> None:
    if not methods:
        return
    _heading(console, "Digit tests — not evidence of fraud at table level")
    console.print(
        "  [bold]These tests are not evidence of fraud at table level.[/] They reject on "
        "genuine tally sheets; they describe the counts and prove nothing about any table "
        "or about the election.",
        highlight=False,
    )
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("test")
    t.add_column("candidate")
    t.add_column("statistic", justify="right")
    t.add_column("of", overflow="fold")
    t.add_column("p-value", justify="right")
    t.add_column("counts", justify="right")
    for m in methods:
        test, _, cid = m["name"].partition(":")
        t.add_row(
            test,
            escape(label.get(cid, cid)),
            _n(m["statistic"]),
            m["statistic_name"].replace("_", " "),
            _p(m["p_value"]),
            _n(m["details"].get("n")),
        )
    console.print(t)
    for name, caveat in _unique_caveats(methods):
        _caveat(console, caveat, f"Caveat ({name})")


def print_claims(files: Sequence[Mapping[str, Any]], console: Console) -> None:
    """The imported claims files and their claims, one line per claim."""
    if not files:
        console.print("No claims imported ('actas claims import FILE' or '--builtin').")
        return
    for f in files:
        console.print(
            f"[bold]{escape(f['name'])}[/] (leaf {f['seq']}, received {f['received_at']}, "
            f"sha256 {f['sha256'][:16]}…)",
            highlight=False,
        )
        for c in f["claims"]["claims"]:
            votes = dict(c["votes"])
            if "others" in c:
                votes["others"] = c["others"]["votes"]
            top = sorted(votes.items(), key=lambda kv: -kv[1])[:3]
            regions = f"; {len(c['regions'])} regional figures" if c.get("regions") else ""
            where = f", region {c['region']}" if c.get("region") else ""
            console.print(
                f"  {escape(c['authority'])}, {escape(c['label'])} ({escape(c['date'])}{where}): "
                f"{escape(c.get('scope', ''))}; "
                + ", ".join(f"{escape(k)} {v:,}" for k, v in top)
                + (f"; valid {c['valid']:,}" if c.get("valid") is not None else "")
                + regions,
                highlight=False,
            )
