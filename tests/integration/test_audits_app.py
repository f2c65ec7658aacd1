"""Audits wired into the app (``actas.app.audits``) on the real V1 actas and on a tiny file.

Each test works on its own data folder: a copy of the shared V1 service's
database (``v1_service`` is session-scoped and must not be mutated) or a fresh
one. Every commitment, seed and audited value must be a leaf whose bytes hold
the document, and the sample must follow from the commitment and seed leaves.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import itertools
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from actas.__main__ import app
from actas.app import audits
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.audit import commitment as doc
from actas.core.audit import frame_sha256
from actas.core.errors import InputError, NotFound
from actas.core.log.leaf import decode_leaf
from actas.core.model import Counts, Source, Submission, SubmissionKind, TableId

V1 = "resultadosconvzla/RESULTADOS_2024_CSV_V1.csv"
GONZALEZ_SHARE = 7_156_462 / 10_659_128
SEED = "48203 91756 30418 27764"
REGISTRY_MAPPING = """
[format]
name = "v1-registry"
kind = "registry"
description = "V1 read as a registry: table ids and registered voters only"
match = ["CENTRO", "MESA", "RE"]

[table]
id = "{CENTRO:09}.{MESA:02}"

[columns]
registered = "RE"
"""


def ticking_clock() -> Any:
    """A clock one microsecond later at every call (receipt times stay distinct)."""
    counter = itertools.count()
    return lambda: f"2024-07-30T00:00:00.{next(counter):06d}Z"


@pytest.fixture(scope="module")
def v1(v1_service: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A private copy of the shared V1 service (SQLite backup + keys)."""
    src: Service = v1_service
    home = tmp_path_factory.mktemp("audits_v1")
    shutil.copytree(src.settings.keys_dir, home / "keys")
    with (
        sqlite3.connect(src.settings.database_url.removeprefix("sqlite:///")) as a,
        sqlite3.connect(home / "actas.db") as b,
    ):
        a.backup(b)
    svc = Service.open(Settings.from_env(env={}, home=home), clock=ticking_clock())
    yield svc
    svc.close()


def leaf_document(svc: Service, seq: int, event: str) -> dict[str, Any]:
    """The audit document held by leaf ``seq``, read from the leaf bytes."""
    with svc.store.read() as conn:
        sub = svc.store.submission(seq, conn)
    entry = decode_leaf(sub.leaf)
    assert entry["kind"] == "event" and entry["source"]["channel"] == "audit"
    assert entry["meta"] == {"event": event}
    raw = base64.b64decode(entry["raw"]) if "raw" in entry else sub.raw
    assert hashlib.sha256(raw).hexdigest() == entry["raw_sha256"]
    return doc.parse_document(raw)


def raw_of(svc: Service, seq: int) -> bytes:
    with svc.store.read() as conn:
        return svc.store.submission(seq, conn).raw


def reported_counts(svc: Service, table_id: str) -> dict[str, int]:
    result = svc.table(table_id)["result"]
    return {c["id"]: c["votes"] for c in result["candidates"]}


# ----------------------------------------------------------------- quick count on V1


