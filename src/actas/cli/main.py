"""The ``actas`` command line: each command a few lines over :mod:`actas.app.service`.

Errors from the one hierarchy (:mod:`actas.core.errors`) become a clear message on
stderr and the error's exit code; nothing else is caught (``cli_support``). Every
command closes the service it opens. Groups of commands live in their own modules:
``log_cli`` (log), ``analysis_cli`` (claims, analyse), ``photos_cli`` (ingest and
the job queue), ``audits_cli`` (audit, quickcount), ``people.cli`` (users).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from actas.app.service import Service
from actas.cli import analysis as analysis_cli
from actas.cli import photos as photos_cli
from actas.cli.audits import audit_app, quickcount_app
from actas.cli.conflicts import conflict_table
from actas.cli.log import log_app
from actas.cli.people import users_app
from actas.cli.support import HomeOpt, JsonOpt, err, friendly, out, print_json, service, settings
from actas.cli.witness import witness_app
from actas.core.errors import InputError

__all__ = ["app"]

app = typer.Typer(
    name="actas",
    help="Turn election tally sheets (actas) into results that anyone can check.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"actas {version('actas')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Turn election tally sheets (actas) into results that anyone can check."""


@app.command()
@friendly
def init(
    election: Annotated[
        str,
        typer.Option(
            help="A built-in election id (ve-2024), an election.toml file (the mappings"
            " beside it are found) or a folder holding election.toml and mappings."
        ),
    ],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL, e.g. postgresql://… (default: SQLite in home)."),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Create a data folder for an election, with its checkpoint signing key."""
    config = settings(home, database_url=db or "")
    svc = Service.init(config, election)
    try:
        if db:
            config.remember_database()  # later commands with this home use the same database
        out.print(
            f"Initialised [bold]{escape(svc.election.name)}[/] in {escape(str(svc.settings.home))}",
            markup=True,
        )
        out.print(f"Checkpoint verifier key: {svc.log.verifier().to_text()}")
    finally:
        svc.close()


@app.command("import")
@friendly
def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV files (or a zip holding one CSV).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="Format name; detected if omitted.")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="A column-mapping TOML file.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import results files; every row becomes a logged submission."""
    summaries = []
    with service(home) as svc:
        for path in files:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                disable=as_json or not err.is_terminal,
            ) as bar:
                task = bar.add_task(escape(path.name), total=None)
                summary = svc.import_file(
                    path,
                    fmt,
                    mapping,
                    functools.partial(_advance, bar, task),
                )
            summaries.append(summary.to_json())
            if not as_json:
                out.print(
                    f"{summary.file}: format {summary.format} ({summary.encoding}); "
                    f"read {summary.read}, loaded {summary.loaded}, rejected {summary.rejected}, "
                    f"duplicates {summary.duplicates}; {summary.tables} tables"
                )
                for code, n in sorted(summary.findings.items()):
                    out.print(f"  finding {code}: {n}")
    if as_json:
        print_json(summaries)


def _advance(bar: Progress, task: TaskID, done: int, total: int) -> None:
    bar.update(task, completed=done, total=total)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f} %"


