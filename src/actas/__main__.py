"""The ``actas`` program: the command line of :mod:`actas.cli` plus the commands that
run the portal (``serve``, ``publish``, ``demo``) from :mod:`actas.web`.

This is the composition root, the one module above both front ends: :mod:`actas.cli`
and :mod:`actas.web` never import each other (``tests/test_layers.py``), so the
commands that need both are wired here. ``python -m actas`` and the ``actas`` script
both run :func:`main`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from actas.app.service import Service
from actas.app.settings import Settings
from actas.cli.main import app
from actas.cli.support import HomeOpt, JsonOpt, friendly, out, print_json, service, settings

__all__ = ["app", "main"]


@app.command()
@friendly
def demo(
    home: Annotated[Path, typer.Option("--home", help="Data folder for the demo election.")] = Path(
        "actas-demo"
    ),
    tables: Annotated[int, typer.Option(help="How many fictional tables to invent.")] = 240,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same demo.")] = 2030,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    serve: Annotated[bool, typer.Option(help="Serve the portal when ready.")] = True,
) -> None:
    """A fictional election end to end: synthetic acta photos, ingest, checkpoint, portal."""
    from actas.dev.demo import build_demo

    config = settings(home)
    svc, _ = build_demo(config, n_tables=tables, seed=seed, progress=lambda m: out.print(m))
    try:
        r = svc.results()[0]
        out.print(
            f"[bold]{escape(svc.election.name)}[/] — simulated data: "
            f"{r['tables']['counted']} tables counted, {r['valid']:,} valid votes",
            markup=True,
        )
        if serve:
            _serve(config, svc, host, port, "warning")
    finally:
        svc.close()


def _serve(config: Settings, svc: Service, host: str, port: int, log_level: str) -> None:
    import uvicorn

    from actas.web.app import create_app

    out.print(f"Portal on http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(
        create_app(config, svc),
        host=host,
        port=port,
        log_level=log_level,
        **config.server_options(),  # type: ignore[arg-type]
    )


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
    config = settings(home, geometry=str(geometry or ""))
    with service(config=config) as svc:
        _serve(config, svc, host, port, "info")


@app.command()
@friendly
def publish(
    folder: Annotated[Path, typer.Argument(help="Output folder for the static site.")],
    geometry: GeometryOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Render the whole portal as static files (any static host, or file://)."""
    from actas.web.publish import publish as publish_site

    config = settings(home, geometry=str(geometry or ""))
    with service(config=config) as svc:
        summary = publish_site(
            svc,
            folder,
            geometry=Path(config.geometry) if config.geometry else None,
            bundle_dir=Path(config.bundle_dir) if config.bundle_dir else None,
        )
    if as_json:
        print_json(summary)
        return
    out.print(
        f"Published {summary['tables']:,} tables and {summary['regions']:,} regions to "
        f"{summary['dir']} ({summary['files']:,} files, {summary['bytes'] / 1e6:,.0f} MB) "
        f"in {summary['seconds']} s",
        highlight=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
