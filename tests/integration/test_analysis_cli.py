"""Claims and analysis end to end on a small file: claims import/list, analyse, figure, log."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actas.__main__ import app
from actas.app.analysis import builtin_claims
from actas.app.service import Service
from actas.app.settings import Settings

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def home(tmp_path: Path) -> str:
    rng = random.Random(7)
    rows = []
    for i in range(60):
        state = 1 + i % 3
        centre = f"{state:02d}0101{1 + i // 6:03d}"
        eg, nm, lm = rng.randint(100, 300), rng.randint(50, 250), rng.randint(0, 20)
        rows.append(
            f"{state},E{state},1,M,1,P,{centre},{1 + i % 6},{rng.randint(700, 800)},"
            f"{eg + nm + lm},{rng.randint(0, 5)},{eg},{nm},{lm},0,0,0,0,0,0,0,u\n"
        )
    data = tmp_path / "small.csv"
    data.write_text(HEADER + "".join(rows))
    h = str(tmp_path / "h")
    run("init", "--election", "ve-2024", "--home", h)
    run("import", str(data), "--home", h)
    return h


def test_claims_import_list_and_log(home: str, tmp_path: Path) -> None:
    assert "No claims imported" in run("claims", "list", "--home", home)
    summary = json.loads(run("claims", "import", "--builtin", "--home", home, "--json"))
    assert summary["claims"] == 2 and summary["duplicate"] is False
    assert summary["labels"] == ["First bulletin", "Second bulletin"]
    assert "already imported" in run("claims", "import", "--builtin", "--home", home)
    listing = run("claims", "list", "--home", home)
    assert "Second bulletin" in listing and "12,335,884" in listing
    files = json.loads(run("claims", "list", "--home", home, "--json"))
    assert [f["seq"] for f in files] == [summary["seq"]]
    # the file is in the log exactly as received
    svc = Service.open(Settings.from_env(env={}, home=home))
    with svc.store.read() as conn:
        leaf = svc.store.submission(summary["seq"], conn)
    assert leaf.kind == "event" and leaf.raw == builtin_claims("ve-2024")
    assert summary["sha256"] == hashlib.sha256(leaf.raw).hexdigest()
    svc.close()
    # a file of one's own, with a regional figure
    own = {
        "format": "actas-claims/1",
        "election": "ve-2024",
        "claims": [
            {
                "authority": "Observers",
                "date": "2024-07-30",
                "label": "State 01",
                "scope": "all actas of state 01",
                "region": "01",
                "votes": {"gonzalez": 1, "maduro": 1},
            }
        ],
    }
    path = tmp_path / "own.json"
    path.write_text(json.dumps(own))
    out = json.loads(run("claims", "import", str(path), "--home", home, "--json"))
    assert out["seq"] == summary["seq"] + 1 and out["labels"] == ["State 01 (01)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "actas-claims/1", "election": "ru-2012", "claims": [{}]}', "ru-2012"),
        (
            '{"format": "actas-claims/1", "election": "ve-2024", "claims": [{"authority": "A",'
            ' "date": "d", "label": "l", "region": "9x", "votes": {"maduro": 1}}]}',
            "region '9x'",
        ),
    ],
)
def test_bad_claims_are_refused_and_not_logged(
    home: str, tmp_path: Path, text: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    svc = Service.open(Settings.from_env(env={}, home=home))
    size = svc.log.size()
    svc.close()
    r = CliRunner().invoke(app, ["claims", "import", str(bad), "--home", home])
    assert r.exit_code == 2 and message in r.output and "bad.json" in r.output
    svc = Service.open(Settings.from_env(env={}, home=home))
    assert svc.log.size() == size
    svc.close()
    r = CliRunner().invoke(app, ["claims", "import", "--home", home])
    assert r.exit_code != 0


def test_analyse_json_human_and_figure(home: str, tmp_path: Path) -> None:
    run("claims", "import", "--builtin", "--home", home)
    report = json.loads(run("analyse", "--home", home, "--json", "--nrep", "20", "--seed", "3"))
    assert report["schema"] == "actas.core.forensics.report/1"
    assert report["tables"] == 60 and report["seed"] == 3 and report["nrep"] == 20
    assert report["election"]["id"] == "ve-2024"
    assert report["coverage"]["expected_tables"] == 30026
    for m in report["methods"]:
        assert {"name", "inputs", "statistic", "p_value", "bound", "caveat"} <= set(m)
    assert len(report["claims"]) == 2
    assert report["claims"][0]["scope_comparable"] is True  # 80 % of tables > 60 collected
    assert any("not evidence of fraud at table level" in n for n in report["notes"])
    assert any("No registry of tables" in n for n in report["notes"])
    assert report["projection"]["caveat"]
    figure = tmp_path / "fp.svg"
    text = run("analyse", "--home", home, "--nrep", "20", "--figure", str(figure))
    assert figure.read_text().startswith("<svg")
    assert "Official claims against the collected actas" in text
    assert "Caveat" in text and "Projection" in text
    assert "Fingerprint written to" in text
    again = json.loads(run("analyse", "--home", home, "--json", "--nrep", "20", "--seed", "3"))
    assert again == report  # deterministic given the seed


def test_analyse_without_tables_is_a_clear_error(tmp_path: Path) -> None:
    h = str(tmp_path / "empty")
    run("init", "--election", "ve-2024", "--home", h)
    r = CliRunner().invoke(app, ["analyse", "--home", h])
    assert r.exit_code == 2 and "import results first" in r.output


@pytest.mark.parametrize(
    ("election", "ids"),
    [
        ("ve-2024", ["201301006.01", "010101001.12"]),
        ("ru-2012", ["Республика Адыгея (Адыгея)/1 Адыгейская#1", "Москва/ТИК Арбат#2345"]),
    ],
)
def test_level_codes_match_the_scheme(election: str, ids: list[str]) -> None:
    from actas.adapters.elections import load_builtin
    from actas.app.analysis import _level_codes

    scheme = load_builtin(election).scheme
    for level in range(len(scheme.levels)):
        assert _level_codes(scheme, ids, level) == [scheme.region_codes(t)[level] for t in ids]
