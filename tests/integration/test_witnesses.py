"""Three witnesses on 127.0.0.1 (threads): cosigning, a quorum, forks refused with evidence,
a witness down named by ``actas verify --quorum``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bundlegen
from actas.__main__ import app
from actas.adapters.tlog_http import WitnessServer, post
from actas.app.service import Service
from actas.app.settings import Settings
from actas.app.witness import Witness
from actas.core.log import checkpoint as cp
from actas.core.log import cosignature as co
from actas.core.log.witness import AddCheckpoint

RUN = CliRunner()


def cli(*args: str | Path) -> tuple[int, str]:
    r = RUN.invoke(app, [str(a) for a in args])
    return r.exit_code, r.output


def write_csv(path: Path, n: int, seed: int) -> Path:
    path.write_bytes(
        bundlegen.HEADER.encode() + b"\n" + b"\n".join(bundlegen.rows(n, seed)) + b"\n"
    )
    return path


@dataclass
class Net:
    home: Path
    log_key: cp.Verifier
    witnesses: list[Witness]
    servers: list[WitnessServer]

    def stop(self, i: int) -> None:
        self.servers[i].stop()


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    home = tmp_path / "home"
    assert cli("init", "--election", "ve-2024", "--home", home)[0] == 0
    assert cli("import", write_csv(tmp_path / "a.csv", 20, 1), "--home", home)[0] == 0
    svc = Service.open(Settings.from_env(env={}, home=home))
    log_key = svc.log.verifier()
    svc.close()
    witnesses, servers = [], []
    for i in range(3):
        w = Witness(tmp_path / f"w{i}", {log_key.name: log_key}, f"witness.test/w{i}")
        s = w.server("127.0.0.1", 0).start()
        witnesses.append(w)
        servers.append(s)
        code, out = cli("log", "witnesses", "add", f"w{i}", s.url, w.vkey, "--home", home)
        assert code == 0, out
    yield Net(home, log_key, witnesses, servers)
    for s in servers:
        with contextlib.suppress(OSError):
            s.stop()


def test_checkpoints_are_cosigned_and_grow_consistently(net: Net, tmp_path: Path) -> None:
    code, out = cli("log", "checkpoint", "--home", net.home)
    assert code == 0, out
    keys = [co.CosignatureVerifier.from_text(w.vkey) for w in net.witnesses]
    assert "witness w0: cosigned" in out
    svc = Service.open(Settings.from_env(env={}, home=net.home))
    size, _, note, _ = svc.log.latest_checkpoint() or (0, b"", "", "")
    svc.close()
    assert size == 21 and note in out  # the cosigned note is printed and stored
    assert co.check_quorum(note.encode(), keys, 3).ok
    # the log grows: each witness gets a consistency proof from the size it holds
    assert cli("import", write_csv(tmp_path / "b.csv", 15, 2), "--home", net.home)[0] == 0
    assert cli("log", "checkpoint", "--home", net.home)[0] == 0
    sizes = {origin: r.size for w in net.witnesses for origin, r in w.files.records().items()}
    assert sizes == {net.log_key.name: 37}  # 1 event + 20 rows, then 1 event + 15 rows
    # the bundle carries the cosigned checkpoint; verify with a quorum of 2 of them
    bundle = tmp_path / "bundle"
    assert cli("export", bundle, "--home", net.home)[0] == 0
    args = [a for w in net.witnesses[:2] for a in ("--witness", w.vkey)]
    code, out = cli("verify", bundle, *args, "--quorum", "2")
    assert code == 0, out
    assert "witness witness.test/w0: cosigned" in out and "OK: 2 of 2 witnesses" in out


def test_a_witness_down_does_not_block_and_quorum_3_names_it(net: Net, tmp_path: Path) -> None:
    net.stop(1)
    code, out = cli("log", "checkpoint", "--home", net.home, "--timeout", "2")
    assert code == 0, out
    assert "witness w1: no answer" in out
    bundle = tmp_path / "bundle"
    assert cli("export", bundle, "--home", net.home)[0] == 0
    args = [a for w in net.witnesses for a in ("--witness", w.vkey)]
    code, out = cli("verify", bundle, *args, "--quorum", "2")
    assert code == 0, out
    code, out = cli("verify", bundle, *args, "--quorum", "3")
    assert code == 6
    assert "witness witness.test/w1: MISSING (no cosignature by this witness)" in out
    assert "2 of the 3 cosignatures required; missing: witness.test/w1" in out


def test_a_fork_is_refused_by_each_witness_with_both_checkpoints(net: Net) -> None:
    assert cli("log", "checkpoint", "--home", net.home)[0] == 0
    svc = Service.open(Settings.from_env(env={}, home=net.home))
    size, root, _note, _ = svc.log.latest_checkpoint() or (0, b"", "", "")
    signer = svc.log.signer()
    svc.close()
    # the same key signs another root at the same size: a split view
    forged = cp.sign_checkpoint(cp.Checkpoint(net.log_key.name, size, bytes(32)), signer)
    for w, s in zip(net.witnesses, net.servers, strict=True):
        reply = post(s.url + "/add-checkpoint", AddCheckpoint(size, (), forged).encode(), 5)
        assert reply.status == 409 and reply.body == f"{size}\n".encode()
        assert reply.content_type == "text/x.tlog.size"
        (evidence,) = w.files.evidence()
        assert evidence["kind"] == "fork" and evidence["size"] == size
        recorded, submitted = (c.encode() for c in evidence["checkpoints"])
        # both open with the log's key, same size, different roots: anyone can check it
        a, b = cp.open_checkpoint(recorded, net.log_key), cp.open_checkpoint(submitted, net.log_key)
        assert a.size == b.size == size and a.root_hash == root != b.root_hash
        assert w.files.records()[net.log_key.name].root_hash == root  # nothing rolled
    # a rollback (an older, smaller checkpoint) is refused too, with the size held
    old = cp.sign_checkpoint(cp.Checkpoint(net.log_key.name, 3, bytes(32)), signer)
    reply = post(net.servers[0].url + "/add-checkpoint", AddCheckpoint(3, (), old).encode(), 5)
    assert reply.status == 409 and reply.body == f"{size}\n".encode()


def test_status_codes(net: Net) -> None:
    url = net.servers[0].url + "/add-checkpoint"
    other = cp.generate_signer(net.log_key.name, bytes(32))
    unknown = cp.generate_signer("elsewhere.example/log", bytes(32))
    note = cp.sign_checkpoint(cp.Checkpoint(net.log_key.name, 1, bytes(32)), other)
    assert post(url, AddCheckpoint(0, (), note).encode(), 5).status == 403
    note = cp.sign_checkpoint(cp.Checkpoint(unknown.name, 1, bytes(32)), unknown)
    assert post(url, AddCheckpoint(0, (), note).encode(), 5).status == 404
    assert post(url, b"old 01\n\nx\n", 5).status == 400
    svc = Service.open(Settings.from_env(env={}, home=net.home))
    svc.log.publish_checkpoint("2024-07-29T04:00:00.000000Z")
    size, _root, note_text, _ = svc.log.latest_checkpoint() or (0, b"", "", "")
    svc.close()
    note = note_text.encode()
    assert post(url, AddCheckpoint(size + 1, (), note).encode(), 5).status == 400
    # a first cosignature from 0 needs no proof; a made-up proof from 1 is a 422 ...
    bad = AddCheckpoint(0, (bytes(32),), note).encode()
    assert post(url, bad, 5).status == 422
    ok = post(url, AddCheckpoint(0, (), note).encode(), 5)
    assert ok.status == 200 and ok.body.startswith("— witness.test/w0 ".encode())
    # ... and once it holds a size, a request from 0 is told that size
    again = post(url, AddCheckpoint(0, (), note).encode(), 5)
    assert again.status == 409 and again.body == f"{size}\n".encode()
    state = json.loads((net.witnesses[0].files.folder / "state.json").read_text())
    assert state["logs"][net.log_key.name]["size"] == size
