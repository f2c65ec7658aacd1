"""Russia 2012 through the same app as Venezuela: import, tally, analyse (no country code path).

One import of the 95,415 polling stations per test session (a session-scoped
fixture; it takes tens of seconds). Totals are checked against sums of the CSV
columns computed here with the csv module; the analysis reproduces Kobak et
al.'s integer-percentage figures (fixture F6) and the Klimek fingerprint's
smear toward (100 %, 100 %).
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from actas.__main__ import app
from actas.app import analysis
from actas.app.service import ImportSummary, Service
from actas.app.settings import Settings

pytestmark = pytest.mark.slow

CANDIDATES = ("zhirinovsky", "zyuganov", "mironov", "prokhorov", "putin")


def fixed_clock() -> str:
    return "2012-03-05T06:00:00.000000Z"


@pytest.fixture(scope="session")
def ru_loaded(
    tmp_path_factory: pytest.TempPathFactory, ru: Path
) -> Iterator[tuple[Service, ImportSummary, float]]:
    home = tmp_path_factory.mktemp("ruhome")
    svc = Service.init(Settings.from_env(env={}, home=home), "ru-2012", clock=fixed_clock)
    start = time.perf_counter()
    summary = svc.import_file(ru / "2012.csv.zip")
    seconds = time.perf_counter() - start
    yield svc, summary, seconds
    svc.close()


@pytest.fixture(scope="session")
def csv_sums(ru: Path) -> dict[str, Any]:
    """Column sums of the CSV, by protocol line number (0-based CSV column)."""
    with zipfile.ZipFile(ru / "2012.csv.zip") as z, z.open("2012.csv") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        header = next(reader)
        sums = [0] * len(header)
        rows = 0
        regions: set[str] = set()
        tiks: set[tuple[str, str]] = set()
        for row in reader:
            rows += 1
            regions.add(row[0])
            tiks.add((row[0], row[1]))
            for i in range(3, 26):
                sums[i] += int(row[i])
    return {"rows": rows, "sums": sums, "regions": len(regions), "tiks": len(tiks)}


def test_import(ru_loaded: tuple[Service, ImportSummary, float]) -> None:
    _, summary, seconds = ru_loaded
    print(f"Russia 2012 import: {summary.read:,} rows in {seconds:.1f} s")
    assert summary.format == "ru-cec" and summary.encoding == "utf-8"
    assert summary.read == summary.loaded == summary.tables == 95_415
    assert summary.rejected == 0 and summary.duplicates == 0


def test_national_totals_are_the_csv_sums(
    ru_loaded: tuple[Service, ImportSummary, float], csv_sums: dict[str, Any]
) -> None:
    svc, _, _ = ru_loaded
    s = csv_sums["sums"]
    nation = svc.results()[0]
    assert csv_sums["rows"] == 95_415
    assert nation["tables"]["counted"] == nation["tables"]["expected"] == 95_415
    assert nation["tables"]["conflict"] == 0
    votes = {c["id"]: c["votes"] for c in nation["candidates"]}
    assert [votes[c] for c in CANDIDATES] == s[21:26]
    assert nation["valid"] == s[12] == sum(s[21:26])
    assert nation["null"] == s[11]
    assert nation["registered"]["covered"] == s[3] == 109_860_331
    assert nation["registered"]["expected"] == 109_860_331
    data = analysis.table_data(svc)
    assert data.ballots is not None
    assert int(data.ballots.sum()) == s[5] + s[6] + s[7]


def test_regions_are_names_and_sum_to_the_nation(
    ru_loaded: tuple[Service, ImportSummary, float], csv_sums: dict[str, Any]
) -> None:
    svc, _, _ = ru_loaded
    nation = svc.results()[0]
    regions = svc.results("region")
    tiks = svc.results("tik")
    assert len(regions) == csv_sums["regions"] == 85
    assert len(tiks) == csv_sums["tiks"]
    for level in (regions, tiks):
        assert sum(r["valid"] for r in level) == nation["valid"]
        assert sum(r["tables"]["counted"] for r in level) == 95_415
    adygea = svc.results(region="Республика Адыгея (Адыгея)")[0]
    assert adygea["name"] == "Республика Адыгея (Адыгея)"
    table = svc.table("Республика Адыгея (Адыгея)/1 Адыгейская#1")
    assert [r["code"] for r in table["regions"]] == [
        "Республика Адыгея (Адыгея)",
        "Республика Адыгея (Адыгея)/1 Адыгейская",
    ]
    assert table["result"]["registered"] == 2383


def test_analyse_reproduces_integer_percentages_and_fingerprint(
    ru_loaded: tuple[Service, ImportSummary, float], tmp_path: Path
) -> None:
    svc, _, _ = ru_loaded
    figure = tmp_path / "ru.svg"
    start = time.perf_counter()
    home = str(svc.settings.home)
    args = ["analyse", "--json", "--seed", "42", "--home", home, "--figure", str(figure)]
    result = CliRunner().invoke(app, args)
    print(f"Russia 2012 analyse --json: {time.perf_counter() - start:.1f} s")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    methods = {m["name"]: m for m in report["methods"]}
    ip = methods["integer_percentages"]
    assert ip["details"]["included"] == 87_623
    assert ip["details"]["observed_either"] == 18_025
    assert ip["statistic"] == pytest.approx(1_160, abs=25)
    assert ip["flagged_count"] == 18_025
    assert report["winner"] == "putin"
    fp = methods["fingerprint"]["details"]
    assert fp["used"] == 95_413
    assert 0.55 < fp["turnout_peak"] < 0.65 and 0.55 < fp["share_peak"] < 0.65
    assert fp["corner_expected"] < 1 and fp["corner_observed"] > 5_000
    hist = np.array(fp["histogram"])
    # the busiest 1 % × 1 % cell of the whole histogram is the (100 %, 100 %) corner
    assert tuple(int(i) for i in np.unravel_index(hist.argmax(), hist.shape)) == (99, 99)
    assert hist[90:, 90:].sum() > 1_000 * max(int(hist[20:30, 20:30].sum()), 1)
    assert methods["high_turnout"]["flagged_count"] == 8_598
    assert methods["unanimous"]["flagged_count"] == 410
    assert report["coverage"]["table_share"] == 1.0
    assert report["projection"]["collected"] == 95_415
    assert figure.read_text().startswith("<svg")
