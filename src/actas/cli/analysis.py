"""``actas claims …`` and ``actas analyse``: official claims as data, and the forensic screens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from actas.cli.support import HomeOpt, JsonOpt, friendly, out, print_json, service
from actas.core.errors import InputError

__all__ = ["claims_app", "register"]

claims_app = typer.Typer(
    help="Official claims (an authority's announced results) as data.", no_args_is_help=True
)


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
    data = None
    if file is not None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from None
    with service(home) as svc:
        summary = svc.import_claims() if file is None else svc.import_claims(data, file.name)
    if as_json:
        print_json(summary)
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
    from actas.cli import analysis_view  # numpy/scipy and Rich tables: loaded only when needed

    with service(home) as svc:
        files = svc.claims()
    if as_json:
        print_json(files)
        return
    analysis_view.print_claims(files, Console())  # the view escapes what it prints


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
    from actas.app import analysis
    from actas.cli import analysis_view  # scipy: loaded only by this command

    with service(home) as svc:
        data = analysis.table_data(svc, winner)
        report = analysis.analyse(
            svc, seed=seed, nrep=nrep, flag_limit=None if flag_limit < 0 else flag_limit, data=data
        )
        if figure is not None:
            figure.write_text(analysis.fingerprint_svg(svc, data), "utf-8")
        names = {c.id: c.name for c in svc.election.candidates}
    if as_json:
        print_json(report)
        return
    analysis_view.print_report(report, Console(), names)  # escapes what it prints
    if figure is not None:
        out.print(f"Fingerprint written to {figure}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(claims_app, name="claims")
    app.command()(analyse)
