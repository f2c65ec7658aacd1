"""The bundle's most frequent canonical JSON texts, written directly. Pure.

A million-table bundle has a million ``submissions.jsonl`` lines and a million
``tables.json`` elements; the verifier renders each one it expects and
compares bytes. :func:`actas.core.bundle.format.dumps` of :func:`actas.core.bundle.format.submission_json`
(or ``table_json``) builds a dict per line and has ``json`` sort its keys;
:class:`LineRenderer` writes the same text with the keys already in order and the
candidate and option ids sorted once per election. Property tests hold the two
to the same bytes (``tests/property/test_render_props.py``); a line with
findings is handed to the general route. Counts are integers (every reader
gives integers; ``bundle.counts_from_json`` refuses anything else).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _str  # what ensure_ascii=False writes
from typing import Any

from actas.core.bundle import format as b
from actas.core.model import Counts, Election, Finding
from actas.core.results.reconcile import TableResult

__all__ = ["LineRenderer"]


class LineRenderer:
    """Canonical text of counts, ``submissions.jsonl`` lines and ``tables.json`` elements."""

    def __init__(self, election: Election) -> None:
        self.election = election
        cands = sorted((c.id, i) for i, c in enumerate(election.candidates))
        self._votes = tuple((_str(cid) + ":", i) for cid, i in cands)
        opts = sorted((o.id, i) for i, o in enumerate(election.options))
        self._options = tuple((_str(oid) + ":", i) for oid, i in opts)
        # a region's candidates, in election order: the constant text around share and votes
        self._cand_ids = [c.id for c in election.candidates]
        self._cand_text = tuple(
            (
                f'{{"id":{_str(c.id)},"name":{_str(c.name)},"share":',
                f',"short":{_str(c.short)},"votes":',
            )
            for c in election.candidates
        )

    # ----------------------------------------------------------------- counts

    def counts(self, c: Counts) -> str:
        """``dumps(counts_to_json(election, c))``."""
        votes, options = c.votes, c.options
        extra = (c.ballots, c.invalid, c.null, c.registered, c.valid_reported)
        if len(votes) != len(self._votes) or (
            options is not None and len(options) != len(self._options)
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
        channels = ",".join([_str(x) for x in r.channels])
        differing = ",".join([_str(x) for x in r.differing])
        seqs = ",".join(map(str, r.seqs))
        return (
            f'{{"agreeing":{r.agreeing},"channels":[{channels}],"counts":{counts},'
            f'"differing":[{differing}],"seqs":[{seqs}],"status":{_str(str(r.status))},'
            f'"table_id":{_str(r.table_id)},"valid":{valid}}}'
        )

    # ----------------------------------------------------------------- results.json

    def region(self, obj: Mapping[str, Any]) -> str:
        """``dumps(obj)`` for a region's result (:func:`actas.core.results.tally.tally_to_json`)."""
        tables, registered, candidates = (
            obj.get("tables"),
            obj.get("registered"),
            obj.get("candidates"),
        )
        if (
            obj.keys() != _REGION
            or not isinstance(tables, dict)
            or tables.keys() != _TABLES
            or not isinstance(registered, dict)
            or registered.keys() != _REGISTERED
            or not isinstance(candidates, list)
            or not all(isinstance(c, dict) and c.keys() == _CANDIDATE for c in candidates)
        ):
            return b.dumps(obj)
        if [c["id"] for c in candidates] == self._cand_ids and all(
            c["name"] == cand.name and c["short"] == cand.short
            for c, cand in zip(candidates, self.election.candidates, strict=True)
        ):
            cands = ",".join(
                [
                    f"{head}{_value(c['share'])}{mid}{_value(c['votes'])}}}"
                    for (head, mid), c in zip(self._cand_text, candidates, strict=True)
                ]
            )
        else:
            cands = ",".join(
                [
                    f'{{"id":{_value(c["id"])},"name":{_value(c["name"])},'
                    f'"share":{_value(c["share"])},"short":{_value(c["short"])},'
                    f'"votes":{_value(c["votes"])}}}'
                    for c in candidates
                ]
            )
        t, r = tables, registered
        return (
            f'{{"candidates":[{cands}],"code":{_value(obj["code"])},'
            f'"election":{_value(obj["election"])},"level":{_value(obj["level"])},'
            f'"name":{_value(obj["name"])},"null":{_value(obj["null"])},'
            f'"registered":{{"coverage":{_value(r["coverage"])},"covered":{_value(r["covered"])},'
            f'"expected":{_value(r["expected"])},"tables_known":{_value(r["tables_known"])}}},'
            f'"tables":{{"conflict":{_value(t["conflict"])},"counted":{_value(t["counted"])},'
            f'"coverage":{_value(t["coverage"])},"expected":{_value(t["expected"])},'
            f'"reported":{_value(t["reported"])}}},'
            f'"turnout":{_value(obj["turnout"])},"valid":{_value(obj["valid"])}}}'
        )


_REGION = frozenset(
    ("election", "level", "code", "name", "tables", "registered", "turnout", "valid", "null")
) | {"candidates"}
_TABLES = frozenset(("counted", "reported", "conflict", "expected", "coverage"))
_REGISTERED = frozenset(("covered", "tables_known", "expected", "coverage"))
_CANDIDATE = frozenset(("id", "name", "short", "votes", "share"))


def _value(v: Any) -> str:
    """A scalar as canonical JSON: strings escaped, integers and floats as ``repr``."""
    if v is None:
        return "null"
    t = type(v)
    if t is str:
        return str(_str(v))
    if t is int or t is float:
        return repr(v)
    return b.dumps(v)