@pytest.mark.slow
def test_quick_count_commit_seed_sample(v1: Service) -> None:
    size = v1.log.size()
    created = audits.create_quick_count(v1, 0.01)
    assert v1.log.size() == size + 1
    design = created["design"]
    assert design["frame_source"] == "results" and design["frame_tables"] == 24_532
    assert 36 < design["design_effect"] < 38 and 800 <= design["total"] <= 830
    commit = leaf_document(v1, created["commitment_seq"], "audit.commit")
    assert commit["type"] == "commitment" and commit["audit"] == created["audit"]
    c = doc.parse_commitment(raw_of(v1, created["commitment_seq"]))
    with v1.store.read() as conn:
        ids = [r.table_id for r in v1.store.table_results(conn)]
    assert c.frame_sha256 == frame_sha256(ids, c.strata) == created["frame_sha256"]
    assert audits.status(v1, created["audit"])["state"] == "awaiting_seed"

    st = audits.set_seed(v1, created["audit"], SEED)
    assert v1.log.size() == size + 2
    seed = leaf_document(v1, st["seed"]["seq"], "audit.seed")
    assert seed["commitment"]["seq"] == created["commitment_seq"]
    assert seed["seed_normalized"] == "48203917563041827764"
    drawn = [r["table_id"] for r in st["sample"]]
    assert len(drawn) == design["total"] and st["missing"] == []
    again = doc.recompute(raw_of(v1, created["commitment_seq"]), raw_of(v1, st["seed"]["seq"]))
    assert isinstance(again, dict)
    assert sorted(d.table_id for ds in again.values() for d in ds) == sorted(drawn)
    share = st["estimate"]["shares"][0]
    assert share["candidate"] == "gonzalez" and share["low"] < GONZALEZ_SHARE < share["high"]

    # the same frame and seed always give the same sample; another seed another one
    twin = audits.create_quick_count(v1, 0.01)
    assert twin["frame_sha256"] == created["frame_sha256"]
    same = audits.set_seed(v1, twin["audit"], SEED.replace(" ", "\n"))
    assert [r["table_id"] for r in same["sample"]] == drawn
    other = doc.seed_document(
        audit=created["audit"],
        seed="1" * 20,
        commitment_seq=created["commitment_seq"],
        commitment_leaf_hash=seed["commitment"]["leaf_hash"],
    )
    moved = doc.recompute(raw_of(v1, created["commitment_seq"]), other)
    assert isinstance(moved, dict)
    assert sorted(d.table_id for ds in moved.values() for d in ds) != sorted(drawn)


# ----------------------------------------------------------------- seed refusals


@pytest.mark.slow
def test_seed_before_commit_and_second_seed_refused(v1: Service) -> None:
    early = audits.log_randomness(v1, "0000 1111 2222", note="rolled before the frame")
    created = audits.create_rla(v1, ["gonzalez"], ["maduro"])
    size = v1.log.size()
    with pytest.raises(InputError, match="before the commitment"):
        audits.set_seed(v1, created["audit"], leaf=early["seq"])
    with pytest.raises(InputError, match=r"not audit randomness|randomness document"):
        audits.set_seed(v1, created["audit"], leaf=created["commitment_seq"])
    assert v1.log.size() == size  # refusals log nothing
    with pytest.raises(InputError, match=r"current sample|no seed"):
        audits.record(v1, created["audit"], "201301006.01", None)
    late = audits.log_randomness(v1, "3333 4444 5555", note="rolled on camera")
    st = audits.set_seed(v1, created["audit"], leaf=late["seq"])
    assert st["seed"]["randomness_seq"] == late["seq"] and st["seed"]["seed"] == "333344445555"
    with pytest.raises(InputError, match="second seed"):
        audits.set_seed(v1, created["audit"], "9999")
    with pytest.raises(NotFound):
        audits.set_seed(v1, "rla-999", "9999")


# ----------------------------------------------------------------- RLA on V1


def audit_all(
    svc: Service, audit: str, counts_for: Any, rounds: int = 5
) -> tuple[dict[str, Any], list[int]]:
    """Record every pending table with ``counts_for(reported)`` until a decision."""
    st = audits.status(svc, audit)
    seqs = []
    for _ in range(rounds):
        if st["decision"] != "continue":
            break
        for table_id in st["pending"]:
            reported = reported_counts(svc, table_id)
            st = audits.record(svc, audit, table_id, counts_for(reported))
            seqs.append(st["recorded"]["seq"])
            if st["decision"] != "continue":
                break
        else:
            st = audits.status(svc, audit)
    return st, seqs


@pytest.mark.slow
def test_rla_zero_discrepancies_confirm(v1: Service) -> None:
    size = v1.log.size()
    created = audits.create_rla(v1, ["gonzalez"], risk_limit=0.05)
    assert created["initial_sample_size"] == 10
    assert created["reported"] == {"source": "actas", "log_size": size, "tables": 24_532}
    assert created["commitment_seq"] == size  # the manifest is the log before the commitment
    assert created["total_bound"] == pytest.approx(3.7331, abs=1e-4)
    commit = leaf_document(v1, created["commitment_seq"], "audit.commit")
    assert commit["manifest_sha256"] == hashlib.sha256(commit["manifest"].encode()).hexdigest()
    assert commit["contest"]["losers"][0] == "maduro" and len(commit["contest"]["losers"]) == 9
    st = audits.set_seed(v1, created["audit"], SEED)
    assert [d["draw"] for d in st["draws"]] == list(range(1, 11))
    drawn = doc.recompute(raw_of(v1, created["commitment_seq"]), raw_of(v1, st["seed"]["seq"]))
    assert isinstance(drawn, tuple)
    assert [d.table_id for d in drawn] == [d["table_id"] for d in st["draws"]]

    st, seqs = audit_all(v1, created["audit"], lambda reported: reported)
    assert st["decision"] == "confirmed" and st["p_value"] <= 0.05
    assert st["sample_size"] == 10 and st["discrepancies"] == []
    assert all(d["taint"] == 0 for d in st["draws"] if "taint" in d)
    assert v1.log.size() == size + 2 + len(seqs)
    for seq in seqs:
        rec = leaf_document(v1, seq, "audit.record")
        assert rec["type"] == "record" and rec["method"] == "hand_count"
        assert rec["counts"] == reported_counts(v1, rec["table_id"])
    assert seqs[0] in [s["seq"] for s in v1.table(st["draws"][0]["table_id"])["submissions"]]
    with pytest.raises(InputError, match="already audited"):
        audits.record(v1, created["audit"], st["draws"][0]["table_id"], None)


