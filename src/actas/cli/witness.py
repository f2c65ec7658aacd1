"""``actas witness …`` (run a witness) and ``actas log witnesses …`` (the log's witnesses)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from actas.cli.support import HomeOpt, friendly, out, settings

__all__ = ["witness_app", "witnesses_app"]

witness_app = typer.Typer(
    help="Run a C2SP tlog-witness that cosigns other logs' checkpoints.", no_args_is_help=True
)
witnesses_app = typer.Typer(
    help="The witnesses this log asks to cosign its checkpoints.", no_args_is_help=True
)

FolderOpt = Annotated[
    Path, typer.Option("--folder", help="The witness's folder: key, state, evidence.")
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name", help="The witness's key name (a schema-less URL); needed the first time."
    ),
]


@witness_app.command("key")
@friendly
def witness_key(folder: FolderOpt = Path("witness-data"), name: NameOpt = None) -> None:
    """Print the witness's public key (a cosignature vkey), making the key the first time."""
    from actas.adapters.witness_files import WitnessFolder
    from actas.core.log.cosignature import CosignatureVerifier

    signer = WitnessFolder(folder).signer(name)
    sys.stdout.write(CosignatureVerifier.from_signer(signer).to_text() + "\n")


@witness_app.command("serve")
@friendly
def witness_serve(
    log: Annotated[
        list[str],
        typer.Option("--log", help="A log's verifier key (text or file) to witness; repeatable."),
    ],
    folder: FolderOpt = Path("witness-data"),
    name: NameOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8021,
    prefix: Annotated[str, typer.Option(help="URL prefix before /add-checkpoint.")] = "",
) -> None:
    """Serve POST <prefix>/add-checkpoint: cosign consistent checkpoints, refuse forks."""
    from actas.app.witness import Witness, read_log_keys

    witness = Witness(folder, read_log_keys(log), name)
    server = witness.server(host, port, prefix)
    out.print(f"witness {witness.vkey}", highlight=False, soft_wrap=True)
    out.print(
        f"listening on {server.url}{prefix.rstrip('/')}/add-checkpoint",
        highlight=False,
        soft_wrap=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


@witnesses_app.command("add")
@friendly
def witnesses_add(
    name: Annotated[str, typer.Argument(help="A name for this witness (used in reports).")],
    url: Annotated[str, typer.Argument(help="Its submission URL (before /add-checkpoint).")],
    vkey: Annotated[str, typer.Argument(help="Its cosignature verifier key.")],
    home: HomeOpt = None,
) -> None:
    """Ask this witness to cosign every checkpoint from now on."""
    from actas.app.witnessing import add_witness

    entry = add_witness(settings(home).home, name, url, vkey)
    out.print(f"witness {entry.name} at {entry.url}: {entry.vkey}", highlight=False, soft_wrap=True)


@witnesses_app.command("list")
@friendly
def witnesses_list(home: HomeOpt = None) -> None:
    """The witnesses asked to cosign, with the size each last cosigned."""
    from actas.app.witnessing import load_witnesses

    for e in load_witnesses(settings(home).home):
        out.print(f"{e.name}\t{e.url}\t{e.vkey}\tsize {e.size}", highlight=False, soft_wrap=True)


def log_monitor(
    url: Annotated[str, typer.Argument(help="The log's portal or static mirror (http[s]://…).")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="The log's verifier key (text or file); else pinned at first."),
    ] = None,
    folder: Annotated[
        Path, typer.Option("--folder", help="The monitor's state and evidence.")
    ] = Path("monitor-data"),
    witness: Annotated[
        list[str] | None,
        typer.Option("--witness", help="A witness's cosignature key to report on; repeatable."),
    ] = None,
    quorum: Annotated[
        int | None, typer.Option(help="Cosignatures required of the --witness keys.")
    ] = None,
    every: Annotated[
        float, typer.Option(help="Poll again every this many seconds (0: once).")
    ] = 0.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each fetch.")] = 10.0,
) -> None:
    """Follow a log: each new checkpoint must extend the last seen; keep evidence if not."""
    import time

    from actas.app.monitor import Monitor
    from actas.core.errors import VerificationError

    monitor = Monitor(url, folder, key, witness, quorum, timeout)
    while True:
        poll = monitor.poll()
        out.print(poll.summary(), highlight=False, soft_wrap=True)
        if poll.observation.evidence is not None:
            raise VerificationError(f"the log at {url} contradicts itself: {poll.summary()}")
        if poll.witnesses is not None and not poll.witnesses.ok:
            missing = ", ".join(w.name for w in poll.witnesses.missing)
            raise VerificationError(f"checkpoint below the witness quorum; missing: {missing}")
        if every <= 0:
            return
        time.sleep(every)
