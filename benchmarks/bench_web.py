"""Benchmark the portal: requests/s and p99 of the API and a table page; ``actas publish`` time.

    .venv/bin/python benchmarks/bench_web.py [--home DIR] [--duration S] [--connections C]
                                             [--skip-publish] [--python-load]

Loads V1 into a fresh data folder (or uses ``--home``), starts ``actas serve`` on
a free loopback port in a subprocess and runs a bounded load against it: ``wrk``
when installed (``apt-get install -y wrk``), else a Python asyncio/httpx load
generator bounded in requests and time. Targets, all in the same run:

- ``/healthz``: the baseline, a trivial response (the server's ceiling here);
- ``/api/v1/results``: goal >= 2,000 req/s at p99 < 50 ms;
- ``/tables/201301006.01``: one table page, goal >= 500 req/s at p99 < 100 ms;
- random table pages over all 24,532 tables: mostly first renders (no cache).

Each line gives requests/s, p99 and the ratio to the baseline; the ratios are
what carries over between machines (this one is shared). Then ``actas publish``
of the whole V1 portal is timed (goal < 2 min). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "ve2024"
V1 = DATA / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
GEO = DATA / "geo" / "geoBoundaries-VEN-ADM1_simplified.geojson"
TABLE = "201301006.01"
GOALS = {
    "/api/v1/results": (2000.0, 50.0),
    f"/tables/{TABLE}": (500.0, 100.0),
}
PUBLISH_GOAL_S = 120.0


def actas(*args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "actas", *args]
    return subprocess.run(cmd, check=True, text=True, capture_output=capture, cwd=REPO)


def prepare(home: Path) -> None:
    t = time.perf_counter()
    actas("init", "--election", "ve-2024", "--home", str(home))
    actas("import", str(V1), "--home", str(home))
    actas("log", "checkpoint", "--home", str(home))
    print(f"data: V1 imported and checkpointed in {time.perf_counter() - t:.1f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "actas", "serve", "--home", str(home), "--port", str(port)]
    cmd += ["--geometry", str(GEO)] if GEO.exists() else []
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"server failed: {err}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


# --------------------------------------------------------------------------- load


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(base: str, path: str, seconds: int, conns: int, script: Path | None) -> tuple[float, float]:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    cmd += ["-s", str(script)] if script else []
    out = subprocess.run([*cmd, base + path], check=True, text=True, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in out:
        print("  warning: non-2xx responses\n" + out)
    return rps, p99


async def _pyload(base: str, paths: list[str], seconds: int, conns: int) -> tuple[float, float]:
    import httpx

    latencies: list[float] = []
    limit = 200_000
    stop = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop and len(latencies) < limit:
            t = time.perf_counter()
            r = await client.get(random.choice(paths))
            r.raise_for_status()
            latencies.append(time.perf_counter() - t)

    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=conns)) as c:
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for _ in range(conns)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(0.99 * (len(latencies) - 1))] * 1000


def run_load(
    base: str, name: str, paths: list[str], seconds: int, conns: int, python: bool, tmp: Path
) -> tuple[float, float]:
    import httpx

    with httpx.Client(base_url=base) as warm:  # the first render of each page is not timed
        for p in paths[:50]:
            warm.get(p).raise_for_status()
    if python or not shutil.which("wrk"):
        return asyncio.run(_pyload(base, paths, seconds, conns))
    script = None
    if len(paths) > 1:
        script = tmp / f"{name}.lua"
        ids = ",".join(json.dumps(p) for p in paths)
        script.write_text(
            f"local paths = {{{ids}}}\n"
            "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
        )
    return wrk(base, paths[0] if script is None else "/", seconds, conns, script)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, help="a data folder with V1 (else one is made)")
    ap.add_argument("--duration", type=int, default=8, help="seconds per target (default 8)")
    ap.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    ap.add_argument("--skip-publish", action="store_true")
    ap.add_argument("--python-load", action="store_true", help="use the Python load generator")
    args = ap.parse_args()
    if not V1.exists():
        raise SystemExit(f"missing {V1}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    home = args.home or tmp / "home"
    if args.home is None:
        prepare(home)
    port = free_port()
    server = start_server(home, port)
    base = f"http://127.0.0.1:{port}"
    print(f"server: actas serve on {base}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    tool = "python/httpx" if args.python_load or not shutil.which("wrk") else "wrk"
    print(f"load: {tool}, {args.connections} connections, {args.duration} s per target\n")
    tables = [
        f"/tables/{t}"
        for t in json.loads(
            subprocess.run(
                [sys.executable, "-c", _LIST_IDS, str(home)],
                check=True,
                text=True,
                capture_output=True,
                cwd=REPO,
            ).stdout
        )
    ]
    random.Random(7).shuffle(tables)
    targets = [
        ("/healthz", ["/healthz"]),
        ("/api/v1/results", ["/api/v1/results"]),
        (f"/tables/{TABLE}", [f"/tables/{TABLE}"]),
        ("random table pages", tables),
    ]
    rows = []
    try:
        base_rps = 0.0
        for name, paths in targets:
            rps, p99 = run_load(
                base,
                re.sub(r"\W", "_", name),
                paths,
                args.duration,
                args.connections,
                args.python_load,
                tmp,
            )
            base_rps = base_rps or rps
            rows.append((name, rps, p99, rps / base_rps))
    finally:
        server.terminate()
        server.wait(10)
    print(f"{'target':<28}{'req/s':>10}{'p99 ms':>10}{'x baseline':>12}  goal")
    for name, rps, p99, ratio in rows:
        goal = GOALS.get(name)
        verdict = ""
        if goal:
            ok = rps >= goal[0] and p99 < goal[1]
            verdict = f">= {goal[0]:,.0f}/s, p99 < {goal[1]:.0f} ms: {'met' if ok else 'NOT met'}"
        print(f"{name:<28}{rps:>10,.0f}{p99:>10.1f}{ratio:>12.2f}  {verdict}")
    if not args.skip_publish:
        out = tmp / "site"
        t = time.perf_counter()
        summary = json.loads(
            actas("publish", str(out), "--home", str(home), "--geometry", str(GEO), "--json").stdout
        )
        took = time.perf_counter() - t
        verdict = "met" if took < PUBLISH_GOAL_S else "NOT met"
        print(
            f"\nactas publish: {summary['tables']:,} tables, {summary['regions']:,} regions, "
            f"{summary['files']:,} files, {summary['bytes'] / 1e6:,.0f} MB in {took:.1f} s "
            f"(goal < {PUBLISH_GOAL_S:.0f} s: {verdict}); load {os.getloadavg()[0]:.1f}"
        )
    shutil.rmtree(tmp, ignore_errors=True)


_LIST_IDS = """
import json, sys
from actas.app.service import Service
from actas.app.settings import Settings
svc = Service.open(Settings.from_env(home=sys.argv[1]))
with svc.store.read() as conn:
    print(json.dumps(sorted(r.table_id for r in svc.store.table_results(conn))))
"""

if __name__ == "__main__":
    main()
