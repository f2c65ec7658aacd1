"""Rows read again, in picklable chunks a mapper can hand to several cores. Pure.

Each :class:`Job` is one logged row with its published line; :func:`reread_chunk`
reads a :class:`Chunk` of them again with their import's binding
(:mod:`actas.core.verify.replay`) and says, with one byte comparison, whether the
published line is exactly the one the reading renders.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from actas.core.bundle.render import LineRenderer
from actas.core.model import Election
from actas.core.results import rules
from actas.core.verify import replay

__all__ = ["CHUNK", "Chunk", "Job", "JobResult", "Mapper", "reread_chunk"]

#: Rows re-read per task handed to the mapper.
CHUNK = 4000


class Job(NamedTuple):
    """One logged row to read again, with its published line to compare."""

    seq: int
    binding: int  # index into Chunk.bindings
    raw: bytes
    row: int
    channel: str
    blob: str
    raw_sha256: str
    large: bool  # not inline in the leaf (too large, or a transcription): the line carries the raw bytes
    line: bytes | None


@dataclass(frozen=True, slots=True)
class Chunk:
    election: Election
    bindings: tuple[replay.Binding, ...]
    jobs: tuple[Job, ...]
    contexts: tuple[rules.Context, ...] = ()  # the rules' context of each binding (default: none)


#: (leaf index, reading or None, whether the published line is exactly the expected one, error)
JobResult = tuple[int, "replay.Reading | None", bool, str]


#: ``map(function, tasks)``: the builtin, or a process pool's ``map`` to use several cores.
#: Every function handed to it is a module-level function of picklable arguments.
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


def reread_chunk(chunk: Chunk) -> list[JobResult]:
    """Read a chunk of rows again and compare each with its published line (picklable)."""
    plain = rules.Context(chunk.election)
    contexts = chunk.contexts
    render = LineRenderer(chunk.election).submission
    out: list[JobResult] = []
    for job in chunk.jobs:
        context = contexts[job.binding] if contexts else plain
        try:
            reading = replay.reread(chunk.bindings[job.binding], job.raw, job.row, context)
        except ValueError as exc:
            out.append((job.seq, None, False, str(exc)))
            continue
        if job.line is not None and job.line == _render(render, job, reading):
            if reading.findings:  # matched: not needed any more (and need not travel back)
                reading = replay.Reading(reading.table_id, reading.counts, (), reading.region_names)
            out.append((job.seq, reading, True, ""))
        else:
            out.append((job.seq, reading, False, ""))
    return out


def _render(render: Callable[..., str], job: Job, reading: replay.Reading) -> bytes:
    """The line of ``submissions.jsonl`` the reading gives (``LineRenderer.submission``)."""
    text = render(
        seq=job.seq,
        kind="record",
        channel=job.channel,
        table_id=reading.table_id,
        counts=reading.counts,
        findings=reading.findings,
        blob_sha256=job.blob,
        raw_sha256=job.raw_sha256,
        raw_b64=base64.b64encode(job.raw).decode("ascii") if job.large else None,
    )
    return text.encode("utf-8")
