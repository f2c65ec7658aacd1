"""Review of conflicts: every version of a table side by side, then a logged decision.

A reviewer sees the table's versions (QR payloads, accepted transcriptions,
imported rows), the entries of its photos that did not agree, and the photos.
They resolve — choose one version's counts or type counts — or escalate, always
with a written reason. A resolution is a DECISION leaf (raw = canonical JSON:
table, chosen seq or counts, reason; actor = pseudonym) with the chosen counts;
:mod:`actas.core.results.reconcile` makes the table ``resolved``. Nothing is overwritten: the
versions stay, and a later decision supersedes an earlier one only by coming later.
Nobody reviews a table whose photo they transcribed.
"""

from __future__ import annotations

import json
from typing import Any

from actas.adapters.store import people as rows
from actas.adapters.store.people import Connection
from actas.app.people.accounts import Account, People, Role, log_action
from actas.app.people.transcription import RESOLVED, REVIEW, THIRD, Transcription
from actas.core.errors import AccessDenied, InputError
from actas.core.model import Counts, SubmissionKind
from actas.core.results.reconcile import Status

__all__ = ["REVIEWERS", "Review"]

REVIEWERS = (Role.REVIEWER, Role.COORDINATOR, Role.ADMIN)
ESCALATED = "escalated"


class Review:
    def __init__(self, people: People) -> None:
        self.people = people
        self.svc = people.svc
        self.store = people.svc.store
        self.transcription = Transcription(people)

    def queue(self) -> list[dict[str, Any]]:
        """Tables that need a reviewer: conflicts, and photos whose entries never agreed."""
        out: dict[str, dict[str, Any]] = {}
        with self.store.read() as conn:
            for r in self.store.table_results(conn, status=str(Status.CONFLICT)):
                out[r.table_id] = {"table_id": r.table_id, "reason": "conflict"}
            for sha, claimed, state in rows.tasks_in(conn, (REVIEW, ESCALATED)):
                typed = rows.tables_typed_from(conn, sha)
                for table in sorted({claimed, *typed} - {None}):
                    out.setdefault(str(table), {"table_id": table, "reason": "entries"})
                    if state == ESCALATED:
                        out[str(table)]["escalated"] = True
        return [out[k] for k in sorted(out)]

    def _photos_of(self, conn: Connection, table_id: str) -> list[str]:
        return rows.photos_of_table(conn, table_id)

    def _check_not_own(self, conn: Connection, reviewer: Account, photos: list[str]) -> None:
        if not photos:
            return
        if rows.transcribed_any(conn, reviewer.id, photos):
            raise AccessDenied("you transcribed a photo of this table: someone else reviews it")

    def view(self, reviewer: Account, table_id: str) -> dict[str, Any]:
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        with self.store.read() as conn:
            photos = self._photos_of(conn, table_id)
            self._check_not_own(conn, reviewer, photos)
            subs = self.store.submissions_of(table_id, conn)
            result = self.store.table_result(table_id, conn)
            entries = rows.entries_of_table(conn, table_id, photos)
        counted = {s.seq for s in subs if s.counts is not None}
        return {
            "table_id": table_id,
            "status": str(result.status) if result else None,
            "versions": [
                {
                    "seq": s.seq,
                    "kind": s.kind,
                    "channel": s.channel,
                    "actor": s.actor,
                    "counts": s.counts.to_json() if s.counts else None,
                }
                for s in subs
                if s.counts is not None
            ],
            "entries": [
                {
                    "seq": int(e.seq),
                    "photo": e.photo_sha256,
                    "counts": self.transcription.counts_of(json.loads(e.entry)).to_json(),
                    "table": json.loads(e.entry)["table"],
                }
                for e in entries
                if int(e.seq) not in counted
            ],
            "photos": [{"sha256": p, "url": f"/people/photos/{p}"} for p in photos],
            "options": [{"id": o.id, "name": o.name} for o in self.svc.election.options],
        }

    def resolve(
        self,
        reviewer: Account,
        table_id: str,
        reason: str,
        *,
        chosen_seq: int | None = None,
        options: list[Any] | None = None,
        null: Any = None,
    ) -> dict[str, Any]:
        """Log a DECISION leaf that gives the table its counts; returns its seq."""
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        reason = reason.strip()
        if not 3 <= len(reason) <= 2000:
            raise InputError("write the reason for the decision (3 to 2000 characters)")
        view = self.view(reviewer, table_id)
        body: dict[str, Any] = {"v": 1, "kind": "decision", "table": table_id, "reason": reason}
        if chosen_seq is not None:
            known = {v["seq"]: v["counts"] for v in view["versions"] if v["kind"] != "decision"}
            known.update({e["seq"]: e["counts"] for e in view["entries"]})
            if chosen_seq not in known:
                raise InputError(f"leaf {chosen_seq} is not a version of table {table_id}")
            counts = Counts.from_json(known[chosen_seq])
            body["chosen_seq"] = chosen_seq
        elif options is not None:
            entry = self.transcription.parse_entry(table_id, options, null)
            counts = self.transcription.counts_of(entry)
            body["counts"] = {"options": entry["options"], "null": entry["null"]}
        else:
            raise InputError("choose a version or type the counts")
        with self.store.write() as conn:
            seq = log_action(
                self.svc,
                conn,
                SubmissionKind.DECISION,
                body,
                reviewer.actor,
                table_id=table_id,
                counts=counts,
                channel="review",
            )
            self.svc._reconcile(conn, [table_id])
            photos = self._photos_of(conn, table_id)
            # the decision settles the table's photos that were waiting for people: in
            # review, escalated, or still asking a third volunteer (the reviewer saw both)
            for sha in rows.tasks_of_photos_in(conn, photos, (THIRD, REVIEW, ESCALATED)):
                rows.settle_task(conn, sha, RESOLVED, table_id)
                self.transcription.mark(
                    conn,
                    rows.entries_of_photo(conn, sha),
                    lambda e: (
                        json.loads(e.entry)["table"] == table_id
                        and self.transcription.counts_of(json.loads(e.entry)) == counts
                    ),
                )
        self.svc.retally()
        return {"seq": seq, "table_id": table_id, "status": "resolved"}

    def escalate(self, reviewer: Account, table_id: str, reason: str) -> dict[str, Any]:
        """Hand the table to a coordinator (an EVENT leaf with the reason)."""
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        reason = reason.strip()
        if not 3 <= len(reason) <= 2000:
            raise InputError("write the reason for escalating (3 to 2000 characters)")
        with self.store.write() as conn:
            photos = self._photos_of(conn, table_id)
            self._check_not_own(conn, reviewer, photos)
            seq = log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": "review.escalated", "table": table_id, "reason": reason},
                reviewer.actor,
                table_id=table_id,
            )
            if photos:
                rows.update_tasks_of_photos(conn, photos, REVIEW, ESCALATED)
        return {"seq": seq, "table_id": table_id, "status": "escalated"}


def _must_review(account: Account) -> None:
    if not account.active or account.role not in REVIEWERS:
        raise AccessDenied("only a reviewer may do this")


def _valid(election: Any, table_id: str) -> None:
    try:
        election.scheme.split(table_id)
    except ValueError:  # a 400 like every malformed id, and the input is not echoed
        raise InputError("malformed table id: it does not fit this election's scheme") from None
