"""One frozen Settings object. Nothing else in Actas reads the environment.

=====================  ===============================================  =========================
variable               meaning                                          default
=====================  ===============================================  =========================
ACTAS_HOME             data folder (database, photos, keys, exports)    ./actas-data
ACTAS_DATABASE_URL     SQLAlchemy URL (sqlite:///… or postgresql://…)   sqlite:///$ACTAS_HOME/actas.db
ACTAS_BLOBS            photo store: a folder, or s3://bucket/prefix     $ACTAS_HOME/blobs
ACTAS_S3_ENDPOINT      endpoint URL of an S3-compatible service         (AWS)
ACTAS_ORIGIN           checkpoint origin line (the log's name)          actas.example/<election>
ACTAS_MAX_UPLOAD       largest accepted upload, bytes                   26214400
ACTAS_GEOMETRY         GeoJSON of the top-level regions (portal map)    the election's [geometry]
ACTAS_BUNDLE_DIR       export bundle folder listed on /downloads        $ACTAS_HOME/export
=====================  ===============================================  =========================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    blobs: str
    s3_endpoint: str = ""
    origin: str = ""
    max_upload: int = 25 * 1024 * 1024
    geometry: str = ""
    bundle_dir: str = ""

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, home: str | Path | None = None, **overrides: str
    ) -> Settings:
        env = os.environ if env is None else env
        home_path = Path(home or env.get("ACTAS_HOME") or "actas-data").resolve()
        settings = cls(
            home=home_path,
            database_url=env.get("ACTAS_DATABASE_URL") or f"sqlite:///{home_path / 'actas.db'}",
            blobs=env.get("ACTAS_BLOBS") or str(home_path / "blobs"),
            s3_endpoint=env.get("ACTAS_S3_ENDPOINT", ""),
            origin=env.get("ACTAS_ORIGIN", ""),
            max_upload=int(env.get("ACTAS_MAX_UPLOAD") or 25 * 1024 * 1024),
            geometry=env.get("ACTAS_GEOMETRY", ""),
            bundle_dir=env.get("ACTAS_BUNDLE_DIR") or str(home_path / "export"),
        )
        clean = {k: v for k, v in overrides.items() if v}
        return replace(settings, **clean) if clean else settings  # type: ignore[arg-type]

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"
