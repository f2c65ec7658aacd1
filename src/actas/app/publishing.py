"""Publishing: the open-data bundle of a data folder (see :mod:`actas.adapters.bundle_files`).

export(ctx, Path("bundle"))               # the log, results, definitions, proofs
export(ctx, Path("bundle"), photos=True)  # and the public copies of the photos
"""

from __future__ import annotations

from pathlib import Path

from actas.adapters.bundle_files import ExportSummary, export_bundle
from actas.app.context import Context

__all__ = ["export"]


def export(ctx: Context, out_dir: Path, photos: bool = False) -> ExportSummary:
    """Write the open-data bundle into ``out_dir``; photos come from the context's blobs."""
    return export_bundle(ctx, out_dir, photos, ctx.blobs if photos else None)