@pytest.mark.slow
def test_rla_flipped_outcome_needs_full_hand_count(v1: Service) -> None:
    created = audits.create_rla(v1, ["gonzalez"], ["maduro"], risk_limit=0.05)
    audits.set_seed(v1, created["audit"], "2718 2818 2845 9045")

    def flipped(reported: dict[str, int]) -> dict[str, int]:
        return {**reported, "gonzalez": reported["maduro"], "maduro": reported["gonzalez"]}

    st, seqs = audit_all(v1, created["audit"], flipped)
    assert st["decision"] == "full_hand_count", st["reason"]
    assert st["discrepancies"] and all(x["taint"] > 0 for x in st["discrepancies"])
    assert st["p_values"][-1] is None or st["p_values"][-1] > 0.05
    assert len(seqs) == st["audited_tables"]


# ----------------------------------------------------------------- quick count: registry frame


@pytest.mark.slow
def test_quick_count_from_registry_as_results_arrive(tmp_path: Path, ve: Path) -> None:
    svc = Service.init(
        Settings.from_env(env={}, home=tmp_path / "home"), "ve-2024", clock=ticking_clock()
    )
    try:
        mapping = tmp_path / "registry.toml"
        mapping.write_text(REGISTRY_MAPPING, "utf-8")
        svc.import_file(ve / V1, mapping_file=mapping)
        with pytest.raises(InputError, match="design-effect"):
            audits.plan_quick_count(svc, 0.01)
        created = audits.create_quick_count(svc, 0.01, design_effect=37)
        assert created["design"]["frame_source"] == "registry"
        st = audits.set_seed(svc, created["audit"], SEED)
        assert st["state"] == "awaiting_results" and st["estimate"] is None
        assert len(st["missing"]) == st["designed"] == created["design"]["total"]

        header, rows = v1_rows(ve / V1)
        sampled = [r["table_id"] for r in st["sample"]]
        first, rest = sampled[::2], sampled[1::2]
        for part, name in ((first, "first.csv"), (rest, "rest.csv")):
            path = tmp_path / name
            path.write_text(header + "".join(rows[t] for t in part), "utf-8")
            svc.import_file(path)
            st = audits.status(svc, created["audit"])
            if part is first:
                assert st["received"] == len(first) and sorted(st["missing"]) == sorted(rest)
        assert st["missing"] == [] and st["received"] == st["designed"]
        est = st["estimate"]
        share = next(s for s in est["shares"] if s["candidate"] == "gonzalez")
        assert share["low"] < GONZALEZ_SHARE < share["high"]
        assert share["high"] - share["low"] < 2 * 0.012  # about the 1 % target
    finally:
        svc.close()


def v1_rows(path: Path) -> tuple[str, dict[str, str]]:
    """V1's header line and each table's row (as CSV text), by table id."""
    text = path.read_text("utf-8-sig")
    header, _, body = text.partition("\n")
    rows = {}
    for line in body.splitlines(keepends=True):
        fields = next(csv.reader([line]))
        if fields:
            names = next(csv.reader([header]))
            row = dict(zip(names, fields, strict=True))
            rows[f"{int(row['CENTRO']):09d}.{int(row['MESA']):02d}"] = line
    return header + "\n", rows


