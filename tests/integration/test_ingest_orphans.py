"""A killed ``actas ingest`` leaves no worker behind (issue 19 D14: 2 orphans after SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actas.adapters.elections import load_builtin
from actas.app.service import Service
from actas.app.settings import Settings
from actas.dev.synthset import SheetSpec, generate_set

E = load_builtin("ve-2024")
COPIES = 150  # decoding them takes far longer than the test waits


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        out |= {int(x) for x in text.split()}
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has ended, whoever reaps it


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("orphan-photos")
    specs = [
        SheetSpec(
            table_id=f"2013010{i:02d}.01",
            options=tuple([10] * len(E.options)),
            null=0,
            seed=i,
            size=(900, 1200),
        )
        for i in range(1, 3)
    ]
    generate_set(E, specs, out)
    (out / "truth.jsonl").unlink()
    originals = sorted(out.glob("*.jpg"))
    for n in range(COPIES):  # distinct bytes (a trailer after the JPEG), so none is skipped
        src = originals[n % len(originals)]
        (out / f"copy-{n:04d}.jpg").write_bytes(src.read_bytes() + n.to_bytes(4, "big"))
    return out


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
def test_sigkill_of_ingest_ends_its_workers(tmp_path: Path, photo_dir: Path) -> None:
    home = tmp_path / "h"
    Service.init(Settings.from_env(env={}, home=home), "ve-2024").close()
    env = {**os.environ, "ACTAS_HOME": str(home)}
    cmd = [sys.executable, "-m", "actas", "ingest", str(photo_dir), "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: set[int] = set()
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and len(workers) < 2:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool never started"
        time.sleep(1.0)  # the workers are decoding
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)
        left = sorted(w for w in workers if _alive(w))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pid in left:  # clean up what the test found, then fail
        os.kill(pid, signal.SIGKILL)
    assert not left, f"orphaned workers: {left}"


def test_die_with_parent_ends_a_child_whose_parent_is_already_gone() -> None:
    # a child started by a parent that has died before it called die_with_parent
    code = (
        "import os, sys\n"
        "from actas.adapters.lifeline import die_with_parent\n"
        "die_with_parent(os.getppid() + 1_000_000)\n"
        "sys.exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert done.returncode == 1
