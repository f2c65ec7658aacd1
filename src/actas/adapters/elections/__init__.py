"""Built-in election definitions and their import mappings (package data).

Each election lives in a folder ``<id>/`` holding ``election.toml`` and one
``*.toml`` import mapping per known file format.
"""

from __future__ import annotations

from importlib import resources

from actas.core.definitions import ImportMapping, parse_election, parse_mapping
from actas.core.model import Election

__all__ = ["builtin_ids", "load_builtin", "load_builtin_mappings", "load_builtin_text"]


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
