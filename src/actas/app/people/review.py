"""Review of conflicts: every version of a table side by side, then a logged decision.

A reviewer sees the table's versions (QR payloads, accepted transcriptions,
imported rows), the entries of its photos that did not agree, and the photos.
They resolve — choose one version's counts or type counts — or escalate, always
with a written reason. A resolution is a DECISION leaf (raw = canonical JSON:
table, chosen seq or counts, reason; actor = pseudonym) with the chosen counts;
:mod:`actas.core.results.reconcile` makes the table ``resolved``. Nothing is overwritten: the
versions stay, and a later decision supersedes an earlier one only by coming later.
Nobody reviews a table whose photo they transcribed.

Four eyes: a table in the review queue (a conflict, or photos whose entries never
agreed) is decided by one reviewer; changing any other table (one source, counted,
or decided already) is a *proposal* (an EVENT leaf ``review.proposed``) that takes
effect only when a second reviewer approves it (the DECISION leaf names the proposal
and both actors) or is closed by a rejection (``review.rejected``).

Exactly one effect under races: every step is checked inside the serialised write
that logs it (SQLite ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock), against what
the reviewer saw — ``as_of``, the table's last leaf when the page was opened. A
decision or proposal on a table that moved since is refused (409 ``stale``), and a
proposal approves or rejects once.
"""

from __future__ import annotations

import json
from typing import Any

from actas.adapters.store import people as rows
from actas.adapters.store.people import Connection
from actas.app.people.accounts import Account, People, Role, log_action
from actas.app.people.transcription import RESOLVED, REVIEW, THIRD, Transcription
from actas.core.errors import AccessDenied, ActasError, InputError, NotFound
from actas.core.model import Counts, SubmissionKind
from actas.core.results.reconcile import Status

__all__ = ["REVIEWERS", "Review", "Stale"]

REVIEWERS = (Role.REVIEWER, Role.COORDINATOR, Role.ADMIN)
ESCALATED = "escalated"
PROPOSED, REJECTED = "review.proposed", "review.rejected"


class Stale(ActasError):
    """The table changed, or the proposal was settled, since the reviewer looked."""

    code = "stale"
    http_status = 409


