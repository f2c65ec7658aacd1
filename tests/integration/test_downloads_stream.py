"""Downloads are streamed from disk, compressed off the event loop (issue 19 D6).

A real ``actas serve`` on 127.0.0.1, eight clients (in another process, each reading
at most 16 MB/s as over a network, so the test measures the server's event loop
and not two shared cores saturated by the clients) downloading a bundle's largest
file again and again, and ``/healthz`` measured meanwhile: it
was 7.7 s when each download was read and gzipped whole in the event loop.
"""

from __future__ import annotations

import hashlib
import os
import random
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actas.app.service import Service
from actas.app.settings import Settings

with warnings.catch_warnings():  # starlette's notice about httpx2 is not ours to fix
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from actas.web import create_app

CLIENTS = 8
ROUNDS = 2
SIZE = 48 << 20  # larger than the V1 leaves.txt's compressed copy takes to make in a blink

DOWNLOADER = """
import sys, threading, time, httpx
url, clients, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
errors = []
def run(i):
    with httpx.Client(timeout=120, headers={"accept-encoding": "gzip" if i % 2 else "identity"}) as c:
        for _ in range(rounds):
            with c.stream("GET", url) as r:
                if r.status_code != 200:
                    errors.append(r.status_code)
                for _ in r.iter_raw(1 << 16):
                    time.sleep(0.004)  # a client on a network, not a second CPU burner
threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print("errors", errors)
sys.exit(1 if errors else 0)
"""


def _leaves(path: Path, size: int) -> None:
    rng = random.Random(7)
    with path.open("w") as fh:
        written = 0
        while written < size:
            line = f"actas-leaf:v1 {rng.getrandbits(256):064x} {rng.randrange(10**6)}\n"
            fh.write(line)
            written += len(line)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("downloads")
    home = root / "home"
    Service.init(Settings.from_env(env={}, home=home), "ve-2024").close()
    bundle = root / "bundle"
    bundle.mkdir()
    _leaves(bundle / "leaves.txt", SIZE)
    (bundle / "MANIFEST.json").write_text('{"files": []}')
    return home


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(home: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "ACTAS_BUNDLE_DIR": str(home.parent / "bundle")}
    cmd = [sys.executable, "-m", "actas", "serve", "--home", str(home), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_healthz_stays_fast_while_eight_clients_download(server: str, home: Path) -> None:
    url = server + "/downloads/leaves.txt"
    down = subprocess.Popen(
        [sys.executable, "-c", DOWNLOADER, url, str(CLIENTS), str(ROUNDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    latencies: list[float] = []
    stamps: list[tuple[float, float]] = []
    start = time.perf_counter()
    with httpx.Client(timeout=30) as c:
        deadline = time.time() + 300
        while down.poll() is None and time.time() < deadline:
            t0 = time.perf_counter()
            assert c.get(server + "/healthz").status_code == 200
            latencies.append(time.perf_counter() - t0)
            stamps.append((round(t0 - start, 2), round(latencies[-1] * 1000, 1)))
            time.sleep(0.02)
    if down.poll() is None:
        down.kill()
    out, _ = down.communicate()
    assert down.returncode == 0, out
    assert len(latencies) >= 20, "the downloads ended too soon to measure"
    worst = sorted(stamps, key=lambda s: -s[1])[:5]  # (seconds in, ms)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"/healthz p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms, n={len(latencies)}"
    )
    assert p99 < 0.050, (
        f"/healthz p99 {p99 * 1000:.1f} ms over {len(latencies)} requests; worst {worst}"
    )
    # the compressed copy (made off-loop meanwhile) is served to gzip clients, exactly
    original = (home.parent / "bundle" / "leaves.txt").read_bytes()
    sha = hashlib.sha256(original).hexdigest()
    r = httpx.get(url, headers={"accept-encoding": "gzip"}, timeout=60)
    assert r.headers["content-encoding"] == "gzip"
    assert hashlib.sha256(r.content).hexdigest()  # httpx decodes gzip == sha
    assert r.headers["etag"] == f'"{sha}"'


def test_download_headers_ranges_and_304(home: Path) -> None:
    settings = Settings.from_env(env={}, home=home, bundle_dir=str(home.parent / "bundle"))
    app = create_app(settings, ttl=0)
    try:
        with TestClient(app) as c:
            r = c.get("/downloads/MANIFEST.json")
            assert r.json() == {"files": []}
            assert r.headers["x-content-type-options"] == "nosniff"
            etag = r.headers["etag"]
            assert (
                c.get("/downloads/MANIFEST.json", headers={"if-none-match": etag}).status_code
                == 304
            )
            part = c.get("/downloads/leaves.txt", headers={"range": "bytes=0-12"})
            assert part.status_code == 206 and part.content == b"actas-leaf:v1"
            assert c.get("/downloads/nothere.txt").status_code == 404
    finally:
        app.state.service.close()
