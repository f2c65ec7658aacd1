"""Built-in election definitions and their import mappings (package data).

Each election lives in a folder ``<id>/`` holding ``election.toml`` and one
``*.toml`` import mapping per known file format.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from actas.core.definitions import ImportMapping, parse_election, parse_mapping
from actas.core.errors import DefinitionError, InputError
from actas.core.model import Election

__all__ = [
    "Definition",
    "builtin_ids",
    "definition_mapping_texts",
    "load_builtin",
    "load_builtin_mappings",
    "load_builtin_text",
    "read_definition",
]


@dataclass(frozen=True)
class Definition:
    """An election definition as given to ``actas init``: its text, where it came from,
    and the import mappings found beside it (file name -> exact text)."""

    text: str
    origin: str
    mappings: Mapping[str, str] = field(default_factory=dict)

    def mappings_json(self) -> str:
        """The mappings as the store keeps them (meta ``mappings``): a JSON object."""
        return json.dumps(dict(self.mappings), sort_keys=True, ensure_ascii=False)


def read_definition(spec: str) -> Definition:
    """A built-in id, an ``election.toml`` file or a folder holding one; a file's or
    folder's other ``*.toml`` files with a ``[format]`` table are its mappings."""
    path = Path(spec)
    if path.is_dir():
        path = path / "election.toml"
        if not path.is_file():
            raise InputError(f"{spec}: the folder holds no election.toml")
    elif not (path.suffix == ".toml" and path.is_file()):
        return Definition(load_builtin_text(spec), f"{spec}/election.toml")
    text = _read(path)
    election = parse_election(text, str(path))
    found: dict[str, str] = {}
    names: dict[str, str] = {}
    for p in sorted(path.parent.glob("*.toml"), key=lambda p: p.name):
        if p.resolve() == path.resolve():
            continue
        other = _read(p)
        try:
            is_mapping = "format" in tomllib.loads(other)
        except tomllib.TOMLDecodeError:
            is_mapping = "[format]" in other  # then parse_mapping says what is wrong
        if not is_mapping:
            continue  # another definition, or a file of the user's own
        name = parse_mapping(other, election, str(p)).name
        if name in names:
            raise DefinitionError(f"{p}: format {name!r} is also defined in {names[name]}")
        names[name] = str(p)
        found[p.name] = other
    return Definition(text, str(path), found)


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text: {exc}") from None


def definition_mapping_texts(election: Election, stored: str | None) -> dict[str, str]:
    """Format name -> exact TOML text of every mapping of the election: the built-in
    ones, then those found beside a custom definition (``stored``: the store's meta
    ``mappings``), which win over a built-in of the same name."""
    out: dict[str, str] = {}
    folder = resources.files(__package__) / election.id
    if folder.is_dir():
        for p in sorted(folder.iterdir(), key=lambda p: p.name):
            if p.name.endswith(".toml") and p.name != "election.toml":
                text = p.read_text("utf-8")
                out[parse_mapping(text, election, f"{election.id}/{p.name}").name] = text
    for file, text in sorted(json.loads(stored).items() if stored else []):
        out[parse_mapping(text, election, file).name] = text
    return out


def builtin_ids() -> list[str]:
    root = resources.files(__package__)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "election.toml").is_file())


def load_builtin_text(election_id: str) -> str:
    path = resources.files(__package__) / election_id / "election.toml"
    if election_id not in builtin_ids():
        from actas.core.errors import NotFound

        raise NotFound(f"no built-in election {election_id!r}; known: {', '.join(builtin_ids())}")
    return path.read_text("utf-8")


def load_builtin(election_id: str) -> Election:
    return parse_election(load_builtin_text(election_id), f"{election_id}/election.toml")


def load_builtin_mappings(election: Election) -> list[ImportMapping]:
    folder = resources.files(__package__) / election.id
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name.endswith(".toml") and p.name != "election.toml":
            out.append(parse_mapping(p.read_text("utf-8"), election, f"{election.id}/{p.name}"))
    return out
