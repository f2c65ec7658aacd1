"""Recompute everything from an exported bundle. No DB, no network, no files.

    report = verify(files)            # files: path -> bytes (e.g. export.read_bundle)
    report.ok, report.failures        # every failure: code, where, expected vs found

The procedure, specified in ``docs/verification.md``:

1. ``MANIFEST``: every listed file is present with that SHA-256; no file is unlisted.
2. The checkpoint opens with ``verifier.pub`` (and with a pinned key, which must
   be the same key when given).
3. Every line of ``leaves.txt`` is the base64 of canonical v1 leaf bytes; the
   RFC 9162 root of the first *size* leaves is the checkpoint's root; no leaf
   lies beyond the checkpoint.
4. Every line of ``submissions.jsonl`` belongs to the leaf of the same index
   (kind, channel, photo, raw hash).
5. Every imported row is read again from its raw bytes with the file's mapping
   (:mod:`actas.core.verify.replay`): table id, counts and findings must be the published ones.
6. Each table is reconciled again (:func:`actas.core.results.reconcile.reconcile`) and
   compared with ``tables.json``, ``tables.csv`` and (given a reader) ``tables.parquet``.
7. Every region is tallied again (:func:`actas.core.results.tally.tally_all`) and compared
   with ``results.json``, ``results.csv`` and ``results.parquet``.
8. With a previous checkpoint: same key and origin, not larger, its root is the
   root of the first leaves, and a consistency proof between the two verifies.
9. Photos, if any: each file hashes to its name and belongs to a leaf.
10. Audits (:mod:`actas.core.audit.trail`): each audit's leaves are consistent, its
    sample follows from its seed and committed frame, its audited values are of
    drawn tables, and ``audits.json`` (if any) shows that sample and decision.

Custom import mappings and registry files are leaves themselves, so their
effects are re-derived too. What cannot be re-derived from the log alone is
said in ``notes`` rather than failed: the effect of a registry imported before
registry files were logged, on region names, expected totals and findings.

Each step is a module of its own, each a function of the :class:`~.run.Run`:
:mod:`.files` (1), :mod:`.signature` (2), :mod:`.tree` (3, 8), :mod:`.rederive`
(4, 5), :mod:`.outputs` (6, 7), :mod:`.photos` (9) and :mod:`.audits` (10).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Mapping

from actas.core.bundle import format as b
from actas.core.verify import audits, files, outputs, photos, signature, tree
from actas.core.verify.outputs import ParquetReader
from actas.core.verify.rederive import Rederive
from actas.core.verify.report import Failure, VerifyReport
from actas.core.verify.reread import Mapper
from actas.core.verify.run import Run

__all__ = ["Failure", "Mapper", "ParquetReader", "VerifyReport", "verify"]


def verify(
    files: Mapping[str, bytes],
    *,
    pinned_key: str | None = None,
    previous: bytes | None = None,
    read_parquet: ParquetReader | None = None,
    rederive: bool = True,
    max_failures: int = 100,
    mapper: Mapper | None = None,
) -> VerifyReport:
    """Check a bundle; never raises for bad data: every problem is a :class:`Failure`.

    ``pinned_key`` is verifier key text obtained independently of the bundle;
    ``previous`` an older signed checkpoint of the same log. ``rederive=False``
    skips re-reading rows (step 5; the published counts are then trusted).
    ``mapper`` (``map(function, chunks)``, e.g. a process pool's) re-reads rows
    on several cores; the default is the builtin ``map``.
    """
    run = Run(files, max_failures)
    # Millions of small objects and no reference cycles to speak of: the cyclic
    # collector would traverse them over and over (a quarter of the time at a
    # million leaves). Reference counting frees them; the collector is restored.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _steps(run, pinned_key, previous, read_parquet, rederive, mapper)
    finally:
        if collecting:
            gc.enable()
    return run.report()


def _steps(
    run: Run,
    pinned_key: str | None,
    previous: bytes | None,
    read_parquet: ParquetReader | None,
    rederive: bool,
    mapper: Mapper | None,
) -> None:
    """The numbered steps of the module docstring, in order."""
    files.manifest(run)  # 1
    files.required(run)
    election = files.election(run)
    if election is None:
        return
    verifier = signature.key(run, pinned_key)  # 2
    run.checkpoint = signature.open_checkpoint(run, verifier)
    leaves, hashes = tree.leaves(run, election, mapper)  # 3
    signed = tree.tree(run, hashes)
    mappings = files.mappings(run, election) if rederive else {}
    if not rederive:
        run.notes.append("rows were not re-read: the published counts were trusted")
    definition = run.files.get(b.ELECTION)
    derived = Rederive(  # 4, 5
        election,
        mappings,
        run.cmp,
        run.checks,
        run.notes,
        hashlib.sha256(definition).hexdigest() if definition is not None else "",
        files.mapping_hashes(run),
    ).run(leaves, run.files.get(b.SUBMISSIONS), rederive, mapper)
    results = outputs.tables(run, election, derived, read_parquet)  # 6
    outputs.regions(run, election, results, derived, read_parquet)  # 7
    if previous is not None:
        tree.previous(run, previous, verifier, signed)  # 8
    photos.photos(run, leaves)  # 9
    audits.audits(run, election, leaves, hashes, results)  # 10