# ----------------------------------------------------------------- tiny: CLI and --reported

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,201301006,{m},600,{valid},1,{eg},{nm},0,0,0,0,0,0,0,0,u\n"


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_rla_on_reported_file(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RLA commands end to end, on SQLite and on PostgreSQL (``db_url``)."""
    monkeypatch.setenv("ACTAS_DATABASE_URL", db_url)
    home = str(tmp_path / "h")
    Service.init(Settings.from_env(home=home), "ve-2024").close()  # closed: no stray connection
    cne = tmp_path / "cne.csv"
    cne.write_text(
        HEADER + "".join(ROW.format(m=m, valid=300, eg=100, nm=200) for m in range(1, 5))
    )
    created = json.loads(
        run("audit", "rla", "create", "--winner", "maduro", "--loser", "gonzalez",
            "--reported", str(cne), "--risk-limit", "0.1", "--home", home, "--json")
    )  # fmt: skip
    assert created["reported"]["source"] == "file" and created["tables"] == 4
    listed = json.loads(run("audit", "list", "--home", home, "--json"))
    assert [a["audit"] for a in listed] == [created["audit"]]
    out = run("audit", "seed", created["audit"], "--seed", "1234 5678", "--home", home)
    assert "CONTINUE" in out
    st = json.loads(run("audit", "rla", "status", created["audit"], "--home", home, "--json"))
    first = st["pending"][0]
    st = json.loads(
        run("audit", "rla", "record", created["audit"], first, "--counts",
            "maduro=200,gonzalez=100", "--home", home, "--json")
    )  # fmt: skip
    assert st["draws"][0]["audited"] and st["draws"][0]["taint"] == 0
    bad = CliRunner().invoke(
        app, ["audit", "rla", "record", created["audit"], first, "--not-found", "--home", home]
    )
    assert bad.exit_code == 2 and "already audited" in bad.output
    second, third = [p for p in st["pending"] if p != first][:2]
    svc = Service.open(Settings.from_env(home=home))
    typed = Submission(
        kind=SubmissionKind.TRANSCRIPTION,
        source=Source("transcription", "volunteer-3"),
        received_at=svc.clock(),
        raw=b"maduro=200 gonzalez=100",
        table_id=TableId(second),
        counts=Counts(votes=(200, 0, 0, 0, 0, 0, 0, 100, 0, 0)),
    )
    with svc.store.write() as conn:
        (typed_seq,) = svc.log.append(conn, [typed])
    svc.close()
    st = json.loads(
        run("audit", "rla", "record", created["audit"], second, "--from-transcription",
            "--home", home, "--json")
    )  # fmt: skip
    rec = st["draws"][[d["table_id"] for d in st["draws"]].index(second)]
    assert rec["audited"] and rec["taint"] == 0
    svc = Service.open(Settings.from_env(home=home))
    logged = leaf_document(svc, st["recorded"]["seq"], "audit.record")
    svc.close()
    assert logged["from_leaf"] == typed_seq and logged["method"] == "from_transcription"
    assert logged["counts"]["maduro"] == 200
    st = json.loads(
        run("audit", "rla", "record", created["audit"], third, "--not-found", "--home", home,
            "--json")
    )  # fmt: skip
    assert st["decision"] == "full_hand_count" and st["discrepancies"][0]["missing"]
    run("audit", "rla", "status", created["audit"], "--home", home)


def test_quickcount_cli_design_and_status(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    run("init", "--election", "ve-2024", "--home", home)
    data = tmp_path / "a.csv"
    data.write_text(
        HEADER
        + "".join(ROW.format(m=m, valid=300, eg=100 + 7 * m, nm=200 - 7 * m) for m in range(1, 31))
    )
    run("import", str(data), "--home", home)
    out = run("quickcount", "design", "--margin", "0.05", "--dry-run", "--home", home)
    assert "every table with a counted result" in out and "dry run" in out
    assert json.loads(run("audit", "list", "--home", home, "--json")) == []
    created = json.loads(
        run("audit", "create", "--kind", "quickcount", "--margin", "0.05",
            "--design-effect", "2", "--home", home, "--json")
    )  # fmt: skip
    run("audit", "seed", created["audit"], "--seed", "42", "--home", home)
    st = json.loads(run("quickcount", "status", created["audit"], "--home", home, "--json"))
    assert st["received"] == st["designed"] > 0 and st["estimate"]["shares"]
    assert "Estimated shares" in run("quickcount", "status", created["audit"], "--home", home)
