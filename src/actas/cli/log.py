"""``actas log …``: sign checkpoints and prove inclusion and consistency."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from actas.cli.support import HomeOpt, err, friendly, print_json, service
from actas.cli.witness import log_monitor, witnesses_app

__all__ = ["log_app"]

log_app = typer.Typer(help="The transparency log: checkpoints and proofs.", no_args_is_help=True)
log_app.add_typer(witnesses_app, name="witnesses")
log_app.command("monitor")(friendly(log_monitor))


@log_app.command("checkpoint")
@friendly
def log_checkpoint(
    home: HomeOpt = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each witness (see 'log witnesses').")
    ] = 5.0,
) -> None:
    """Sign and publish a checkpoint of the whole log, cosigned by the witnesses that answer."""
    from actas.app.witnessing import collect

    with service(home) as svc:
        note, asked = collect(svc, svc.log.publish_checkpoint(svc.clock()), timeout=timeout)
    sys.stdout.write(note)
    for a in asked:
        err.print(f"witness {a.name}: {a.detail}", highlight=False, soft_wrap=True)


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
    if (table_id is None) == (leaf is None):
        raise typer.BadParameter("give exactly one of --table or --leaf")
    with service(home) as svc:
        seqs = (
            [leaf]
            if leaf is not None
            else [s["seq"] for s in svc.table(table_id or "")["submissions"]]
        )
        proofs = [svc.log.inclusion(i) for i in seqs if i is not None]
    print_json(proofs)


@log_app.command("consistency")
@friendly
def log_consistency(
    old: Annotated[int, typer.Argument(help="Older tree size.")],
    new: Annotated[int, typer.Argument(help="Newer tree size.")],
    home: HomeOpt = None,
) -> None:
    """A consistency proof between two tree sizes."""
    with service(home) as svc:
        proof = svc.log.consistency(old, new)
    print_json(proof)
