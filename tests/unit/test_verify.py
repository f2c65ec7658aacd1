"""The offline verifier on small bundles built in memory (no DB, fast)."""

from __future__ import annotations

import ast
import base64
import json
from pathlib import Path

import pytest

from actas.adapters.bundle_files import parquet_columns
from actas.core.bundle import format as b
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.verify.procedure import VerifyReport, verify
from bundlegen import Built, build, remanifest, row, rows, signer

SRC = Path(__file__).resolve().parents[2] / "src" / "actas"


@pytest.fixture(scope="module")
def small() -> Built:
    return build(list(rows(40)))


def check(files: dict[str, bytes], **kw: object) -> VerifyReport:
    return verify(files, read_parquet=parquet_columns, **kw)  # type: ignore[arg-type]


def failing(report: VerifyReport, code: str) -> list[str]:
    return [f"{f.where}: {f.message}" for f in report.failures if f.code == code]


def test_a_fresh_bundle_verifies(small: Built) -> None:
    report = check(small.files, pinned_key=small.signer.verifier().to_text())
    assert report.ok, report.failures
    assert report.size == 41 and report.total_failures == 0
    c = report.checks
    assert c["leaves"] == 41 and c["records_rederived"] == 40 and c["tables"] == 40
    assert c["parquet_files"] == 2 and c["pinned_key"] == 1 and c["tree_root"] == 1
    assert report.to_json()["ok"] is True


