"""``actas verify`` reads a bundle as it is downloaded: a zip, with or without its folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actas.__main__ import app
from actas.adapters.bundle_files import read_bundle
from actas.core.errors import InputError
from actas.core.verify.procedure import verify
from bundlegen import build, rows


def _zip(path: Path, files: dict[str, bytes], top: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if top:
            z.writestr(f"{top}/", b"")  # a folder entry, as zip tools write it
        for name, data in files.items():
            z.writestr(f"{top}/{name}" if top else name, data)
    return path


def test_a_zip_of_a_bundle_verifies_like_its_folder(tmp_path: Path) -> None:
    files = build(list(rows(20))).files
    for top in ("", "bundle-2024"):
        found = read_bundle(_zip(tmp_path / f"b{top}.zip", files, top))
        assert found == files
        assert verify(found).ok
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "bbundle-2024.zip")])
    assert result.exit_code == 0, result.output


def test_a_zip_with_hostile_paths_is_refused(tmp_path: Path) -> None:
    for name in ("../escape.txt", "/abs.txt", "a//b.txt"):
        with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
            z.writestr("MANIFEST", b"x")
            z.writestr(name, b"x")
        with pytest.raises(InputError, match="not a bundle path"):
            read_bundle(tmp_path / "bad.zip")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "broken.zip")])
    assert result.exit_code != 0 and "Traceback" not in result.output
