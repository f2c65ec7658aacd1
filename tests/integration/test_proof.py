"""The "Proof" issue on the real data: export, verify, tampering, consistency, crash safety.

The V1 bundle is exported once (module fixture) and tampered with in memory;
each tampering must make ``verify`` fail and name where. The crash test kills
``actas import`` with SIGKILL mid-file and checks that the store and the log
still agree, then finishes the import and verifies a fresh export.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actas.__main__ import app
from actas.adapters.bundle_files import parquet_columns, read_bundle
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.bundle import format as b
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.verify.procedure import VerifyReport, verify

pytestmark = pytest.mark.slow

V1 = ("resultadosconvzla", "RESULTADOS_2024_CSV_V1.csv")
V2 = ("resultadosconvzla", "RESULTADOS_2024_CSV_V2.csv")
ACTAS = [sys.executable, "-m", "actas"]
CRASH_ROWS = int(os.environ.get("ACTAS_CRASH_ROWS", "30000"))  # 200000 for the full size


def clock() -> str:
    return "2024-07-29T04:00:00.000000Z"


@dataclass
class Exported:
    svc: Service
    folder: Path
    files: dict[str, bytes]
    key: str


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory, ve: Path) -> Iterator[Exported]:
    root = tmp_path_factory.mktemp("proof")
    svc = Service.init(Settings.from_env(env={}, home=root / "home"), "ve-2024", clock=clock)
    svc.import_file(ve.joinpath(*V1))
    summary = svc.export(root / "bundle")
    assert summary.size == 24533 and summary.tables == 24532
    key = svc.log.verifier().to_text()
    yield Exported(svc, root / "bundle", read_bundle(root / "bundle"), key)
    svc.close()


def failures(report: VerifyReport, code: str) -> list[str]:
    return [f"{f.where}: {f.message}" for f in report.failures if f.code == code]


def test_export_verifies_through_the_cli_and_is_deterministic(v1: Exported, tmp_path: Path) -> None:
    key_file = v1.svc.log.verifier_key_file
    result = CliRunner().invoke(app, ["verify", str(v1.folder), "--key", str(key_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["size"] == 24533
    assert report["checks"]["records_rederived"] == 24532
    assert report["checks"]["tables"] == 24532 and report["checks"]["parquet_files"] == 2
    again = v1.svc.export(tmp_path / "again")
    assert again.size == 24533
    assert read_bundle(tmp_path / "again") == v1.files  # byte-identical, no export time inside
    names = sorted(v1.files)
    assert names == sorted(
        [*(f"mappings/{m}.toml" for m in
           ("centres", "cvzla", "qr-by-candidate", "qr-resultados", "zentraedi")),
         "MANIFEST", "README.md", "checkpoint.txt", "election.toml", "leaves.txt",
         "results.csv", "results.json", "results.parquet", "submissions.jsonl",
         "tables.csv", "tables.json", "tables.parquet", "verifier.pub"]
    )  # fmt: skip


def test_published_numbers_tampered_with(v1: Exported) -> None:
    """Votes in tables.json and tables.csv, a state's total, a count in submissions.jsonl."""
    files = dict(v1.files)
    tables = files[b.TABLES_JSON].decode().split("\n")
    i = next(n for n, line in enumerate(tables) if '"table_id":"201301006.01"' in line)
    tables[i] = tables[i].replace('"maduro":188', '"maduro":189')
    files[b.TABLES_JSON] = "\n".join(tables).encode()
    rows = files[b.TABLES_CSV].decode().split("\n")
    j = next(n for n, line in enumerate(rows) if line.startswith("010101001.02,"))
    cells = rows[j].split(",")
    cells[-3] = str(int(cells[-3]) - 10)  # votes_gonzalez
    rows[j] = ",".join(cells)
    files[b.TABLES_CSV] = "\n".join(rows).encode()
    results = files[b.RESULTS_JSON].decode().split("\n")
    k = next(n for n, line in enumerate(results) if '"code":"20","election"' in line)
    state = json.loads(results[k].rstrip(","))
    gonzalez = next(c for c in state["candidates"] if c["id"] == "gonzalez")
    gonzalez["votes"] += 1000
    results[k] = b.dumps(state) + ","
    files[b.RESULTS_JSON] = "\n".join(results).encode()
    subs = files[b.SUBMISSIONS].decode().split("\n")
    subs[1] = subs[1].replace('"maduro":120', '"maduro":20')
    files[b.SUBMISSIONS] = "\n".join(subs).encode()

    report = verify(files, pinned_key=v1.key, read_parquet=parquet_columns)
    assert not report.ok
    changed = {f.where.split(":")[0] for f in report.failures if f.code == "manifest.hash_mismatch"}
    assert changed == {b.TABLES_JSON, b.TABLES_CSV, b.RESULTS_JSON, b.SUBMISSIONS}
    assert failures(report, "table.mismatch") == [
        f"tables.json line {i + 1} (table 201301006.01): "
        "counts.votes.maduro: expected 188, found 189",
        f"tables.csv line {j + 1} (table 010101001.02): votes_gonzalez: "
        f"expected {int(cells[-3]) + 10}, found {cells[-3]}",
    ]
    (region,) = failures(report, "region.mismatch")
    assert region.startswith(f"results.json line {k + 1} (region state 20): candidates[gonzalez]")
    assert f"found {gonzalez['votes']}" in region
    (record,) = failures(report, "record.counts_mismatch")
    assert record.startswith("submissions.jsonl line 2 (leaf 1, RESULTADOS_2024_CSV_V1.csv): votes")
    assert report.total_failures == 8