def test_verify_imports_no_adapter() -> None:
    allowed = {"audit", "bundle", "checkpoint", "compare", "errors", "leaf", "definitions", "merkle",
               "model", "payload", "photo_intake", "import_event", "reconcile", "row_intake", "rows", "rederive", "render", "replay", "rules",
               "sealed", "tally", "format", "log", "results", "verify", "procedure",
               # the modules split out of those above (issue 14)
               "arrays", "canonical", "counts", "expected", "frontier", "manifest", "nodes",
               "nodestore", "paths", "proofs", "readme", "region_tally", "regions", "tables",
               "treehash", "audits", "files", "outputs", "photos", "published", "report",
               "reread", "run", "signature", "tree"}  # fmt: skip
    for name in ("verify/procedure", "verify/rederive", "bundle/render", "verify/replay",
                 "bundle/compare", "bundle/format",
                 # the modules split out of those above (issue 14)
                 "verify/audits", "verify/files", "verify/outputs", "verify/photos",
                 "verify/published", "verify/report", "verify/reread", "verify/run",
                 "verify/signature", "verify/tree", "bundle/canonical", "bundle/counts",
                 "bundle/manifest", "bundle/paths", "bundle/readme", "bundle/tables"):  # fmt: skip
        tree = ast.parse((SRC / "core" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("actas"):
                parts = (node.module or "").split(".")
                assert parts[:2] == ["actas", "core"], (name, node.module)
                mods = parts[2:] if len(parts) > 2 else [a.name for a in node.names]
                assert set(mods) <= allowed, (name, mods)
            elif isinstance(node, ast.ImportFrom):
                assert node.module in (
                    "__future__", "collections.abc", "dataclasses", "json.encoder", "typing"
                )  # fmt: skip
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name in ("base64", "binascii", "csv", "gc", "hashlib", "io",
                                          "json", "operator", "re", "numpy"), (name, alias.name)  # fmt: skip


def test_changed_vote_in_tables_json_and_csv(small: Built) -> None:
    files = dict(small.files)
    text = files[b.TABLES_JSON].decode()
    first = json.loads(text.split("\n")[1].rstrip(","))
    tid, votes = first["table_id"], first["counts"]["votes"]["gonzalez"]
    files[b.TABLES_JSON] = text.replace(
        f'"gonzalez":{votes}', f'"gonzalez":{votes + 1}', 1
    ).encode()
    lines = files[b.TABLES_CSV].decode().split("\n")
    cells = lines[3].split(",")
    cells[-3] = str(int(cells[-3]) + 5)  # votes_gonzalez
    lines[3] = ",".join(cells)
    files[b.TABLES_CSV] = "\n".join(lines).encode()
    report = check(remanifest(files))
    assert not report.ok
    (json_fail,) = failing(report, "table.mismatch")[:1]
    assert f"tables.json line 2 (table {tid})" in json_fail
    assert f"counts.votes.gonzalez: expected {votes}, found {votes + 1}" in json_fail
    csv_fail = [f for f in failing(report, "table.mismatch") if f.startswith("tables.csv")]
    assert csv_fail and "tables.csv line 4" in csv_fail[0] and "votes_gonzalez" in csv_fail[0]


def test_manifest_catches_any_changed_file(small: Built) -> None:
    files = dict(small.files)
    files[b.README] = files[b.README] + b" "
    files["extra.txt"] = b"hello"
    del files[b.TABLES_PARQUET]
    report = check(files)
    assert failing(report, "manifest.hash_mismatch")[0].startswith("README.md: SHA-256 is")
    assert failing(report, "manifest.extra_file") == [
        "extra.txt: in the bundle but not listed in MANIFEST"
    ]
    assert failing(report, "manifest.missing_file")[0].startswith("tables.parquet")


def _leaves(files: dict[str, bytes]) -> list[bytes]:
    return files[b.LEAVES].split(b"\n")[:-1]


def _with_leaves(files: dict[str, bytes], lines: list[bytes]) -> dict[str, bytes]:
    out = dict(files)
    out[b.LEAVES] = b"".join(line + b"\n" for line in lines)
    return remanifest(out)


def test_changed_byte_in_a_leaf(small: Built) -> None:
    lines = _leaves(small.files)
    leaf = bytearray(base64.b64decode(lines[7]))
    at = leaf.index(b'"received_at":"2024') + len(b'"received_at":"2024')
    leaf[at + 1] = ord("9")  # another day: still canonical JSON
    lines[7] = base64.b64encode(bytes(leaf))
    report = check(_with_leaves(small.files, lines))
    assert failing(report, "log.root_mismatch")
    assert "leaves.txt leaves 0-40" in failing(report, "log.root_mismatch")[0]


def test_dropped_and_reordered_leaves(small: Built) -> None:
    lines = _leaves(small.files)
    dropped = check(_with_leaves(small.files, lines[:5] + lines[6:]))
    assert failing(dropped, "log.too_short") == [
        "leaves.txt: the checkpoint covers 41 leaves, found 40"
    ]
    swapped = lines[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    report = check(_with_leaves(small.files, swapped))
    assert failing(report, "log.root_mismatch")
    wheres = [f.where for f in report.failures if f.code == "submission.leaf_mismatch"]
    assert any("line 4 (leaf 3)" in w for w in wheres), report.failures


def test_unsigned_leaves_beyond_the_checkpoint(small: Built) -> None:
    more = build(list(rows(41)), key=small.signer)
    files = dict(more.files)
    files[b.CHECKPOINT] = small.files[b.CHECKPOINT]
    report = check(remanifest(files))
    assert failing(report, "log.unsigned_leaves") == [
        "leaves.txt lines 42-42: 1 leaves lie beyond the checkpoint's 41: no signature covers them"
    ]


def test_changed_regional_total(small: Built) -> None:
    files = dict(small.files)
    lines = files[b.RESULTS_JSON].decode().split("\n")
    obj = json.loads(lines[2].rstrip(","))  # the first state
    obj["valid"] += 1
    lines[2] = b.dumps(obj) + ","
    files[b.RESULTS_JSON] = "\n".join(lines).encode()
    report = check(remanifest(files))
    (fail,) = failing(report, "region.mismatch")
    assert fail.startswith(f"results.json line 3 (region state {obj['code']}): valid: expected")


def test_forged_checkpoint_and_other_tree(small: Built) -> None:
    body = cp.Checkpoint.parse(small.files[b.CHECKPOINT].split(b"\n\n")[0] + b"\n")
    forger = signer(small.signer.name, b"\x07" * 32)
    forged = dict(small.files)
    forged[b.CHECKPOINT] = cp.sign_checkpoint(body, forger)
    report = check(remanifest(forged))
    assert failing(report, "checkpoint.invalid")
    other = dict(small.files)
    fake_root = merkle.root_from_leaf_hashes([merkle.leaf_hash(b"x")] * body.size)
    other[b.CHECKPOINT] = cp.sign_checkpoint(
        cp.Checkpoint(body.origin, body.size, fake_root), small.signer
    )
    report = check(remanifest(other))
    (fail,) = failing(report, "log.root_mismatch")
    assert fake_root.hex() in fail


def test_pinned_key_must_match(small: Built) -> None:
    stranger = signer("actas.example/ve-2024", b"\x09" * 32).verifier().to_text()
    report = check(small.files, pinned_key=stranger)
    assert failing(report, "key.mismatch") and failing(report, "checkpoint.invalid")


def test_changed_count_in_submissions_is_caught_by_rederivation(small: Built) -> None:
    files = dict(small.files)
    lines = files[b.SUBMISSIONS].decode().split("\n")
    obj = json.loads(lines[5])
    obj["counts"]["votes"]["maduro"] += 10
    lines[5] = b.dumps(obj)
    files[b.SUBMISSIONS] = "\n".join(lines).encode()
    report = check(remanifest(files))
    (fail,) = failing(report, "record.counts_mismatch")
    assert fail.startswith("submissions.jsonl line 6 (leaf 5, synthetic.csv): votes: the row gives")
    assert report.total_failures == 1  # tables were re-derived from the row, not the claim


def test_parquet_copy_is_compared(small: Built) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(small.files[b.TABLES_PARQUET]))
    col = table.column("votes_maduro").to_pylist()
    col[2] += 1
    table = table.set_column(table.column_names.index("votes_maduro"), "votes_maduro", [col])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    files = dict(small.files)
    files[b.TABLES_PARQUET] = sink.getvalue().to_pybytes()
    report = check(remanifest(files))
    (fail,) = failing(report, "table.mismatch")
    assert fail.startswith("tables.parquet row 2 (table ") and "votes_maduro" in fail


def test_parquet_column_types_are_compared(small: Built) -> None:
    """Equal values in a column of another type (valid as float64) are not the documented copy."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(small.files[b.TABLES_PARQUET]))
    at = table.column_names.index("valid")
    table = table.set_column(at, "valid", pc.cast(table.column("valid"), pa.float64()))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    files = dict(small.files)
    files[b.TABLES_PARQUET] = sink.getvalue().to_pybytes()
    report = check(remanifest(files))
    assert failing(report, "file.columns") == [
        "tables.parquet: column valid: expected int values, found float"
    ]
    assert report.total_failures == 1


def test_previous_checkpoint(small: Built) -> None:
    prefix = [merkle.leaf_hash(leaf) for leaf in small.leaves[:20]]
    root = merkle.root_from_leaf_hashes(prefix)
    old = cp.sign_checkpoint(cp.Checkpoint(small.signer.name, 20, root), small.signer)
    assert check(small.files, previous=old).checks["previous_checkpoint"] == 1
    other = build(list(rows(20, seed=99)), key=small.signer)
    report = check(small.files, previous=other.files[b.CHECKPOINT])
    assert "the log was rewritten" in failing(report, "previous.root_mismatch")[0]
    bigger = build(list(rows(50)), key=small.signer)
    report = check(small.files, previous=bigger.files[b.CHECKPOINT])
    assert failing(report, "previous.larger")


def test_failures_are_capped_and_counted(small: Built) -> None:
    files = dict(small.files)
    files[b.SUBMISSIONS] = files[b.SUBMISSIONS].replace(b'"maduro":', b'"maduro":1')
    report = verify(remanifest(files), max_failures=5)
    assert len(report.failures) == 5 and report.total_failures > 5 and not report.ok


def test_unreadable_row_and_bad_values_rederive_exactly() -> None:
    bad = [
        row(1, 1, 1, 1, 1, 500, [10, 5, 0, 0, 0, 0, 0, 0, 0, 0]),
        b"1,X,1,Y,1,Z,10101001,2,500,abc,0,1,2,0,0,0,0,0,0,0,0,u",  # a non-number
        b"1,X,1,Y,1,Z,10101001,3,500",  # too few fields
        b'1,X,1,Y,1,"Z, quoted",10101001,4,500,3,0,1,2,0,0,0,0,0,0,0,0,u',
        b"1,X,1,Y,1,Z,99999999999,5,500,3,0,1,2,0,0,0,0,0,0,0,0,u",  # a bad table id
    ]
    built = build(bad)
    report = check(built.files)
    assert report.ok, report.failures
    assert report.checks["records_rederived"] == 5


def test_photos_are_content_addressed(small: Built) -> None:
    files = dict(small.files)
    jpeg = b"\xff\xd8\xff" + b"x" * 10
    import hashlib

    sha = hashlib.sha256(jpeg).hexdigest()
    files[b.photo_path(sha, jpeg)] = jpeg
    files[f"photos/{sha[:2]}/{'0' * 64}.jpg"] = jpeg
    report = check(remanifest(files))
    assert failing(report, "photo.unreferenced") and failing(report, "photo.bad_path")


def test_a_process_pool_gives_the_same_report(small: Built) -> None:
    from concurrent.futures import ProcessPoolExecutor

    files = dict(small.files)
    files[b.SUBMISSIONS] = files[b.SUBMISSIONS].replace(b'"maduro":', b'"maduro":1', 3)
    with ProcessPoolExecutor(2) as pool:
        for bundle in (small.files, remanifest(files)):
            assert verify(bundle, mapper=pool.map) == verify(bundle)


def test_unreadable_files_are_named_by_line_once(small: Built) -> None:
    """A non-UTF-8 MANIFEST, a broken election.toml or mapping: the path once, a real line."""
    files = dict(small.files)
    lines = files[b.MANIFEST].split(b"\n")
    lines[2] += b"\xff"
    files[b.MANIFEST] = b"\n".join(lines)
    assert failing(check(files), "manifest.malformed") == ["MANIFEST line 3: not UTF-8"]
    files = dict(small.files)
    files[b.ELECTION] += b"\n[[[bad"
    (election,) = failing(check(remanifest(files)), "election.invalid")
    assert election.startswith("election.toml: not valid TOML"), election
    files = dict(small.files)
    mapping = next(p for p in files if p.startswith("mappings/"))
    files[mapping] += b"\n[[[bad"
    (bad,) = failing(check(remanifest(files)), "mapping.invalid")
    assert bad.startswith(f"{mapping}: not valid TOML"), bad


def test_reordered_lines_name_the_first_line_out_of_place(small: Built) -> None:
    files = dict(small.files)
    for path in (b.TABLES_JSON, b.TABLES_CSV):
        lines = files[path].split(b"\n")
        lines[3], lines[4] = lines[4], lines[3]
        files[path] = b"\n".join(lines)
    report = check(remanifest(files))
    assert [(f.code, f.where) for f in report.failures] == [
        ("file.not_canonical", b.TABLES_JSON),
        ("file.not_canonical", b.TABLES_CSV),
    ]
    assert all(f.message.endswith(", line 4)") for f in report.failures), report.failures


def test_the_readme_says_ids_are_text(small: Built) -> None:
    """A CSV reader's type inference turns 010101001.01 into 10101001.01 and "01" into 1."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    readme = small.files[b.README].decode()
    assert "leading zeros" in readme and "as text, not numbers" in readme
    for path, column in ((b.TABLES_PARQUET, "table_id"), (b.RESULTS_PARQUET, "code")):
        schema = pq.read_schema(pa.BufferReader(small.files[path]))
        assert schema.field(column).type == pa.string()
