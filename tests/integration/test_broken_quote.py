"""A broken quote loses one row, not the rest of the file, and verify agrees (issue 19 D5:
one unterminated quote made 604 rows vanish and the honest bundle fail verify)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actas.app.service import Service
from actas.app.settings import Settings
from actas.app.verification import verify_bundle

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,201301006,{m},600,300,1,200,100,0,0,0,0,0,0,0,0,u\n"
N = 12

# bad-input class -> (row 4 as written, rows that load)
CASES = {
    "broken quote": (ROW.format(m=4).replace("PQ. X", '"PQ. X'), N - 1),
    # the line alone still reads as a whole row (the quote opens the last field)
    "broken quote at the end of a field": (ROW.format(m=4).replace(",u\n", ',"u\n'), N),
    "wrong width": (ROW.format(m=4).replace(",u\n", "\n"), N - 1),
    "quoted newline, well formed": (ROW.format(m=4).replace("PQ. X", '"PQ.\nX"'), N),
    "stray quote inside a field": (ROW.format(m=4).replace("PQ. X", 'PQ. "X'), N),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_bad_row_one_finding_and_verify_agrees(tmp_path: Path, case: str) -> None:
    bad, loaded = CASES[case]
    rows = [ROW.format(m=m) if m != 4 else bad for m in range(1, N + 1)]
    data = tmp_path / "a.csv"
    data.write_text(HEADER + "".join(rows))
    svc = Service.init(Settings.from_env(env={}, home=tmp_path / "h"), "ve-2024")
    try:
        summary = svc.import_file(data)
        assert summary.loaded == loaded, summary
        counted = svc.results()[0]["tables"]["counted"]
        assert counted == loaded
        svc.log.publish_checkpoint("2024-07-29T05:00:00.000000Z")
        svc.export(tmp_path / "bundle")
    finally:
        svc.close()
    report = verify_bundle(tmp_path / "bundle")
    assert report.ok, [f for f in report.failures][:3]
