"""How a photo reading becomes a submission: its counts, its findings, its table.

Pure: what was read from one photo (:class:`PhotoRead`) and how it was received
(:class:`Receipt`) in, a :class:`~actas.core.model.Submission` out. The reading itself
(hashing, opening safely, decoding the QR) is :mod:`actas.adapters.photo.reader`; the
writing (blobs, leaves, photo rows) is :mod:`actas.app.photos.ingest`. A decoded QR
text is accepted only if it parses under the election's payload format; anything else
is a finding on the logged photo, never a result.

:func:`payload_counts` is also how the verifier re-derives a photo leaf's counts from
its logged payload (:mod:`actas.core.verify.rederive`): one definition for both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actas.core.model import (
    Counts,
    Election,
    Finding,
    Severity,
    Source,
    Submission,
    SubmissionKind,
    TableId,
)
from actas.core.payload import Payload, PayloadFormat
from actas.core.results import rules

__all__ = ["PhotoRead", "Receipt", "payload_counts", "photo_submission"]


@dataclass(frozen=True, slots=True)
class PhotoRead:
    """What was read from one photo, as far as its submission needs it."""

    name: str
    sha256: str
    size: int
    payload: bytes | None = None  # the first QR text that parsed
    format: str = ""
    rejected: tuple[str, ...] = ()  # why each other QR text did not parse
    error: str = ""  # the photo could not be opened safely


@dataclass(frozen=True, slots=True)
class Receipt:
    """How the photo arrived: when, through which channel, from whom, for which table."""

    received_at: str
    channel: str = "photo"
    actor: str = ""
    claimed_table: str | None = None


def payload_counts(election: Election, payload: Payload) -> Counts:
    """The counts a parsed QR payload states."""
    return Counts(
        votes=election.votes_from_options(payload.options),
        options=payload.options,
        null=payload.null,
        invalid=payload.invalid,
    )


def photo_submission(
    photo: PhotoRead, receipt: Receipt, fmt: PayloadFormat, ctx: rules.Context
) -> tuple[Submission, Payload | None]:
    """The submission of one photo, with every finding about it, and its parsed payload."""
    findings: list[Finding] = []
    payload = None
    counts = None
    table: TableId | None = None
    claimed = receipt.claimed_table
    if photo.error:
        findings.append(Finding("photo.unreadable", Severity.ERROR, photo.error))
    elif photo.payload is None:
        findings.append(
            Finding("photo.no_qr", Severity.WARNING, "no readable QR code: needs transcription")
        )
    else:
        payload = fmt.parse(photo.payload)
        table = payload.table_id
        counts = payload_counts(ctx.election, payload)
        findings.extend(rules.check(table, counts, ctx))
    for reason in photo.rejected:
        findings.append(
            Finding("payload.invalid", Severity.WARNING, f"a QR code did not parse: {reason}")
        )
    if claimed and table and claimed != table:
        findings.append(
            Finding(
                "photo.table_mismatch",
                Severity.ERROR,
                f"the photo was sent for table {claimed} but its QR says {table}",
                table,
            )
        )
    meta: dict[str, Any] = {"format": photo.format or "unknown", "size": photo.size}
    if claimed:
        meta["claimed_table"] = claimed
    sub = Submission(
        kind=SubmissionKind.PHOTO,
        source=Source(receipt.channel, photo.name[:200]),
        received_at=receipt.received_at,
        raw=photo.payload or b"",
        table_id=table
        or (TableId(claimed) if claimed and _valid_id(ctx.election, claimed) else None),
        counts=counts,
        findings=tuple(findings),
        blob_sha256=photo.sha256,
        actor=receipt.actor,
        meta=meta,
    )
    return sub, payload


def _valid_id(election: Election, table_id: str) -> bool:
    try:
        election.scheme.split(table_id)
    except ValueError:
        return False
    return True