def _leaf_lines(files: dict[str, bytes]) -> list[bytes]:
    return files[b.LEAVES].split(b"\n")[:-1]


def _set_leaves(files: dict[str, bytes], lines: list[bytes]) -> dict[str, bytes]:
    """The log and the submissions only: what leaf tampering concerns (tables are tested above)."""
    keep = (b.ELECTION, b.VERIFIER_KEY, b.CHECKPOINT, b.SUBMISSIONS, "mappings/cvzla.toml")
    out = {p: files[p] for p in keep}
    out[b.LEAVES] = b"".join(line + b"\n" for line in lines)
    return out


def test_leaves_changed_reordered_dropped(v1: Exported) -> None:
    lines = _leaf_lines(v1.files)
    leaf = bytearray(base64.b64decode(lines[5000]))
    raw_at = leaf.index(b'"raw":"') + 20
    leaf[raw_at] = ord("A") if leaf[raw_at] != ord("A") else ord("B")  # one byte of the raw row
    lines[5000] = base64.b64encode(bytes(leaf))
    lines[100], lines[101] = lines[101], lines[100]
    report = verify(_set_leaves(v1.files, lines), pinned_key=v1.key)
    assert failures(report, "log.root_mismatch")
    (bad,) = failures(report, "leaf.malformed")
    assert bad.startswith("leaves.txt line 5001 (leaf 5000): inline raw does not match")
    swapped = [f.where for f in report.failures if f.code == "submission.leaf_mismatch"]
    assert any(w.startswith("submissions.jsonl line 101 (leaf 100)") for w in swapped)
    assert any(w.startswith("submissions.jsonl line 102 (leaf 101)") for w in swapped)

    dropped = _leaf_lines(v1.files)
    del dropped[777]
    report = verify(_set_leaves(v1.files, dropped), pinned_key=v1.key)
    assert failures(report, "log.too_short") == [
        "leaves.txt: the checkpoint covers 24533 leaves, found 24532"
    ]
    assert any(w.startswith("submissions.jsonl line 778 (leaf 777)") for w in
               (f.where for f in report.failures))  # fmt: skip


def _log_only(files: dict[str, bytes], note: bytes) -> dict[str, bytes]:
    keep = (b.ELECTION, b.VERIFIER_KEY, b.LEAVES)
    return {**{p: files[p] for p in keep}, b.CHECKPOINT: note}


def test_forged_checkpoints(v1: Exported) -> None:
    """Checked on the log alone (election, key, leaves, checkpoint): no re-derivation needed."""
    note = v1.files[b.CHECKPOINT]
    body = cp.Checkpoint.parse(note[: note.rindex(b"\n\n") + 1])
    clean = verify(_log_only(v1.files, note), pinned_key=v1.key, rederive=False)
    assert clean.checks["tree_root"] == 1 and not failures(clean, "log.root_mismatch")

    forger = cp.generate_signer(body.origin, b"\x01" * 32)
    forged = verify(
        _log_only(v1.files, cp.sign_checkpoint(body, forger)), pinned_key=v1.key, rederive=False
    )
    (fail,) = failures(forged, "checkpoint.invalid")
    assert fail.startswith("checkpoint.txt: does not open with")

    real = cp.Signer.from_text(v1.svc.log.signer_key_file.read_text().strip())
    other_root = merkle.root_from_leaf_hashes([merkle.leaf_hash(b"other")] * body.size)
    other = cp.sign_checkpoint(cp.Checkpoint(body.origin, body.size, other_root), real)
    report = verify(_log_only(v1.files, other), pinned_key=v1.key, rederive=False)
    (fail,) = failures(report, "log.root_mismatch")
    assert f"the checkpoint says {other_root.hex()}" in fail


def test_v2_after_v1_is_consistent(v1: Exported, ve: Path, tmp_path: Path) -> None:
    svc = v1.svc
    old_note = v1.files[b.CHECKPOINT]
    old = cp.open_checkpoint(old_note, svc.log.verifier())
    svc.import_file(ve.joinpath(*V2))
    new_note = svc.log.publish_checkpoint(clock()).encode()
    new = cp.open_checkpoint(new_note, svc.log.verifier())
    assert new.size > old.size
    result = CliRunner().invoke(
        app, ["log", "consistency", str(old.size), str(new.size), "--home", str(svc.settings.home)]
    )
    assert result.exit_code == 0, result.output
    proof = json.loads(result.output)
    assert proof["old_root"] == old.root_hash.hex() and proof["new_root"] == new.root_hash.hex()
    hashes = [bytes.fromhex(h) for h in proof["proof"]]
    assert merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, hashes)

    svc.export(tmp_path / "bundle")
    (tmp_path / "old.txt").write_bytes(old_note)
    report = verify(read_bundle(tmp_path / "bundle"), pinned_key=v1.key, previous=old_note)
    assert report.ok, report.failures
    assert report.checks["previous_checkpoint"] == 1 and report.size == new.size


