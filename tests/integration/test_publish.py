"""``actas publish``: a static copy of the portal with relative links that all resolve."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from actas.__main__ import app as cli
from actas.adapters.bundle_files import read_bundle
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.verify.procedure import verify
from actas.web import queries

GEO = "geo/geoBoundaries-VEN-ADM1_simplified.geojson"
LINK = re.compile(r'(?:href|src)="([^"]*)"')


def small_v1(ve: Path, out: Path) -> Path:
    """The V1 rows of state 20 (Yaracuy) and of the capital district: a few thousand tables."""
    src = ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
    lines = src.read_text("utf-8-sig").splitlines(keepends=True)
    keep = [ln for ln in lines[1:] if ln.startswith(("20,", "1,"))]
    out.write_text(lines[0] + "".join(keep), "utf-8")
    return out


@pytest.fixture(scope="module")
def published(ve: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pub")
    home = root / "home"
    settings = Settings.from_env(env={}, home=home)
    svc = Service.init(settings, "ve-2024", clock=lambda: "2024-07-29T04:00:00.000000Z")
    svc.import_file(small_v1(ve, root / "small.csv"))
    svc.log.publish_checkpoint("2024-07-29T05:00:00.000000Z")
    svc.close()
    site = root / "site"
    result = CliRunner().invoke(
        cli,
        ["publish", str(site), "--home", str(home), "--geometry", str(ve / GEO), "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["tables"] > 2000 and summary["checkpoint"] == summary["tables"] + 1
    return home, site


def test_every_page_and_twin_is_there(published: tuple[Path, Path]) -> None:
    _, site = published
    for rel in (
        "index.html",
        "index.en.html",
        "index.json",
        "map.html",
        "map-coverage.en.html",
        "search.html",
        "downloads.html",
        "methodology.en.html",
        "regions/20.html",
        "regions/201301006.en.html",
        "regions/201301006.json",
        "tables/201301006.01.html",
        "tables/201301006.01.en.html",
        "tables/201301006.01.json",
        "static/verify.js",
        "static/i18n.es.js",
        "static/search-index.js",
        "api/v1/results.json",
        "checkpoint.txt",
    ):
        assert (site / rel).is_file(), rel
    assert "188" in (site / "tables/201301006.01.html").read_text()


def test_links_are_relative_and_resolve(published: tuple[Path, Path]) -> None:
    _, site = published
    pages = [site / "index.html", site / "map.en.html", site / "search.html"]
    pages += sorted((site / "regions").glob("20*.html"))[:20]
    pages += sorted((site / "tables").glob("2013010*.html"))[:20]
    for page in pages:
        for link in LINK.findall(page.read_text("utf-8")):
            if link.startswith(("https://static.resultadosconvzla.com/", "#")):
                continue  # in-page anchors; the source photo is an external link
            assert not link.startswith(("/", "http:", "https:", "//")), (page.name, link)
            target = unquote(link.split("#")[0].split("?")[0])
            assert (page.parent / target).resolve().is_file(), (page.name, link)


def test_json_twins_match_the_api(published: tuple[Path, Path]) -> None:
    home, site = published
    svc = Service.open(Settings.from_env(env={}, home=home))
    try:
        snap = queries.snapshot(svc)
        live = json.loads(json.dumps(queries.table(svc, "201301006.01", snap.checkpoint)))
        static = json.loads((site / "tables/201301006.01.json").read_text("utf-8"))
        assert static == live
        assert json.loads((site / "api/v1/results.json").read_text())["tables"]["counted"] > 2000
    finally:
        svc.close()
    index = (site / "static/search-index.js").read_text("utf-8")
    assert index.startswith("window.ACTAS_SEARCH=") and "201301006.01" in index


def test_the_published_bundle_is_whole_and_verifies(ve: Path, tmp_path: Path) -> None:
    """``downloads/`` holds every file of the bundle, ``mappings/*.toml`` included."""
    home = tmp_path / "home"
    svc = Service.init(
        Settings.from_env(env={}, home=home), "ve-2024", clock=lambda: "2024-07-29T04:00:00Z"
    )
    src = ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
    lines = src.read_text("utf-8-sig").splitlines(keepends=True)
    (tmp_path / "few.csv").write_text(lines[0] + "".join(lines[1:21]), "utf-8")
    try:
        svc.import_file(tmp_path / "few.csv")
        svc.export(home / "export")  # the default ACTAS_BUNDLE_DIR
    finally:
        svc.close()
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["publish", str(site), "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert (site / "downloads/mappings/cvzla.toml").is_file()
    assert 'href="downloads/mappings/cvzla.toml"' in (site / "downloads.html").read_text()
    report = verify(read_bundle(site / "downloads"))
    assert report.ok, [str(f) for f in report.failures][:5]
