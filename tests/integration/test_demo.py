"""``actas demo`` builds a fictional election whose open-data bundle verifies.

Everything the demo's results depend on — its registry of tables (registered
voters, region names) and its photos — goes through the log, so ``actas verify``
recomputes the same coverage offline.
"""

from __future__ import annotations

from pathlib import Path

from actas.adapters.bundle_files import read_bundle
from actas.app.settings import Settings
from actas.core.verify.procedure import verify
from actas.dev.demo import build_demo, demo_tables


def test_the_demo_bundle_verifies(tmp_path: Path) -> None:
    svc, summary = build_demo(
        Settings.from_env(env={}, home=tmp_path / "demo"), n_tables=8, seed=5, workers=1
    )
    try:
        assert summary is not None and summary.decoded + summary.unreadable == 9  # 1 re-sent
        # different sheets of one template are never the same picture; the re-send is found
        assert not svc.findings(code="photo.duplicate_elsewhere")["findings"]
        [resent] = svc.findings(code="photo.resent")["findings"]
        tables, _ = demo_tables(svc.election, 8, 5)
        assert [resent["table_id"]] == [t.table_id for t in tables if t.resent]
        [national] = svc.results()
        assert national["tables"]["expected"] == 8  # the registry's tables, not the guess
        assert national["registered"]["tables_known"] == national["tables"]["counted"]
        names = svc.store.region_names()
        assert len(names) > 4  # municipality, parish and centre names came with the registry
        svc.export(tmp_path / "bundle")
    finally:
        svc.close()
    report = verify(read_bundle(tmp_path / "bundle"))
    assert report.ok, [str(f) for f in report.failures][:5]
    assert report.checks.get("tables") == national["tables"]["reported"]
