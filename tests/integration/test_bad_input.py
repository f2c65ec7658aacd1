"""Bad input gets a finding or a clear error, and the good rows still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from actas.app.service import Service
from actas.core.errors import InputError

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\r\n"
)
GOOD = "1,DTTO. CAPITAL,1,MP. LIB,13,PQ. EL RECREO,10113042,{mesa},666,364,0,232,120,5,0,0,3,1,1,0,2,u\r\n"


def test_bad_rows_become_findings(service: Service) -> None:
    rows = [
        GOOD.format(mesa=1),
        "1,DTTO. CAPITAL,1,MP. LIB,13,PQ,10113042,2,666,364\r\n",  # truncated
        GOOD.format(mesa=3).replace(",232,", ",abc,"),  # non-numeric
        GOOD.format(mesa=4).replace(",232,", ",-5,"),  # negative
        GOOD.format(mesa=5).replace("10113042", "990113042"),  # unknown state 99
        GOOD.format(mesa=6)
        .replace("<", "<")
        .replace(",PQ. EL RECREO,", ",<script>alert(1)</script>,"),
        GOOD.format(mesa=7),
    ]
    data = (HEADER + "".join(rows)).encode()
    s = service.import_bytes(data, "mixed.csv")
    assert s.read == 7 and s.loaded == 4 and s.rejected == 3
    assert s.findings["row.wrong_width"] == 1
    assert s.findings["row.bad_value"] == 2
    assert s.findings["table.unknown"] == 1
    r = service.results()[0]
    assert r["tables"]["counted"] == 4  # 1, 5 (unknown but logged), 6, 7
    found = service.findings()
    assert {f["code"] for f in found["findings"]} >= {
        "row.wrong_width",
        "row.bad_value",
        "table.unknown",
    }
    assert any("is negative" in f["message"] for f in found["findings"])
    assert any("is not a whole number" in f["message"] for f in found["findings"])
    # every row, good or bad, is in the log exactly as received (+1 leaf for the file event)
    assert service.log.size() == 8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"just some prose without separators\nand more\n", "no header"),
        (b"a,b,c\n1,2,3\n", "no known format"),
        (b"PK\x03\x04garbage", "zip"),
    ],
)
def test_not_a_results_file(service: Service, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        service.import_bytes(data, "bad.csv")
    assert service.log.size() == 0


def test_wrong_encoding_is_detected(service: Service) -> None:
    text = HEADER + GOOD.format(mesa=1).replace("PQ. EL RECREO", "PQ. PEÑA")
    s = service.import_bytes(text.encode("utf-16"), "utf16.csv")
    assert s.encoding == "utf-16" and s.loaded == 1
    s = service.import_bytes(
        text.replace("mesa", "x").encode("cp1252").replace(b",1,666", b",2,666"), "cp.csv"
    )
    assert s.encoding == "cp1252" and s.loaded == 1
    assert "PQ. PEÑA" in service.store.region_names().values()


@pytest.mark.parametrize(
    ("data", "line"),
    [  # a UTF-8 BOM and one Latin-1 byte (issue 19 D10: a traceback, exit 1)
        (
            b"\xef\xbb\xbf"
            + (HEADER + GOOD.format(mesa=1) + GOOD.format(mesa=2)).encode()
            + GOOD.format(mesa=3).replace("RECREO", "RECRE\xd3").encode("latin-1"),
            4,
        ),
        # a UTF-16 file cut in the middle of a character
        ((HEADER + GOOD.format(mesa=1)).encode("utf-16") + b"\x41", 3),
    ],
)
def test_a_byte_the_bom_does_not_allow_is_a_clear_error(
    service: Service, data: bytes, line: int
) -> None:
    with pytest.raises(InputError, match=f"byte order mark, but line {line} has bytes"):
        service.import_bytes(data, "bom.csv")
    assert service.log.size() == 0  # nothing half-imported


def test_the_cli_reports_an_encoding_error_without_a_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from actas.__main__ import app

    home = tmp_path / "home"
    bad = tmp_path / "bom.csv"
    bad.write_bytes(
        b"\xef\xbb\xbf"
        + HEADER.encode()
        + GOOD.format(mesa=1).replace("EL", "\xc9L").encode("cp1252")
    )
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--election", "ve-2024", "--home", str(home)]).exit_code == 0
    result = runner.invoke(app, ["import", str(bad), "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "line 2" in result.output
