"""The data folder and its database are the owner's alone (issue 19 D12: actas.db was 0644)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from actas.adapters.store import open_store
from actas.app.people.accounts import People
from actas.app.service import Service
from actas.app.settings import Settings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_the_folder_and_database_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the common default, which made actas.db 0644
    try:
        home = tmp_path / "home"
        svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024")
        People(svc).add("Ana", "administrator")  # a password hash in the store
        svc.close()
    finally:
        os.umask(old)
    assert mode(home) == 0o700
    db = home / "actas.db"
    assert mode(db) == 0o600
    for extra in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        if extra.exists():
            assert mode(extra) & 0o077 == 0, extra


def test_open_tightens_a_folder_made_before(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Service.init(Settings.from_env(env={}, home=home), "ve-2024").close()
    os.chmod(home, 0o755)
    os.chmod(home / "actas.db", 0o644)
    Service.open(Settings.from_env(env={}, home=home)).close()
    assert mode(home) == 0o700
    assert mode(home / "actas.db") == 0o600


def test_a_new_sqlite_store_is_created_0600(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'x.db'}", migrate=True)
        store.close()
    finally:
        os.umask(old)
    assert mode(tmp_path / "x.db") == 0o600
