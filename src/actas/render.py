"""The bundle's most frequent canonical JSON texts, written directly. Pure.

A million-table bundle has a million ``submissions.jsonl`` lines and a million
``tables.json`` elements; the verifier renders each one it expects and
compares bytes. :func:`actas.bundle.dumps` of :func:`actas.bundle.submission_json`
(or ``table_json``) builds a dict per line and has ``json`` sort its keys;
:class:`Renderer` writes the same text with the keys already in order and the
candidate and option ids sorted once per election. Property tests hold the two
to the same bytes (``tests/property/test_render_props.py``); anything unusual
(a finding, a value that is not an integer) is handed to the general route.
"""

from __future__ import annotations

from collections.abc import Sequence
from json.encoder import encode_basestring as _str  # what ensure_ascii=False writes
from typing import Any

from . import bundle as b
from .model import Counts, Election, Finding
from .reconcile import TableResult

__all__ = ["Renderer"]


def _plain(values: Sequence[Any]) -> bool:
    return all(type(v) is int for v in values)


class Renderer:
    """Canonical text of counts, ``submissions.jsonl`` lines and ``tables.json`` elements."""

    def __init__(self, election: Election) -> None:
        self.election = election
        cands = sorted((c.id, i) for i, c in enumerate(election.candidates))
        self._votes = tuple((_str(cid) + ":", i) for cid, i in cands)
        opts = sorted((o.id, i) for i, o in enumerate(election.options))
        self._options = tuple((_str(oid) + ":", i) for oid, i in opts)

    # ----------------------------------------------------------------- counts

    def counts(self, c: Counts) -> str:
        """``dumps(counts_to_json(election, c))``."""
        votes, options = c.votes, c.options
        extra = (c.ballots, c.invalid, c.null, c.registered, c.valid_reported)
        if (
            len(votes) != len(self._votes)
            or not _plain(votes)
            or (options is not None and (len(options) != len(self._options) or not _plain(options)))
            or not all(v is None or type(v) is int for v in extra)
        ):
            return b.dumps(b.counts_to_json(self.election, c))
        ballots, invalid, null, registered, valid_reported = extra
        out = []
        if ballots is not None:
            out.append(f'"ballots":{ballots}')
        if invalid is not None:
            out.append(f'"invalid":{invalid}')
        if null is not None:
            out.append(f'"null":{null}')
        if options is not None:
            out.append('"options":{' + ",".join([k + str(options[i]) for k, i in self._options]))
            out[-1] += "}"
        if registered is not None:
            out.append(f'"registered":{registered}')
        if valid_reported is not None:
            out.append(f'"valid_reported":{valid_reported}')
        out.append('"votes":{' + ",".join([k + str(votes[i]) for k, i in self._votes]) + "}")
        return "{" + ",".join(out) + "}"

    # ----------------------------------------------------------------- submissions.jsonl

    def submission(
        self,
        *,
        seq: int,
        kind: str,
        channel: str,
        table_id: str | None,
        counts: Counts | None,
        findings: Sequence[Finding],
        blob_sha256: str,
        raw_sha256: str,
        raw_b64: str | None,
    ) -> str:
        """``dumps(submission_json(...))`` with the same arguments."""
        if findings:
            obj = b.submission_json(
                self.election,
                seq=seq,
                kind=kind,
                channel=channel,
                table_id=table_id,
                counts=counts,
                findings=findings,
                blob_sha256=blob_sha256,
                raw_sha256=raw_sha256,
                raw_b64=raw_b64,
            )
            return b.dumps(obj)
        blob = _str(blob_sha256) if blob_sha256 else "null"
        text = "null" if counts is None else self.counts(counts)
        raw = "" if raw_b64 is None else f'"raw":{_str(raw_b64)},'
        tid = "null" if table_id is None else _str(table_id)
        return (
            f'{{"blob_sha256":{blob},"channel":{_str(channel)},"counts":{text},'
            f'"findings":[],"kind":{_str(kind)},{raw}"raw_sha256":{_str(raw_sha256)},'
            f'"seq":{int(seq)},"table_id":{tid}}}'
        )

    # ----------------------------------------------------------------- tables.json

    def table(self, r: TableResult) -> str:
        """``dumps(table_json(election, r))``."""
        c = r.counts
        if c is None:
            counts, valid = "null", "null"
        else:
            counts, valid = self.counts(c), str(c.valid)
        if not _plain(r.seqs) or type(r.agreeing) is not int:
            return b.dumps(b.table_json(self.election, r))
        channels = ",".join([_str(x) for x in r.channels])
        differing = ",".join([_str(x) for x in r.differing])
        seqs = ",".join(map(str, r.seqs))
        return (
            f'{{"agreeing":{r.agreeing},"channels":[{channels}],"counts":{counts},'
            f'"differing":[{differing}],"seqs":[{seqs}],"status":{_str(str(r.status))},'
            f'"table_id":{_str(r.table_id)},"valid":{valid}}}'
        )