class Review:
    def __init__(self, people: People) -> None:
        self.people = people
        self.svc = people.svc
        self.store = people.svc.store
        self.transcription = Transcription(people)

    def queue(self) -> list[dict[str, Any]]:
        """Tables that need a reviewer: conflicts, photos whose entries never agreed, and
        proposals waiting for a second reviewer."""
        with self.store.read() as conn:
            return self._queue(conn)

    def _queue(self, conn: Connection, only: str | None = None) -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in self.store.table_results(conn, status=str(Status.CONFLICT)):
            out[r.table_id] = {"table_id": r.table_id, "reason": "conflict"}
        for sha, claimed, state in rows.tasks_in(conn, (REVIEW, ESCALATED)):
            typed = rows.tables_typed_from(conn, sha)
            for table in sorted({claimed, *typed} - {None}):
                out.setdefault(str(table), {"table_id": table, "reason": "entries"})
                if state == ESCALATED:
                    out[str(table)]["escalated"] = True
        tables = [only] if only is not None else rows.tables_with_events_on(conn, "review")
        for table in tables:
            if self._open_proposals(self.store.submissions_of(table, conn)):
                out.setdefault(table, {"table_id": table, "reason": "proposal"})
        return [out[k] for k in sorted(out) if only is None or k == only]

    def _needs_review(self, conn: Connection, table_id: str) -> bool:
        """Whether one reviewer may decide the table: a conflict, or photos whose entries
        disagree (in review, escalated, or waiting for a third entry)."""
        if any(q["reason"] != "proposal" for q in self._queue(conn, table_id)):
            return True
        photos = self._photos_of(conn, table_id)
        return bool(photos and rows.tasks_of_photos_in(conn, photos, (THIRD,)))

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
            return self._view(conn, reviewer, table_id)

    def _view(self, conn: Connection, reviewer: Account, table_id: str) -> dict[str, Any]:
        photos = self._photos_of(conn, table_id)
        self._check_not_own(conn, reviewer, photos)
        subs = self.store.submissions_of(table_id, conn)
        result = self.store.table_result(table_id, conn)
        entries = rows.entries_of_table(conn, table_id, photos)
        counted = {s.seq for s in subs if s.counts is not None}
        out: dict[str, Any] = {
            "table_id": table_id,
            "status": str(result.status) if result else None,
            "current": result.counts.to_json() if result and result.counts else None,
            "as_of": _last_leaf(subs),
            "needs_review": self._needs_review(conn, table_id),
            "versions": [
                {
                    "seq": s.seq,
                    "kind": s.kind,
                    "channel": s.channel,
                    "actor": s.actor,
                    **_columns(s.counts),
                }
                for s in subs
                if s.counts is not None
            ],
            "entries": [
                {
                    "seq": int(e.seq),
                    "photo": e.photo_sha256,
                    **_columns(self.transcription.counts_of(json.loads(e.entry))),
                    "table": json.loads(e.entry)["table"],
                }
                for e in entries
                if int(e.seq) not in counted
            ],
            "proposals": [
                {**p, **_columns(Counts.from_json(p["counts"]))}
                for p in self._open_proposals(subs).values()
            ],
            "photos": [{"sha256": p, "url": f"/people/photos/{p}"} for p in photos],
            "candidates": [{"id": c.id, "name": c.name} for c in self.svc.election.candidates],
            "options": [{"id": o.id, "name": o.name} for o in self.svc.election.options],
        }
        rows_shown = [*out["versions"], *out["entries"], *out["proposals"]]
        # the page compares cards when every version has them, else votes per candidate
        out["by_option"] = all(r["by_option"] is not None for r in rows_shown)
        return out

    def _open_proposals(self, subs: list[Any]) -> dict[int, dict[str, Any]]:
        """The table's proposals that no decision approved and no rejection closed."""
        found: dict[int, dict[str, Any]] = {}
        closed: set[int] = set()
        for s in subs:
            if s.kind not in ("event", "decision"):
                continue
            try:
                body = json.loads(s.raw)
            except ValueError:
                continue
            if not isinstance(body, dict):
                continue
            if s.kind == "event" and body.get("event") == PROPOSED:
                found[s.seq] = {
                    "seq": s.seq,
                    "actor": s.actor,
                    "reason": body.get("reason", ""),
                    "counts": body.get("counts_json"),
                    "chosen_seq": body.get("chosen_seq"),
                }
            elif isinstance(body.get("proposal"), int):
                closed.add(body["proposal"])
        return {k: v for k, v in found.items() if k not in closed and v["counts"] is not None}

    def resolve(
        self,
        reviewer: Account,
        table_id: str,
        reason: str,
        *,
        chosen_seq: int | None = None,
        options: list[Any] | None = None,
        null: Any = None,
        as_of: int | None = None,
    ) -> dict[str, Any]:
        """Decide a table in the review queue (a DECISION leaf that gives the table its
        counts), or propose a change to any other table (an EVENT leaf a second reviewer
        approves). ``as_of`` is the table's last leaf the reviewer saw (the view's): a
        table that moved since is refused, so 50 equal requests make one effect."""
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        reason = _reason(reason, "the decision")
        if as_of is None:
            as_of = int(self.view(reviewer, table_id)["as_of"])
        with self.store.write() as conn:
            view = self._view(conn, reviewer, table_id)
            if view["as_of"] != as_of:
                raise Stale(f"table {table_id} changed since you opened it: reload and look again")
            body: dict[str, Any] = {"v": 1, "kind": "decision", "table": table_id}
            counts = self._chosen(view, body, chosen_seq, options, null)
            body["reason"] = reason
            if not view["needs_review"]:  # four eyes: a proposal, a second reviewer decides
                if view["current"] is not None and Counts.from_json(view["current"]) == counts:
                    raise Stale(f"table {table_id} has these counts already")
                body = {"event": PROPOSED, **body, "counts_json": counts.to_json()}
                del body["kind"]
                seq = log_action(
                    self.svc,
                    conn,
                    SubmissionKind.EVENT,
                    body,
                    reviewer.actor,
                    table_id=table_id,
                    channel="review",
                )
                return {"seq": seq, "table_id": table_id, "status": "proposed"}
            seq = self._decide(conn, reviewer, table_id, body, counts)
        self.svc.retally()
        return {"seq": seq, "table_id": table_id, "status": "resolved"}

    def _chosen(
        self,
        view: dict[str, Any],
        body: dict[str, Any],
        chosen_seq: int | None,
        options: list[Any] | None,
        null: Any,
    ) -> Counts:
        table_id = view["table_id"]
        if chosen_seq is not None:
            known = {v["seq"]: v["counts"] for v in view["versions"] if v["kind"] != "decision"}
            known.update({e["seq"]: e["counts"] for e in view["entries"]})
            if chosen_seq not in known:
                raise InputError(f"leaf {chosen_seq} is not a version of table {table_id}")
            body["chosen_seq"] = chosen_seq
            return Counts.from_json(known[chosen_seq])
        if options is not None:
            entry = self.transcription.parse_entry(table_id, options, null)
            body["counts"] = {"options": entry["options"], "null": entry["null"]}
            return self.transcription.counts_of(entry)
        raise InputError("choose a version or type the counts")

    def _decide(
        self,
        conn: Connection,
        reviewer: Account,
        table_id: str,
        body: dict[str, Any],
        counts: Counts,
    ) -> int:
        """The DECISION leaf, the table reconciled and its waiting photos settled."""
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
        return seq

    def approve(
        self, reviewer: Account, table_id: str, proposal: int, reason: str
    ) -> dict[str, Any]:
        """A second reviewer approves a proposal: the DECISION leaf (naming the proposal
        and its proposer) that gives the table the proposed counts. Once only."""
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        reason = _reason(reason, "the approval")
        with self.store.write() as conn:
            found = self._proposal(conn, reviewer, table_id, proposal)
            if found["actor"] == reviewer.actor:
                raise AccessDenied("a second reviewer approves a proposal, not its author")
            counts = Counts.from_json(found["counts"])
            body: dict[str, Any] = {"v": 1, "kind": "decision", "table": table_id}
            if found["chosen_seq"] is not None:
                body["chosen_seq"] = found["chosen_seq"]
            else:
                body["counts"] = {"options": list(counts.options or ()), "null": counts.null}
            body.update(
                proposal=proposal,
                proposed_by=found["actor"],
                proposal_reason=found["reason"],
                reason=reason,
            )
            seq = self._decide(conn, reviewer, table_id, body, counts)
        self.svc.retally()
        return {"seq": seq, "table_id": table_id, "status": "resolved", "proposal": proposal}

    def reject(
        self, reviewer: Account, table_id: str, proposal: int, reason: str
    ) -> dict[str, Any]:
        """Close a proposal without effect (an EVENT leaf); its author may withdraw it."""
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        reason = _reason(reason, "the rejection")
        with self.store.write() as conn:
            self._proposal(conn, reviewer, table_id, proposal)
            seq = log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": REJECTED, "table": table_id, "proposal": proposal, "reason": reason},
                reviewer.actor,
                table_id=table_id,
                channel="review",
            )
        return {"seq": seq, "table_id": table_id, "status": "rejected", "proposal": proposal}

    def _proposal(
        self, conn: Connection, reviewer: Account, table_id: str, proposal: int
    ) -> dict[str, Any]:
        """The open proposal, checked inside the write that settles it."""
        self._check_not_own(conn, reviewer, self._photos_of(conn, table_id))
        subs = self.store.submissions_of(table_id, conn)
        found = self._open_proposals(subs).get(proposal)
        if found is None:
            if any(s.seq == proposal for s in subs):
                raise Stale(f"proposal {proposal} was approved or rejected already")
            raise NotFound(f"no proposal {proposal} for table {table_id}")
        return found

    def escalate(
        self, reviewer: Account, table_id: str, reason: str, as_of: int | None = None
    ) -> dict[str, Any]:
        """Hand the table to a coordinator (an EVENT leaf with the reason); ``as_of`` as
        for :meth:`resolve`, so one escalation is logged however often it is sent."""
        _must_review(reviewer)
        _valid(self.svc.election, table_id)
        reason = _reason(reason, "escalating")
        if as_of is None:
            as_of = int(self.view(reviewer, table_id)["as_of"])
        with self.store.write() as conn:
            photos = self._photos_of(conn, table_id)
            self._check_not_own(conn, reviewer, photos)
            if _last_leaf(self.store.submissions_of(table_id, conn)) != as_of:
                raise Stale(f"table {table_id} changed since you opened it: reload and look again")
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


def _columns(counts: Counts | None) -> dict[str, Any]:
    """A version's counts as the page shows them: votes per candidate (every source has
    them), votes per ballot option (None for a source without, e.g. an imported row),
    null votes (None when not known), and the counts themselves."""
    if counts is None:
        return {"counts": None, "votes": [], "by_option": None, "null": None}
    return {
        "counts": counts.to_json(),
        "votes": list(counts.votes),
        "by_option": list(counts.options) if counts.options is not None else None,
        "null": counts.null,
    }


def _last_leaf(subs: list[Any]) -> int:
    """The table's last leaf (-1 before any): what a reviewer's page was based on."""
    return max((int(s.seq) for s in subs), default=-1)


def _reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not 3 <= len(reason) <= 2000:
        raise InputError(f"write the reason for {what} (3 to 2000 characters)")
    return reason


def _must_review(account: Account) -> None:
    if not account.active or account.role not in REVIEWERS:
        raise AccessDenied("only a reviewer may do this")


def _valid(election: Any, table_id: str) -> None:
    try:
        election.scheme.split(table_id)
    except ValueError:  # a 400 like every malformed id, and the input is not echoed
        raise InputError("malformed table id: it does not fit this election's scheme") from None
