"""``actas verify`` recomputes every audit from its leaves in the open-data bundle.

A tiny election (30 tables) with a quick count and an RLA: the honest bundle
verifies and publishes ``audits.json``; a published sample that is not the one
the seed and the committed frame give, a quick-count estimate or a risk that
does not follow from the published results or the logged audited values, and an audited value logged for a table the
seed did not draw (bypassing the app's check) each make verify fail with a
message saying so.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actas.adapters.bundle_files import read_bundle
from actas.app import audits
from actas.app.audits.ledger import append, read_index, save_index
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.audit import commitment as doc
from actas.core.bundle import format as b
from actas.core.verify.procedure import VerifyReport, verify
from bundlegen import remanifest

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,201301006,{m},600,300,1,{eg},{nm},0,0,0,0,0,0,0,0,u\n"


def _clock() -> Any:
    counter = itertools.count()
    return lambda: f"2024-07-30T00:00:00.{next(counter):06d}Z"


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """30 tables, a committed and seeded quick count, an RLA with two audited draws."""
    home = tmp_path_factory.mktemp("audit_verify")
    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=_clock())
    data = home / "a.csv"
    data.write_text(HEADER + "".join(ROW.format(m=m, eg=200 + m, nm=100 - m) for m in range(1, 31)))
    svc.import_file(data)
    qc = audits.create_quick_count(svc, 0.05, design_effect=2)
    audits.set_seed(svc, qc["audit"], "<script>alert(1)</script> 42")
    rla = audits.create_rla(svc, ["gonzalez"], ["maduro"], risk_limit=0.05)
    st = audits.set_seed(svc, rla["audit"], "1234 5678")
    for table in st["pending"][:2]:
        m = int(table.rsplit(".", 1)[1])
        audits.record(svc, rla["audit"], table, {"gonzalez": 200 + m, "maduro": 100 - m})
    yield svc
    svc.close()


def export(svc: Service, out: Path) -> dict[str, bytes]:
    svc.export(out)
    return read_bundle(out)


def failing(report: VerifyReport, code: str) -> list[str]:
    return [str(f) for f in report.failures if f.code == code]


def test_honest_bundle_verifies_with_its_audits(election: Service, tmp_path: Path) -> None:
    files = export(election, tmp_path / "bundle")
    published = json.loads(files[b.AUDITS_JSON])
    assert [a["kind"] for a in published] == ["quickcount", "rla"]
    rla = published[1]
    status = audits.status(election, rla["audit"])
    assert rla["sample"] == [d["table_id"] for d in status["draws"]]
    assert rla["p_value"] == status["p_value"] and rla["decision"] == status["decision"]
    assert rla["audited"] == 2 and len(rla["records"]) == 2
    qc = audits.status(election, published[0]["audit"])
    assert [r[2] for r in published[0]["sample"]] == [r["table_id"] for r in qc["sample"]]
    estimate = published[0]["estimate"]  # the portal's figures, by candidate id
    assert estimate["received"] == qc["received"] > 0
    assert {x["candidate"]: x["share"] for x in estimate["shares"]} == {
        x["candidate"]: x["share"] for x in qc["estimate"]["shares"]
    }
    report = verify(files)
    assert report.ok, report.failures
    assert report.checks["audits"] == 2 and report.checks["audit_records"] == 2
    assert report.checks["audit_summaries"] == 2


def test_a_tampered_sample_fails(election: Service, tmp_path: Path) -> None:
    files = export(election, tmp_path / "bundle")
    published = json.loads(files[b.AUDITS_JSON])
    rla = published[1]
    drawn = rla["sample"][0]
    other = next(f"201301006.{m:02d}" for m in range(1, 31) if f"201301006.{m:02d}" != drawn)
    rla["sample"][0] = other
    qc = published[0]
    qc["sample"][0][2] = "201301006.99"
    files[b.AUDITS_JSON] = b.json_lines(published)
    report = verify(remanifest(files))
    assert not report.ok
    msgs = failing(report, "audit.sample_mismatch")
    assert len(msgs) == 2, report.failures
    assert msgs[1] == (
        f"audits.json: {rla['audit']}: draw 1: the seed and the committed frame give table "
        f"{drawn}, the published sample says table {other} [audit.sample_mismatch]"
    )
    assert "draw 1 of stratum" in msgs[0] and "table 201301006.99" in msgs[0]


def test_a_published_estimate_must_follow_from_the_results(
    election: Service, tmp_path: Path
) -> None:
    files = export(election, tmp_path / "bundle")
    published = json.loads(files[b.AUDITS_JSON])
    shares = published[0]["estimate"]["shares"]
    lead = max(shares, key=lambda x: x["share"])
    lead["share"] = round(lead["share"] + 0.02, 6)  # a friendlier headline
    files[b.AUDITS_JSON] = b.json_lines(published)
    report = verify(remanifest(files))
    [msg] = failing(report, "audit.estimate_mismatch")
    assert msg.startswith(f"audits.json: {published[0]['audit']}: estimate: the published results")
    published[0]["estimate"] = None  # or none at all
    files[b.AUDITS_JSON] = b.json_lines(published)
    assert failing(verify(remanifest(files)), "audit.estimate_mismatch")


def test_a_published_risk_must_follow_from_the_records(election: Service, tmp_path: Path) -> None:
    files = export(election, tmp_path / "bundle")
    published = json.loads(files[b.AUDITS_JSON])
    published[1]["decision"] = "confirmed"
    published[1]["p_value"] = 0.01
    files[b.AUDITS_JSON] = b.json_lines(published)
    report = verify(remanifest(files))
    msgs = failing(report, "audit.risk_mismatch")
    assert any("decision: the logged audited values give 'continue'" in m for m in msgs), msgs
    assert any("p_value" in m for m in msgs)
    del files[b.AUDITS_JSON]
    report = verify(remanifest(files))
    assert report.ok and any("no audits.json" in n for n in report.notes)


def test_an_audited_value_for_a_table_not_drawn_fails(election: Service, tmp_path: Path) -> None:
    """An operator who logs a re-check of a table of their choosing is caught offline."""
    rla = audits.list_audits(election)[1]["audit"]
    st = audits.status(election, rla)
    drawn = {d["table_id"] for d in st["draws"]}
    chosen = next(f"201301006.{m:02d}" for m in range(1, 31) if f"201301006.{m:02d}" not in drawn)
    a = audits.ledger.load(election, rla)
    raw = doc.record_document(
        doc.Record(rla, chosen, {"gonzalez": 300, "maduro": 0}, "hand_count", a.commitment_seq)
    )
    with election.store.write() as conn:  # bypasses audits.record, which refuses it
        index = read_index(conn)
        seq = append(election, conn, rla, raw, "audit.record", table_id=chosen)
        index[rla].records.append(seq)
        save_index(election, conn, index)
    report = verify(export(election, tmp_path / "bundle"))
    msgs = failing(report, "audit.record_not_drawn")
    assert msgs == [
        f"leaves.txt line {seq + 1} (leaf {seq}): {rla}: table {chosen} was audited, but the "
        f"seed and the committed frame do not draw it in draws 1-{st['sample_size']}: only "
        "drawn tables may be audited [audit.record_not_drawn]"
    ]
