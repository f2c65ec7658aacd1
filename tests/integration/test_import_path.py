"""Following ``actas import`` from the command line to the stored leaf: every call that
reaches the store comes down through each layer once — the CLI, then the app, then the
adapters — never back up (the layers are the folders of docs/architecture.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from typer.testing import CliRunner

from actas.__main__ import app

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. PEÑA,201301006,{m},600,367,1,167,188,5,0,0,3,1,1,0,2,u\n"
RANK = {"core": 0, "adapters": 1, "app": 2, "dev": 3, "cli": 4, "web": 4, "": 5}


def layer(frame: FrameType) -> str | None:
    name = frame.f_globals.get("__name__", "")
    if not (name == "actas" or name.startswith("actas.")):
        return None
    parts = name.split(".")
    return parts[1] if len(parts) > 2 else ""  # actas, actas.__main__: the root


def test_import_goes_down_through_each_layer_once(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    src = tmp_path / "a.csv"
    src.write_text(HEADER + "".join(ROW.format(m=m) for m in range(1, 6)))
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--election", "ve-2024", "--home", home]).exit_code == 0

    paths: set[tuple[str, ...]] = set()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not frame.f_globals.get("__name__", "").startswith("actas.adapters.store"):
            return
        stack = []
        f: FrameType | None = frame
        while f is not None:
            if (lay := layer(f)) is not None:
                stack.append(lay)
            f = f.f_back
        outer_first = stack[::-1]
        paths.add(tuple(x for i, x in enumerate(outer_first) if i == 0 or x != outer_first[i - 1]))

    sys.setprofile(profile)
    try:
        result = runner.invoke(app, ["import", str(src), "--home", home])
    finally:
        sys.setprofile(None)
    assert result.exit_code == 0, result.output
    assert paths, "the import never reached the store"
    for run in paths:
        # the root wires the program; then cli -> app -> adapters, each once, downward
        body = run[1:] if run and run[0] == "" else run
        assert body[:2] == ("cli", "app"), run
        ranks = [RANK[x] for x in body]
        assert ranks == sorted(ranks, reverse=True) and len(set(body)) == len(body), run
        assert body[-1] == "adapters", run
