"""One frozen Settings object. Nothing else in Actas reads the environment.

=====================  ===============================================  =========================
variable               meaning                                          default
=====================  ===============================================  =========================
ACTAS_HOME             data folder (database, photos, keys, exports)    ./actas-data
ACTAS_DATABASE_URL     SQLAlchemy URL (sqlite:///… or postgresql://…)   $ACTAS_HOME/database.url, else
                                                                        sqlite:///$ACTAS_HOME/actas.db
ACTAS_BLOBS            photo store: a folder, or s3://bucket/prefix     $ACTAS_HOME/blobs
ACTAS_S3_ENDPOINT      endpoint URL of an S3-compatible service         (AWS)
ACTAS_ORIGIN           checkpoint origin line (the log's name)          actas.example/<election>
ACTAS_MAX_UPLOAD       largest accepted upload, bytes                   26214400
ACTAS_GEOMETRY         GeoJSON of the top-level regions (portal map)    the election's [geometry]
ACTAS_BUNDLE_DIR       export bundle folder listed on /downloads        $ACTAS_HOME/export
ACTAS_QUEUE            on: uploads are decoded by 'actas worker'        off (decoded at once)
                       (PostgreSQL and the postgres extra)
ACTAS_TRUSTED_PROXIES  addresses of reverse proxies whose               (none: X-Forwarded-For
                       X-Forwarded-For is believed (comma-separated,     is ignored, even from
                       or *)                                            loopback)
=====================  ===============================================  =========================

``actas init --db URL`` records the URL in ``$ACTAS_HOME/database.url`` (mode 0600:
it may hold a password), so later commands with the same home use that database.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from actas.core.errors import InputError

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
    queue: bool = False  # uploads queued for the workers instead of decoded in the web process
    trusted_proxies: str = ""  # proxies whose X-Forwarded-For is believed; none by default

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, home: str | Path | None = None, **overrides: str
    ) -> Settings:
        env = os.environ if env is None else env
        home_path = Path(home or env.get("ACTAS_HOME") or "actas-data").resolve()
        settings = cls(
            home=home_path,
            database_url=env.get("ACTAS_DATABASE_URL")
            or _recorded_database(home_path)
            or f"sqlite:///{home_path / 'actas.db'}",
            blobs=env.get("ACTAS_BLOBS") or str(home_path / "blobs"),
            s3_endpoint=env.get("ACTAS_S3_ENDPOINT", ""),
            origin=env.get("ACTAS_ORIGIN", ""),
            max_upload=int(env.get("ACTAS_MAX_UPLOAD") or 25 * 1024 * 1024),
            geometry=env.get("ACTAS_GEOMETRY", ""),
            bundle_dir=env.get("ACTAS_BUNDLE_DIR") or str(home_path / "export"),
            queue=_switch("ACTAS_QUEUE", env.get("ACTAS_QUEUE", "")),
            trusted_proxies=env.get("ACTAS_TRUSTED_PROXIES", "").strip(),
        )
        clean = {k: v for k, v in overrides.items() if v}
        return replace(settings, **clean) if clean else settings  # type: ignore[arg-type]

    def server_options(self) -> dict[str, object]:
        """How uvicorn treats ``X-Forwarded-For``: ignored unless ``trusted_proxies``
        names the proxies (uvicorn's own default would trust any from 127.0.0.1, so a
        local process could pose as any address and dodge the per-address limits)."""
        if not self.trusted_proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": self.trusted_proxies}

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    def make_home(self) -> Path:
        """Create the data folder, owner only (0700): it holds the database, the keys,
        the photos and the sealed entries. An existing folder loses its group and
        other bits (a folder this user may not change is left as it is)."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            mode = stat.S_IMODE(self.home.stat().st_mode)
            if mode & 0o077:
                os.chmod(self.home, mode & 0o700)
        except OSError:
            pass
        return self.home

    def remember_database(self) -> None:
        """Record ``database_url`` in the home folder for later commands (mode 0600)."""
        self.make_home()
        path = self.home / DATABASE_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.database_url + "\n")


DATABASE_FILE = "database.url"


def _switch(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("on", "1", "true", "yes"):
        return True
    if text in ("", "off", "0", "false", "no"):
        return False
    raise InputError(f"{name} must be on or off, got {value!r}")


def _recorded_database(home: Path) -> str:
    try:
        return (home / DATABASE_FILE).read_text("utf-8").strip()
    except FileNotFoundError:
        return ""
