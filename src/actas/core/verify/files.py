"""Step 1 and the definitions: the ``MANIFEST``, the required files, ``election.toml``
and ``mappings/*.toml`` of a bundle. Pure."""

from __future__ import annotations

import hashlib

from actas.core.bundle import format as b
from actas.core.definitions import ImportMapping, parse_election, parse_mapping
from actas.core.errors import DefinitionError
from actas.core.model import Election
from actas.core.verify.run import Run

__all__ = ["REQUIRED", "election", "manifest", "mapping_hashes", "mappings", "required"]

#: The files every bundle has.
REQUIRED = (
    *(b.ELECTION, b.VERIFIER_KEY, b.CHECKPOINT, b.LEAVES, b.SUBMISSIONS),
    *(b.TABLES_JSON, b.TABLES_CSV, b.RESULTS_JSON, b.RESULTS_CSV),
)


def manifest(run: Run) -> None:
    data = run.files.get(b.MANIFEST)
    if data is None:
        run.fail("manifest.absent", b.MANIFEST, "the bundle has no MANIFEST")
        return
    listed, problems = b.parse_manifest(data)
    for line, problem in problems:
        run.fail("manifest.malformed", f"MANIFEST line {line}", problem)
    for path, digest in listed.items():
        found = run.files.get(path)
        if found is None:
            run.fail("manifest.missing_file", path, "listed in MANIFEST but not in the bundle")
            continue
        actual = hashlib.sha256(found).hexdigest()
        if actual != digest:
            run.fail(
                "manifest.hash_mismatch",
                path,
                f"SHA-256 is {actual}, MANIFEST says {digest}",
            )
    for path in sorted(run.files):
        if path != b.MANIFEST and path not in listed:
            run.fail("manifest.extra_file", path, "in the bundle but not listed in MANIFEST")
    run.count("manifest_files", len(listed))


def required(run: Run) -> None:
    """Every file of :data:`REQUIRED` is in the bundle."""
    for path in REQUIRED:
        if path not in run.files:
            run.fail("file.missing", path, "a required file of the bundle is missing")


def election(run: Run) -> Election | None:
    data = run.files.get(b.ELECTION)
    if data is None:
        return None
    try:
        return parse_election(data.decode("utf-8"), b.ELECTION)
    except (UnicodeDecodeError, DefinitionError) as exc:
        run.fail("election.invalid", b.ELECTION, str(exc).removeprefix(f"{b.ELECTION}: "))
        return None


def mappings(run: Run, election: Election) -> dict[str, ImportMapping]:
    out: dict[str, ImportMapping] = {}
    prefix = b.MAPPINGS_DIR + "/"
    for path in sorted(p for p in run.files if p.startswith(prefix) and p.endswith(".toml")):
        try:
            m = parse_mapping(run.files[path].decode("utf-8"), election, path)
        except (UnicodeDecodeError, DefinitionError) as exc:
            run.fail("mapping.invalid", path, str(exc).removeprefix(f"{path}: "))
            continue
        if path != f"{prefix}{m.name}.toml":
            run.fail("mapping.invalid", path, f"holds format {m.name!r}; name it {m.name}.toml")
        out[m.name] = m
    run.count("mappings", len(out))
    return out


def mapping_hashes(run: Run) -> dict[str, str]:
    """Format name -> SHA-256 of the bundle's ``mappings/<format>.toml``."""
    prefix = b.MAPPINGS_DIR + "/"
    return {
        path[len(prefix) : -len(".toml")]: hashlib.sha256(data).hexdigest()
        for path, data in run.files.items()
        if path.startswith(prefix) and path.endswith(".toml")
    }
