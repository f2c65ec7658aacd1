"""How one imported row becomes a submission: read, judged, and wrapped as a RECORD.

Pure. The importer (``actas.app.importing``) splits a file into rows with
:func:`~actas.core.results.rows.split_rows` and hands each here; the verifier
(:mod:`actas.core.verify.replay`) re-reads a logged row with the same
:func:`judge_row`, so the two cannot disagree on a row's table, counts or
findings. The rules see what the store's registry knew at import time
(:func:`rules_context`), which the verifier rebuilds from the log.

    ctx = rules_context(election, registry)
    sub, names = row_submission(header, fields, raw, number, width, ctx, file)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from actas.core.model import (
    Election,
    Finding,
    RegionCode,
    Severity,
    Source,
    Submission,
    SubmissionKind,
)
from actas.core.results import rules
from actas.core.results.rows import Header, RowReading, read_row

__all__ = ["ImportedFile", "judge_row", "row_submission", "rules_context", "unreadable_row"]


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """What every row of one import shares: the file's name and SHA-256, its receipt time."""

    name: str
    sha256: str
    received_at: str


def rules_context(election: Election, registry: Mapping[str, int | None]) -> rules.Context:
    """What the rules know beside the acta: the registry loaded so far (table -> its
    registered voters, None where the registry gives no number)."""
    registered = {t: r for t, r in registry.items() if r is not None}
    return rules.Context(
        election,
        registry_registered=registered or None,
        registry_tables=frozenset(registry) or None,
    )


def unreadable_row(number: int, message: str) -> RowReading:
    """A row the csv module refuses: no table, no counts, one error finding."""
    return RowReading(
        None, None, (Finding("row.unreadable", Severity.ERROR, f"row {number}: {message}"),)
    )


def judge_row(
    header: Header, fields: Sequence[str], width: int, number: int, ctx: rules.Context
) -> RowReading:
    """Read a row's fields with the header's mapping and add the rules' findings.

    ``fields`` as :func:`~actas.core.results.rows.split_rows` gives them: a row it
    could not split is ``["\\0" + the csv error]``. ``number`` is the 1-based data
    row number, named in the message of an unreadable row.
    """
    if fields and fields[0].startswith("\0"):
        return unreadable_row(number, fields[0][1:])
    reading = read_row(header, fields, width)
    if reading.counts is None or reading.table_id is None:
        return reading
    checked = tuple(rules.check(reading.table_id, reading.counts, ctx))
    if not checked:
        return reading
    return RowReading(
        reading.table_id,
        reading.counts,
        reading.findings + checked,
        reading.region_names,
        reading.meta,
    )


def row_submission(
    header: Header,
    fields: Sequence[str],
    raw: bytes,
    number: int,
    width: int,
    ctx: rules.Context,
    file: ImportedFile,
) -> tuple[Submission, Mapping[RegionCode, str]]:
    """The RECORD submission of one data row (its exact bytes ``raw``), and the region
    names the row gives (code -> name)."""
    reading = judge_row(header, fields, width, number, ctx)
    sub = Submission(
        kind=SubmissionKind.RECORD,
        source=Source(header.mapping.name, file.name, file.sha256, number),
        received_at=file.received_at,
        raw=raw,
        table_id=reading.table_id,
        counts=reading.counts,
        findings=reading.findings,
        meta=reading.meta,
    )
    return sub, reading.region_names
