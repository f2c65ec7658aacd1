"""The ``actas`` command line: each command a few lines over :mod:`actas.service`.

Errors from the one hierarchy (:mod:`actas.errors`) become a clear message on
stderr and the error's exit code; nothing else is caught.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .errors import ActasError, InputError
from .service import Service
from .settings import Settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="actas",
    help="Turn election tally sheets (actas) into results that anyone can check.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log_app = typer.Typer(help="The transparency log: checkpoints and proofs.", no_args_is_help=True)
app.add_typer(log_app, name="log")

out = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home", help="Data folder (default: $ACTAS_HOME or ./actas-data).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def friendly(fn: F) -> F:
    """Turn Actas errors into a message and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ActasError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _settings(home: Path | None) -> Settings:
    return Settings.from_env(home=home)


def _open(home: Path | None) -> Service:
    return Service.open(_settings(home))


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command()
@friendly
def init(
    election: Annotated[str, typer.Option(help="A built-in election id (ve-2024) or a TOML file.")],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL, e.g. postgresql://… (default: SQLite in home)."),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Create a data folder for an election, with its checkpoint signing key."""
    settings = Settings.from_env(home=home, database_url=db or "")
    svc = Service.init(settings, election)
    if db:
        settings.remember_database()  # later commands with this home use the same database
    out.print(f"Initialised [bold]{svc.election.name}[/] in {svc.settings.home}")
    out.print(f"Checkpoint verifier key: {svc.log.verifier().to_text()}")


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
    svc = _open(home)
    summaries = []
    for path in files:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json or not err.is_terminal,
        ) as bar:
            task = bar.add_task(path.name, total=None)
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
        _json(summaries)


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
    svc = _open(home)
    rows = svc.results(level, region)
    if as_json:
        _json(rows if level is not None and region is None else rows[0] if rows else None)
        return
    for r in rows:
        t = Table(title=f"{r['name'] or r['code']} ({r['level']} {r['code']})".strip())
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
    """One table: its result, every submission and finding."""
    data = _open(home).table(table_id)
    if as_json:
        _json(data)
        return
    res = data["result"]
    out.print(
        f"[bold]Table {table_id}[/] — "
        + " / ".join(r["name"] or r["code"] for r in data["regions"])
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


@app.command()
@friendly
def conflicts(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Tables whose submissions disagree (every version kept)."""
    data = _open(home).conflicts()
    if as_json:
        _json(data)
        return
    for c in data:
        out.print(f"[bold]{c['table_id']}[/] differs in {', '.join(c['differing'])}")
        for v in c["versions"]:
            flags = f" [{', '.join(v['findings'])}]" if v["findings"] else ""
            out.print(
                f"  leaf {v['seq']} {v['channel']}: votes {v['counts']['votes']}{flags}",
                markup=False,
            )
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
    data = _open(home).findings(code, severity, limit)
    if as_json:
        _json(data)
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


@log_app.command("checkpoint")
@friendly
def log_checkpoint(home: HomeOpt = None) -> None:
    """Sign and publish a checkpoint of the whole log."""
    svc = _open(home)
    sys.stdout.write(svc.log.publish_checkpoint(svc.clock()))


@log_app.command("prove")
@friendly
def log_prove(
    table_id: Annotated[
        str | None, typer.Option("--table", help="Prove every leaf of this table.")
    ] = None,
    leaf: Annotated[int | None, typer.Option("--leaf", help="Prove this leaf index.")] = None,
    home: HomeOpt = None,
) -> None:
    """Inclusion proofs against the latest checkpoint."""
    svc = _open(home)
    if (table_id is None) == (leaf is None):
        raise typer.BadParameter("give exactly one of --table or --leaf")
    seqs = (
        [leaf] if leaf is not None else [s["seq"] for s in svc.table(table_id or "")["submissions"]]
    )
    _json([svc.log.inclusion(i) for i in seqs if i is not None])


@log_app.command("consistency")
@friendly
def log_consistency(
    old: Annotated[int, typer.Argument(help="Older tree size.")],
    new: Annotated[int, typer.Argument(help="Newer tree size.")],
    home: HomeOpt = None,
) -> None:
    """A consistency proof between two tree sizes."""
    _json(_open(home).log.consistency(old, new))


claims_app = typer.Typer(
    help="Official claims (an authority's announced results) as data.", no_args_is_help=True
)
app.add_typer(claims_app, name="claims")


@claims_app.command("import")
@friendly
def claims_import(
    file: Annotated[
        Path | None, typer.Argument(help="A claims JSON file (docs/claims.md).")
    ] = None,
    builtin: Annotated[
        bool, typer.Option("--builtin", help="The claims file shipped with the election.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log a claims file (as received) and keep its claims for 'actas analyse'."""
    if (file is None) == (not builtin):
        raise typer.BadParameter("give a FILE or --builtin")
    svc = _open(home)
    if file is None:
        summary = svc.import_claims()
    else:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from None
        summary = svc.import_claims(data, file.name)
    if as_json:
        _json(summary)
        return
    state = "already imported at" if summary["duplicate"] else "logged as"
    out.print(
        f"{summary['file']}: {summary['claims']} claims ({', '.join(summary['labels'])}); "
        f"{state} leaf {summary['seq']}",
        highlight=False,
    )


@claims_app.command("list")
@friendly
def claims_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The imported claims files and their claims."""
    from . import analysis_view  # numpy/scipy and Rich tables: loaded only when needed

    files = _open(home).claims()
    if as_json:
        _json(files)
        return
    analysis_view.print_claims(files, out)


@app.command()
@friendly
def analyse(
    seed: Annotated[int, typer.Option(help="Seed of the Monte-Carlo null models.")] = 0,
    nrep: Annotated[int, typer.Option(help="Monte-Carlo replicates.")] = 1000,
    flag_limit: Annotated[
        int, typer.Option(help="Table ids listed per method in --json (-1: all).")
    ] = 100,
    winner: Annotated[
        str | None, typer.Option(help="Candidate id of the winner column (default: most votes).")
    ] = None,
    figure: Annotated[
        Path | None, typer.Option(help="Write the turnout × winner-share fingerprint as SVG.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forensic screens, claim comparisons and a projection over the counted tables."""
    from . import analysis, analysis_view  # scipy: loaded only by this command

    svc = _open(home)
    data = analysis.table_data(svc, winner)
    report = analysis.analyse(
        svc, seed=seed, nrep=nrep, flag_limit=None if flag_limit < 0 else flag_limit, data=data
    )
    if figure is not None:
        figure.write_text(analysis.fingerprint_svg(svc, data), "utf-8")
    if as_json:
        _json(report)
        return
    names = {c.id: c.name for c in svc.election.candidates}
    analysis_view.print_report(report, out, names)
    if figure is not None:
        out.print(f"Fingerprint written to {figure}", highlight=False)


@app.command()
@friendly
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Photo files or folders (JPEG, PNG, WebP, HEIC).")],
    workers: Annotated[int | None, typer.Option(help="Decoding processes (default: all cores).")] = None,
    batch: Annotated[int, typer.Option(help="Photos committed per transaction.")] = 64,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest acta photos: store, decode the QR, log each photo; resumable and idempotent."""
    from .ingest import ingest_paths

    svc = _open(home)
    with Progress(
        TextColumn("[bold]photos"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        disable=as_json or not err.is_terminal,
    ) as bar:
        task = bar.add_task("photos", total=None, rate="")
        started = time.perf_counter()

        def advance(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{rate:.1f} images/s")

        summary = ingest_paths(
            svc, paths, workers=workers, progress=advance, batch_size=max(1, batch)
        )
    if as_json:
        _json(summary.to_json())
        return
    out.print(
        f"{summary.photos} photos in {summary.seconds:.1f} s ({summary.per_second:.1f}/s): "
        f"{summary.decoded} decoded, {summary.unreadable} without a readable QR, "
        f"{summary.broken} broken, {summary.rejected} not stored, {summary.duplicates} already in"
    )
    for problem in summary.problems[:50]:
        out.print(f"  {problem}", markup=False, highlight=False)


@app.command()
@friendly
def enqueue(
    paths: Annotated[list[Path], typer.Argument(help="Photo files or folders.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store photos in the blob store and queue their decoding for 'actas worker' (PostgreSQL)."""
    from .queue import enqueue_paths

    summary = enqueue_paths(_settings(home), paths)
    if as_json:
        _json(summary.to_json())
        return
    out.print(
        f"{summary.photos} photos: {summary.enqueued} queued, {summary.duplicates} already in, "
        f"{summary.rejected} not stored ({summary.seconds:.1f} s)"
    )


@app.command()
@friendly
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes (one job each).")] = 1,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Queues to take jobs from: photos, signer (default: all)."),
    ] = None,
    burst: Annotated[bool, typer.Option(help="Stop when no job is left.")] = False,
    stalled_after: Annotated[
        float, typer.Option(help="Seconds without a heartbeat before a worker counts as dead.")
    ] = 30.0,
    home: HomeOpt = None,
) -> None:
    """Take jobs from the queue: decode photos, retally, sign checkpoints (signer only)."""
    import logging

    from .queue import QueueOptions
    from .workers import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options = QueueOptions(heartbeat=max(stalled_after / 3, 0.2), stalled_after=stalled_after)
    run_worker(
        _settings(home), concurrency=concurrency, queues=queue, wait=not burst, options=options
    )