# --------------------------------------------------------------------------- crash safety


def synthetic_csv(path: Path, v1_file: Path, n: int) -> None:
    """``n`` rows in the CVZLA format: V1's header and rows, CENTRO/MESA varied (states 01-24)."""
    text = v1_file.read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    header = next(csv.reader([lines[0]]))
    ci, mi = header.index("CENTRO"), header.index("MESA")
    body = [next(csv.reader([line])) for line in lines[1:500]]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for i in range(n):
        fields = list(body[i % len(body)])
        c = i // 20
        state, rest = c % 24 + 1, c // 24
        fields[ci] = (
            f"{state:02d}{rest % 99 + 1:02d}{rest // 99 % 99 + 1:02d}{rest // 9801 + 1:03d}"
        )
        fields[mi] = str(i % 20 + 1)
        w.writerow(fields)
    path.write_text(out.getvalue(), "utf-8")


def _logged(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            value = conn.execute("SELECT max(seq) FROM submissions").fetchone()[0]
    except sqlite3.Error:
        return 0
    return 0 if value is None else int(value) + 1


def assert_store_and_log_agree(home: Path) -> int:
    svc = Service.open(Settings.from_env(env={}, home=home))
    try:
        store = svc.store
        with store.read() as conn:
            size = store.size(conn)
            seqs, hashes = [], []
            for s in store.iter_submissions(conn):
                seqs.append(s.seq)
                hashes.append(merkle.leaf_hash(s.leaf))
            nodes = store.node_reader(conn)
            stored_leaves = nodes.nodes([(0, i) for i in range(size)])
            stored_root = merkle.root(size, nodes)
        assert seqs == list(range(size)), "seqs are gap-free"
        assert all(stored_leaves[(0, i)] == h for i, h in enumerate(hashes)), "one leaf each"
        assert merkle.root_from_leaf_hashes(hashes) == stored_root
        return size
    finally:
        svc.close()


def test_import_killed_mid_file_then_completed(ve: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    synthetic_csv(big, ve.joinpath(*V1), CRASH_ROWS)
    home = tmp_path / "home"
    env = {**os.environ, "ACTAS_HOME": str(home)}
    subprocess.run([*ACTAS, "init", "--election", "ve-2024"], env=env, check=True)
    proc = subprocess.Popen(
        [*ACTAS, "import", str(big)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while _logged(home / "actas.db") < 10_001 and proc.poll() is None:
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it was killed"
    partial = assert_store_and_log_agree(home)
    assert 10_001 <= partial < CRASH_ROWS + 1

    done = subprocess.run([*ACTAS, "import", str(big), "--json"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    summary = json.loads(done.stdout)[0]
    assert summary["duplicates"] == partial - 1 and summary["loaded"] == CRASH_ROWS - partial + 1
    size = assert_store_and_log_agree(home)
    assert size == CRASH_ROWS + 2  # two import events, every row once

    svc = Service.open(Settings.from_env(env={}, home=home))
    try:
        svc.export(tmp_path / "bundle")
        key = svc.log.verifier().to_text()
    finally:
        svc.close()
    report = verify(read_bundle(tmp_path / "bundle"), pinned_key=key, read_parquet=parquet_columns)
    assert report.ok, report.failures
    assert report.checks["records_rederived"] == CRASH_ROWS


# --------------------------------------------------------------------------- photos


def test_photos_are_exported_and_rederived(service: Service, tmp_path: Path) -> None:
    from actas.app.photos.ingest import ingest_photo
    from photoset import _render

    for i in range(2):
        photo = Path(_render((i, str(tmp_path))))
        result = ingest_photo(service, photo.read_bytes(), photo.name)
        assert result["counts"] is not None
    summary = service.export(tmp_path / "bundle", photos=True)
    assert (summary.photos, summary.photos_missing) == (2, 0)
    files = read_bundle(tmp_path / "bundle")
    report = verify(files, read_parquet=parquet_columns)
    assert report.ok, report.failures
    assert report.checks["photos"] == 2 and report.checks["photos_rederived"] == 2

    photo_path = next(p for p in files if p.startswith("photos/"))
    files[photo_path] = files[photo_path][:-1] + b"\0"
    subs = files[b.SUBMISSIONS].decode().split("\n")
    obj = json.loads(subs[0])
    obj["counts"]["null"] += 1
    subs[0] = b.dumps(obj)
    files[b.SUBMISSIONS] = "\n".join(subs).encode()
    report = verify(files)
    assert failures(report, "photo.hash_mismatch")[0].startswith(photo_path)
    (fail,) = failures(report, "record.counts_mismatch")
    assert fail.startswith("submissions.jsonl line 1 (leaf 0, photo): null: the row gives")
