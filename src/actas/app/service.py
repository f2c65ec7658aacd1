"""The use cases as methods of one object, for the CLI, the tests and the scripts.

svc = Service.init(settings, "ve-2024")          # once
svc = Service.open(settings)                     # afterwards
svc.import_file(Path("RESULTADOS_2024_CSV_V1.csv"))
svc.results(level=0)

A :class:`Service` is a :class:`~actas.app.context.Context` (settings, election,
store, log, blobs, clock); each method is one line calling the use case in its
module (:mod:`~actas.app.importing`, :mod:`~actas.app.results`,
:mod:`~actas.app.publishing`, :mod:`~actas.app.analysis`). New code may call
those modules with a context directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from actas.adapters.bundle_files import ExportSummary
from actas.app import importing, publishing, results
from actas.app.context import Clock, Context, utcnow
from actas.app.importing import ImportSummary, Progress
from actas.app.settings import Settings
from actas.core.definitions import ImportMapping
from actas.core.results.reconcile import Version

__all__ = ["ImportSummary", "Service", "utcnow"]


class Service(Context):
    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def init(cls, settings: Settings, election: str, clock: Clock = utcnow) -> Service:
        """Create a data folder for ``election`` (a built-in id or a TOML file)."""
        svc, created = cls.create(settings, election, clock)
        if created:
            results.retally(svc)
        return svc

    # ----------------------------------------------------------------- importing

    def mappings(self) -> list[ImportMapping]:
        return importing.mappings(self)

    def _mapping_for(
        self,
        header: Sequence[str],
        name: str,
        fmt: str | None,
        mapping_file: Path | None,
        custom: bytes | None = None,
    ) -> ImportMapping:
        return importing.mapping_for(self, header, name, fmt, mapping_file, custom)

    def import_file(
        self,
        path: Path,
        fmt: str | None = None,
        mapping_file: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        return importing.import_file(self, path, fmt, mapping_file, progress)

    def import_bytes(
        self,
        data: bytes,
        name: str,
        fmt: str | None = None,
        mapping_file: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        return importing.import_bytes(self, data, name, fmt, mapping_file, progress)

    # ----------------------------------------------------------------- results

    def _reconcile(
        self, conn: Any, tables: Iterable[str], fresh: dict[str, list[Version]] | None = None
    ) -> None:
        results.reconcile_tables(self, conn, tables, fresh)

    def rebuild_results(self) -> int:
        """Recompute every table's result from the submissions (e.g. after a crash)."""
        return results.rebuild_results(self)

    def retally(self) -> None:
        """Recompute every region's results from the table results."""
        results.retally(self)

    def results(
        self, level: str | int | None = None, region: str | None = None
    ) -> list[dict[str, Any]]:
        """Results of one region (``region``), or of every region at a level."""
        return results.results(self, level, region)

    def children(self, code: str) -> list[dict[str, Any]]:
        """Results of the regions directly below ``code`` ("" = the nation)."""
        return results.children(self, code)

    def table(self, table_id: str) -> dict[str, Any]:
        """Everything about one table (:func:`actas.app.results.table`)."""
        return results.table(self, table_id)

    def conflicts(self) -> list[dict[str, Any]]:
        return results.conflicts(self)

    def findings(
        self, code: str | None = None, severity: str | None = None, limit: int = 1000
    ) -> dict[str, Any]:
        return results.findings(self, code, severity, limit)

    # ----------------------------------------------------------------- analysis

    def import_claims(self, data: bytes | None = None, name: str = "") -> dict[str, Any]:
        """Log a claims file (docs/claims.md) and keep its claims; None = the built-in one."""
        from actas.app import analysis  # numpy, scipy: only when asked

        return analysis.import_claims(self, data, name)

    def claims(self) -> list[dict[str, Any]]:
        """Every imported claims file with its claims."""
        from actas.app import analysis

        return analysis.stored_claims(self)

    def analyse(
        self,
        seed: int = 0,
        nrep: int = 1000,
        flag_limit: int | None = 100,
        winner: str | None = None,
    ) -> dict[str, Any]:
        """Every forensic method over the counted tables, with the stored claims."""
        from actas.app import analysis

        return analysis.analyse(self, seed=seed, nrep=nrep, flag_limit=flag_limit, winner=winner)

    # ----------------------------------------------------------------- open data

    def export(self, out_dir: Path, photos: bool = False) -> ExportSummary:
        """Write the open-data bundle into ``out_dir`` (:func:`actas.app.publishing.export`)."""
        return publishing.export(self, out_dir, photos)
