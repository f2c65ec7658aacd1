"""The core issue's acceptance figures, on the real 2024 Venezuelan files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actas.app.service import Service

pytestmark = pytest.mark.slow

V1 = ("resultadosconvzla", "RESULTADOS_2024_CSV_V1.csv")
V2 = ("resultadosconvzla", "RESULTADOS_2024_CSV_V2.csv")
QRC = ("qr_decoded", "ipince_actas_by_candidate.csv")
QRR = ("qr_decoded", "ipince_resultados_qr.csv")


def votes(r: dict[str, Any]) -> dict[str, int]:
    return {c["id"]: c["votes"] for c in r["candidates"]}


def others(r: dict[str, Any]) -> int:
    v = votes(r)
    return sum(n for k, n in v.items() if k not in ("gonzalez", "maduro"))


def test_v1_alone(v1_service: Service) -> None:
    r = v1_service.results()[0]
    assert r["tables"]["counted"] == 24532 and r["tables"]["expected"] == 30026
    assert f"{100 * r['tables']['coverage']:.2f}" == "81.70"
    v = votes(r)
    assert v["gonzalez"] == 7156462 and v["maduro"] == 3241461 and others(r) == 261205
    assert r["valid"] == 10659128 and r["null"] == 1139
    assert r["registered"]["covered"] == 17745239
    assert r["tables"]["conflict"] == 0


def test_v1_states_sum_to_nation(v1_service: Service) -> None:
    nation = v1_service.results()[0]
    states = v1_service.results("state")
    assert len(states) == 24
    for key in ("valid", "null"):
        assert sum(s[key] for s in states) == nation[key]
    for cid, n in votes(nation).items():
        assert sum(votes(s)[cid] for s in states) == n
    assert sum(s["tables"]["counted"] for s in states) == 24532
    assert sum(s["registered"]["covered"] for s in states) == 17745239
    for level in ("municipality", "parish", "centre"):
        assert sum(r["valid"] for r in v1_service.results(level)) == nation["valid"]


def test_v1_names_and_table(v1_service: Service) -> None:
    capital = v1_service.results(region="01")[0]
    assert capital["name"] == "DTTO. CAPITAL"
    t = v1_service.table("201301006.01")
    assert t["result"]["status"] == "single"
    assert {c["id"]: c["votes"] for c in t["result"]["candidates"]}["maduro"] == 188
    assert t["submissions"][0]["channel"] == "cvzla"
    assert [r["code"] for r in t["regions"]] == ["20", "2013", "201301", "201301006"]


def test_v2_alone(service: Service, ve: Path) -> None:
    s = service.import_file(ve.joinpath(*V2))
    assert s.encoding in ("cp1252", "latin-1") and s.loaded == 25073 and s.rejected == 0
    r = service.results()[0]
    assert r["tables"]["counted"] == 25073
    assert f"{100 * r['tables']['coverage']:.2f}" == "83.50"
    v = votes(r)
    assert (v["gonzalez"], v["maduro"], others(r)) == (7303480, 3316142, 267640)
    assert any("PEÑA" in n for n in service.store.region_names().values())


def test_v1_and_v2(service: Service, ve: Path) -> None:
    service.import_file(ve.joinpath(*V1))
    service.import_file(ve.joinpath(*V2))
    r = service.results()[0]
    assert r["tables"]["reported"] == 25075 and r["tables"]["conflict"] == 0
    assert service.conflicts() == []


def test_v1_and_qr_by_candidate(service: Service, ve: Path) -> None:
    service.import_file(ve.joinpath(*V1))
    s = service.import_file(ve.joinpath(*QRC))
    assert s.format == "qr-by-candidate" and s.loaded == 21952
    r = service.results()[0]
    assert r["tables"]["reported"] == 24560
    assert sorted(c["table_id"] for c in service.conflicts()) == [
        "030602001.02",
        "070301020.01",
        "070904028.04",
        "070908043.01",
        "110202070.01",
        "190601010.01",
        "200701014.02",
    ]


def test_v1_and_qr_resultados(service: Service, ve: Path) -> None:
    service.import_file(ve.joinpath(*V1))
    s = service.import_file(ve.joinpath(*QRR))
    assert s.format == "qr-resultados" and s.read == 8039 and s.findings["acta.all_zero"] == 11
    r = service.results()[0]
    assert r["tables"]["reported"] == 24542
    conflicts = service.conflicts()
    assert sorted(c["table_id"] for c in conflicts) == [
        "020301037.01",
        "020302013.02",
        "210513018.01",
        "230103025.01",
    ]
    for c in conflicts:
        flagged = [v for v in c["versions"] if "acta.all_zero" in v["findings"]]
        assert len(flagged) == 1 and flagged[0]["channel"] == "qr-resultados"
    tables = {t.table_id for t in service.store.table_results(service.store.engine.connect())}
    qr_tables = {t for t in tables}  # every table with a reading
    assert len(qr_tables) == 24542


def test_reimport_adds_nothing(v1_service: Service, ve: Path) -> None:
    before = v1_service.log.size()
    s = v1_service.import_file(ve.joinpath(*V1))
    assert (s.loaded, s.duplicates) == (0, 24532)
    assert v1_service.log.size() == before