@app.command()
@friendly
def results(
    level: Annotated[str | None, typer.Option(help="national or a level id (state, …).")] = None,
    region: Annotated[str | None, typer.Option(help="One region's code.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Results with coverage, nationally or by region."""
    with service(home) as svc:
        rows = svc.results(level, region)
    if as_json:
        print_json(rows if level is not None and region is None else rows[0] if rows else None)
        return
    for r in rows:
        where = f"{r['level']} {r['code']}" if r["code"] else str(r["level"])
        t = Table(title=f"{r['name'] or r['code']} ({where})")
        t.add_column("candidate")
        t.add_column("votes", justify="right")
        t.add_column("share", justify="right")
        for c in sorted(r["candidates"], key=lambda c: -c["votes"]):
            t.add_row(c["name"], f"{c['votes']:,}", _pct(c["share"]))
        out.print(t)
        tb, rg = r["tables"], r["registered"]
        exp = f" of {tb['expected']:,} ({_pct(tb['coverage'])})" if tb["expected"] else ""
        out.print(
            f"tables {tb['counted']:,}{exp}; conflicts {tb['conflict']}; valid {r['valid']:,}; "
            f"null {r['null']:,}; registered covered {rg['covered']:,}"
            + (f" of {rg['expected']:,} ({_pct(rg['coverage'])})" if rg["expected"] else "")
            + f"; turnout {_pct(r['turnout'])}"
        )


@app.command()
@friendly
def table(
    table_id: Annotated[str, typer.Argument(help="Table id, e.g. 201301006.01")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One table: its result, every submission and finding, uploads waiting to be read."""
    from actas.app.photos.uploads import pending_of

    with service(home) as svc:
        data = svc.table(table_id)
        data["pending"] = pending_of(svc, table_id)
    if as_json:
        print_json(data)
        return
    res = data["result"]
    out.print(
        f"[bold]Table {escape(table_id)}[/] — "
        + " / ".join(escape(r["name"] or r["code"]) for r in data["regions"]),
        markup=True,
    )
    if res:
        out.print(
            f"status: {res['status']} ({res['agreeing']} agreeing; {', '.join(res['channels'])})"
        )
        if res.get("candidates"):
            for c in res["candidates"]:
                out.print(f"  {c['name']}: {c['votes']}")
            out.print(f"  valid {res['valid']}, null {res['null']}, registered {res['registered']}")
    for s in data["submissions"]:
        out.print(
            f"leaf {s['seq']} {s['kind']} via {s['channel']} at {s['received_at']} {s['leaf_hash'][:16]}…"
        )
        for f in s["findings"]:
            out.print(
                f"  [{f['severity']}] {f['code']}: {f['message']}", highlight=False, markup=False
            )
    for p in data["pending"]:  # queued uploads (ACTAS_QUEUE=on) not decoded yet
        state = (
            f"failed (job {p['job_id']}): {p['error']}" if p["status"] == "failed" else "pending"
        )
        out.print(
            f"leaf {p['seq']} photo.received at {p['received_at']} {p['sha256'][:16]}… {state}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@app.command()
@friendly
def conflicts(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Tables whose submissions disagree (every version kept)."""
    with service(home) as svc:
        data = svc.conflicts()
    if as_json:
        print_json(data)
        return
    names = [c.name for c in svc.election.candidates]
    for c in data:
        out.print(conflict_table(c, names))
    out.print(f"{len(data)} conflicts")


@app.command()
@friendly
def findings(
    code: Annotated[str | None, typer.Option(help="Only this finding code.")] = None,
    severity: Annotated[str | None, typer.Option(help="info, warning or error.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many findings.")] = 1000,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Findings of the validation rules, summarised and listed."""
    with service(home) as svc:
        data = svc.findings(code, severity, limit)
    if as_json:
        print_json(data)
        return
    t = Table(title="Findings")
    for col in ("code", "severity", "count"):
        t.add_column(col)
    for s in data["summary"]:
        t.add_row(s["code"], s["severity"], f"{s['count']:,}")
    out.print(t)
    for f in data["findings"][:50]:
        out.print(
            f"leaf {f['seq']} {f.get('table_id') or '-'} {f['code']}: {f['message']}", markup=False
        )


@app.command("export")
@friendly
def export_(
    folder: Annotated[
        Path, typer.Argument(help="Folder for the bundle (an earlier bundle is replaced).")
    ],
    photos: Annotated[bool, typer.Option("--photos", help="Include the acta photos.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the open-data bundle: leaves, submissions, results, checkpoint, key, MANIFEST."""
    with service(home) as svc:
        summary = svc.export(folder, photos=photos)
    if as_json:
        print_json(summary.to_json())
        return
    out.print(
        f"Exported {summary.size:,} leaves, {summary.tables:,} tables and {summary.regions:,} "
        f"regions to {summary.path} ({summary.files} files)",
        highlight=False,
    )
    out.print(f"root {summary.root}", highlight=False)
    if photos:
        out.print(f"photos: {summary.photos} written, {summary.photos_missing} not in the store")


def _key_text(key: str | None) -> str | None:
    if key is None:
        return None
    path = Path(key)
    if path.is_file():
        try:
            return path.read_text("ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the key file {path}: {exc}") from None
    return key


@app.command("verify")
@friendly
def verify_(
    folder: Annotated[
        Path, typer.Argument(help="A bundle folder written by 'actas export', or a zip of it.")
    ],
    previous: Annotated[
        Path | None, typer.Option("--previous", help="An older signed checkpoint of the same log.")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="The log's verifier key: its text, or a file.")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Processes decoding leaves and re-reading rows (1: none).")
    ] = 1,
    witness: Annotated[
        list[str] | None,
        typer.Option("--witness", help="A witness's cosignature key (text or file); repeatable."),
    ] = None,
    quorum: Annotated[
        int | None,
        typer.Option(help="How many --witness keys must have cosigned (default: all of them)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute everything in a bundle from its leaves and check it; exit 6 if anything fails."""
    from actas.app.verification import verify_bundle
    from actas.core.errors import VerificationError

    report = verify_bundle(folder, key=_key_text(key), previous=previous, workers=workers)
    if as_json:
        print_json(report.to_json())
    else:
        checks = ", ".join(f"{name} {n:,}" for name, n in report.checks.items())
        out.print(f"checked: {checks}", highlight=False, markup=False)
        for note in report.notes:
            out.print(f"note: {note}", highlight=False, markup=False)
        for f in report.failures:
            out.print(f"FAIL {f}", highlight=False, markup=False)
        if report.total_failures > len(report.failures):
            out.print(f"... and {report.total_failures - len(report.failures)} more failures")
        if report.ok:
            out.print(f"OK: the bundle holds (tree size {report.size}, root {report.root})")
    if witness or quorum:
        from actas.cli.verify_witnesses import check_witnesses

        check_witnesses(folder, witness or [], quorum, as_json=as_json)
    if not report.ok:
        first = report.failures[0]
        raise VerificationError(f"{report.total_failures} check(s) failed; first: {first}")


app.add_typer(log_app, name="log")
app.add_typer(witness_app, name="witness")
analysis_cli.register(app)  # actas claims …, actas analyse
photos_cli.register(app)  # actas ingest, enqueue, worker, jobs
app.add_typer(audit_app, name="audit")
app.add_typer(quickcount_app, name="quickcount")
app.add_typer(users_app, name="users")