@app.command()
@friendly
def jobs(
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Queue the failed jobs again.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Queued, running, done and failed jobs; failed ones with the error of each attempt."""
    from . import workers

    if retry_failed:
        out.print(f"{workers.retry_failed(_settings(home))} failed jobs queued again")
    status = workers.job_status(_settings(home))
    if as_json:
        _json(status)
        return
    for task, counts in status["tasks"].items():
        out.print(f"{task}: " + ", ".join(f"{s} {n:,}" for s, n in counts.items()), markup=False)
    for job in status["failed"]:
        last = job["errors"][-1]["error"] if job["errors"] else "(no error recorded)"
        out.print(f"failed job {job['job_id']} {job['args']}: {last}", markup=False)


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
    summary = _open(home).export(folder, photos=photos)
    if as_json:
        _json(summary.to_json())
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
    folder: Annotated[Path, typer.Argument(help="A bundle folder written by 'actas export'.")],
    previous: Annotated[
        Path | None, typer.Option("--previous", help="An older signed checkpoint of the same log.")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="The log's verifier key: its text, or a file.")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Processes decoding leaves and re-reading rows (1: none).")
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Recompute everything in a bundle from its leaves and check it; exit 6 if anything fails."""
    from concurrent.futures import ProcessPoolExecutor

    from .errors import VerificationError
    from .export import parquet_columns, read_bundle
    from .verify import verify

    old = None
    if previous is not None:
        try:
            old = previous.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {previous}: {exc.strerror}") from None
    files = read_bundle(folder)
    pinned = _key_text(key)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            report = verify(
                files, pinned_key=pinned, previous=old, read_parquet=parquet_columns,
                mapper=pool.map,
            )  # fmt: skip
    else:
        report = verify(files, pinned_key=pinned, previous=old, read_parquet=parquet_columns)
    if as_json:
        _json(report.to_json())
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
    if not report.ok:
        first = report.failures[0]
        raise VerificationError(f"{report.total_failures} check(s) failed; first: {first}")


@app.command()
@friendly
def demo(
    home: Annotated[
        Path, typer.Option("--home", help="Data folder for the demo election.")
    ] = Path("actas-demo"),
    tables: Annotated[int, typer.Option(help="How many fictional tables to invent.")] = 240,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same demo.")] = 2030,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    serve: Annotated[bool, typer.Option(help="Serve the portal when ready.")] = True,
) -> None:
    """A fictional election end to end: synthetic acta photos, ingest, checkpoint, portal."""
    from .demo import build_demo

    settings = Settings.from_env(home=home)
    svc, _ = build_demo(settings, n_tables=tables, seed=seed, progress=lambda m: out.print(m))
    r = svc.results()[0]
    out.print(
        f"[bold]{svc.election.name}[/] — simulated data: {r['tables']['counted']} tables counted, "
        f"{r['valid']:,} valid votes"
    )
    if not serve:
        return
    import uvicorn

    from .web.app import create_app

    out.print(f"Portal on http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(create_app(settings, svc), host=host, port=port, log_level="warning")


GeometryOpt = Annotated[
    Path | None,
    typer.Option(help="GeoJSON of the top-level regions for the map (else $ACTAS_GEOMETRY)."),
]


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    geometry: GeometryOpt = None,
    home: HomeOpt = None,
) -> None:
    """Serve the public portal and the JSON API (read-only)."""
    import uvicorn

    from .web import create_app

    settings = Settings.from_env(home=home, geometry=str(geometry or ""))
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
@friendly
def publish(
    folder: Annotated[Path, typer.Argument(help="Output folder for the static site.")],
    geometry: GeometryOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Render the whole portal as static files (any static host, or file://)."""
    from .web.publish import publish as publish_site

    settings = Settings.from_env(home=home, geometry=str(geometry or ""))
    summary = publish_site(
        Service.open(settings),
        folder,
        geometry=Path(settings.geometry) if settings.geometry else None,
        bundle_dir=Path(settings.bundle_dir) if settings.bundle_dir else None,
    )
    if as_json:
        _json(summary)
        return
    out.print(
        f"Published {summary['tables']:,} tables and {summary['regions']:,} regions to "
        f"{summary['dir']} ({summary['files']:,} files, {summary['bytes'] / 1e6:,.0f} MB) "
        f"in {summary['seconds']} s",
        highlight=False,
    )


# Audits and quick counts (commands in audits_cli.py, over audits.py).
from .audits_cli import audit_app, quickcount_app  # noqa: E402

app.add_typer(audit_app, name="audit")
app.add_typer(quickcount_app, name="quickcount")

# People: accounts and roles (people/cli.py).
from .people.cli import users_app  # noqa: E402

app.add_typer(users_app, name="users")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
