"""``actas log monitor`` follows a static mirror (``actas publish`` served by a plain HTTP
server on 127.0.0.1): growth is checked from the published leaves, a fork and a rollback
are caught and kept with both signed checkpoints."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bundlegen
from actas.__main__ import app
from actas.app.monitor import Monitor
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.log import checkpoint as cp

RUN = CliRunner()


def cli(*args: str | Path) -> tuple[int, str]:
    r = RUN.invoke(app, [str(a) for a in args])
    return r.exit_code, r.output


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    site = tmp_path / "site"
    site.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield tmp_path / "home", site, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def grow(home: Path, site: Path, csv: Path, n: int, seed: int) -> None:
    csv.write_bytes(bundlegen.HEADER.encode() + b"\n" + b"\n".join(bundlegen.rows(n, seed)) + b"\n")
    for args in (
        ("import", csv),
        ("log", "checkpoint"),
        ("export", home / "export"),
        ("publish", site),
    ):
        code, out = cli(*args, "--home", home)
        assert code == 0, out


def test_monitor_follows_a_static_mirror_and_keeps_the_evidence(
    mirror: tuple[Path, Path, str], tmp_path: Path
) -> None:
    home, site, url = mirror
    assert cli("init", "--election", "ve-2024", "--home", home)[0] == 0
    grow(home, site, tmp_path / "a.csv", 12, 1)
    watch = tmp_path / "watch"
    code, out = cli("log", "monitor", url, "--folder", watch)
    assert code == 0, out
    assert "first checkpoint: size 13" in out
    grow(home, site, tmp_path / "b.csv", 9, 2)
    code, out = cli("log", "monitor", url, "--folder", watch)
    assert code == 0 and "grew, consistent: size 23" in out, out
    assert cli("log", "monitor", url, "--folder", watch)[1].startswith("unchanged: size 23")

    # the operator shows another history under the same key: same size, another root
    svc = Service.open(Settings.from_env(env={}, home=home))
    signer, honest = svc.log.signer(), (site / "checkpoint.txt").read_bytes()
    svc.close()
    forged = cp.sign_checkpoint(cp.Checkpoint(signer.name, 23, bytes(32)), signer)
    (site / "checkpoint.txt").write_bytes(forged)
    code, out = cli("log", "monitor", url, "--folder", watch)
    assert code == 6 and "FORK: two roots signed for size 23" in out, out
    (evidence,) = (watch / "evidence").glob("fork-*.json")
    data = json.loads(evidence.read_text())
    assert data["checkpoints"] == [honest.decode(), forged.decode()]
    # the monitor still remembers the honest checkpoint, and catches a rollback too
    older = cp.sign_checkpoint(cp.Checkpoint(signer.name, 13, bytes(32)), signer)
    (site / "checkpoint.txt").write_bytes(older)
    poll = Monitor(url, watch).poll()
    assert poll.observation.kind == "rollback"
    assert poll.observation.seen.note == honest


def test_a_mirror_that_rewrote_old_leaves_is_inconsistent(
    mirror: tuple[Path, Path, str], tmp_path: Path
) -> None:
    home, site, url = mirror
    assert cli("init", "--election", "ve-2024", "--home", home)[0] == 0
    grow(home, site, tmp_path / "a.csv", 5, 1)
    watch = tmp_path / "watch"
    svc = Service.open(Settings.from_env(env={}, home=home))
    signer = svc.log.signer()
    svc.close()
    # the monitor had seen a size-3 checkpoint whose leaves this mirror no longer has
    Monitor(url, watch).poll()
    state = json.loads((watch / "state.json").read_text())
    state["note"] = cp.sign_checkpoint(cp.Checkpoint(signer.name, 3, bytes(32)), signer).decode()
    (watch / "state.json").write_text(json.dumps(state))
    poll = Monitor(url, watch).poll()
    assert poll.observation.kind == "inconsistent"
    assert poll.evidence_file is not None and poll.evidence_file.exists()
