"""The V1 actas with the CNE's built-in bulletins, through ``actas analyse``.

Fixtures reproduced from the stored data, not from test-local loaders: F1
(bulletin 1 on the 0.1-pp grid), F2 (bulletin 2 on no grid), F4 (V1 against
bulletin 2), F11 (digit tests, stated not to be evidence of fraud at table
level) and a stratified projection by state with its caveat. The service is
this module's own (claims are written to it), so the shared ``v1_service``
stays read-only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from actas.__main__ import app
from actas.app.service import Service
from actas.app.settings import Settings

pytestmark = pytest.mark.slow


def fixed_clock() -> str:
    return "2024-08-03T12:00:00.000000Z"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory, ve: Path) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("v1claims")
    s = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=fixed_clock)
    s.import_file(ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv")
    s.import_claims()
    yield s
    s.close()


def run(svc: Service, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--home", str(svc.settings.home)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def report(svc: Service) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(svc, "analyse", "--json", "--seed", "1", "--nrep", "200"))
    return data


def _claim(report: dict[str, Any], label: str) -> dict[str, Any]:
    (section,) = [c for c in report["claims"] if c["comparison"]["claim"]["label"] == label]
    out: dict[str, Any] = section
    return out


def test_bulletin_1_sits_on_the_tenth_of_a_point_grid(report: dict[str, Any]) -> None:
    rp = _claim(report, "First bulletin")["round_percentages"]
    assert rp["details"]["flag"] is True and rp["details"]["best_grid_pp"] == "0.1"
    (grid,) = [g for g in rp["details"]["grids"] if g["step_pp"] == "0.1"]
    assert [round(r, 3) for r in grid["residuals"]] == [-0.288, -0.108, 0.396]
    assert grid["p"] == pytest.approx(9.9e-9, rel=0.01)
    assert rp["p_value"] == pytest.approx(2.97e-8, rel=0.01)  # Bonferroni over 3 grids
    assert rp["caveat"]


def test_bulletin_2_sits_on_no_grid(report: dict[str, Any]) -> None:
    rp = _claim(report, "Second bulletin")["round_percentages"]
    assert rp["details"]["flag"] is False and rp["details"]["best_grid_pp"] is None


def test_v1_against_bulletin_2(report: dict[str, Any]) -> None:
    section = _claim(report, "Second bulletin")
    cmp = section["comparison"]
    assert cmp["missing_valid"] == 1_676_756
    rows = {r["candidate"]: r for r in cmp["rows"]}
    assert rows["maduro"]["gap"] == 3_167_383
    assert round(100 * rows["maduro"]["required_share"], 1) == 188.9
    assert rows["maduro"]["impossible"] is True
    assert rows["gonzalez"]["collected"] - rows["gonzalez"]["official"] == 1_830_358
    assert rows["gonzalez"]["contradiction"] is True
    assert cmp["leader"] == "gonzalez" and cmp["leader_secure"] is True
    assert cmp["missing_valid_max"] == 21_321_805 - 17_745_239
    assert section["scope_comparable"] is True
    # bulletin 1 covers fewer tables (80 %) than were collected (81.70 %): said so
    first = _claim(report, "First bulletin")
    assert first["scope_comparable"] is False
    assert "not as contradictions" in first["scope_note"]


def test_digit_tests_reproduce_f11_and_are_not_evidence(report: dict[str, Any]) -> None:
    methods = {m["name"]: m for m in report["methods"]}
    for cid, mean, chi2 in (("gonzalez", 4.381, 116.1), ("maduro", 4.002, 111.6)):
        m = methods[f"second_digit_2bl:{cid}"]
        assert round(m["details"]["mean"], 3) == mean
        assert round(m["statistic"], 1) == chi2
        assert "Do not flag fraud from 2BL alone at table level" in m["caveat"]
    assert round(methods["last_digit:gonzalez"]["statistic"], 1) == 8.1
    assert round(methods["last_digit:maduro"]["statistic"], 1) == 40.3
    assert any(
        n.startswith("The digit tests") and "are not evidence of fraud at table level" in n
        for n in report["notes"]
    )


def test_stratified_projection_by_state(report: dict[str, Any]) -> None:
    proj = report["projection"]
    assert proj["name"] == "stratified_ratio_projection"
    assert len(proj["strata"]) == 24 and proj["collected"] == 24_532
    assert proj["frame_known"] is False
    eg = proj["candidates"]["gonzalez"]
    assert eg["ci"][0] < eg["share"] < eg["ci"][1]
    assert round(eg["share"], 4) == 0.6714  # every state collected: equals the tally share
    assert "not a random sample" in proj["caveat"]
    assert any("No registry of tables" in n for n in report["notes"])


def test_human_report_prints_the_caveats(svc: Service) -> None:
    text = " ".join(run(svc, "analyse", "--seed", "1", "--nrep", "50").split())
    assert "These tests are not evidence of fraud at table level." in text
    assert "sit on the 0.1-pp grid" in text
    assert "188.9 %" in text and "1,830,358" in text
    assert "Projection (stratified ratio estimate by state)" in text
    assert "not a random sample" in text
    assert text.count("Caveat") >= 8
