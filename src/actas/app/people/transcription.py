"""Blind double entry: photos without an accepted payload, typed by two volunteers.

Protocol (docs/people.md):

1. every logged photo whose QR gave no payload (or that a witness disputed) gets a
   task; ``sync`` adds tasks for photos ingested by other paths;
2. ``next`` gives a volunteer a photo they have not typed before (the database
   refuses a second assignment of the same photo to the same account) and starts
   the server-side clock; the volunteer sees only the photo;
3. ``submit`` logs the entry as a TRANSCRIPTION leaf (raw = the entry sealed under a
   fresh secret salt, :mod:`actas.core.log.sealed`; actor = pseudonym) with no table and no
   counts: an entry alone never counts, and the bundle withholds its bytes until the
   photo is settled (``people_schema.disclosed_entries``);
4. two entries that agree exactly (table, every card, null votes) accept the photo:
   their counts become versions of the table (channel ``transcription``) and the
   table is reconciled; two that disagree ask for a third entry; three with no
   agreeing pair go to review (:mod:`actas.app.people.review`);
5. once a photo is settled each entry is marked agree/disagree; a volunteer under
   80 % agreement over at least 10 settled entries is suspended automatically, the
   reason recorded and logged as an EVENT leaf.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from actas.adapters.store import people as rows
from actas.adapters.store import photos
from actas.adapters.store.people import Connection
from actas.app.people.accounts import Account, People, Role, log_action
from actas.core.errors import AccessDenied, InputError, NotFound
from actas.core.log.sealed import SALT_LEN
from actas.core.model import Counts, SubmissionKind

__all__ = [
    "ASSIGNMENT_MS",
    "MIN_AGREEMENT",
    "MIN_ENTRIES",
    "Transcription",
    "counts_json",
    "private_photo",
]

ASSIGNMENT_MS = 15 * 60 * 1000  # an untouched assignment is given to someone else after this
MIN_AGREEMENT = 0.8
MIN_ENTRIES = 10
MAX_COUNT = 10_000_000
OPEN, THIRD, REVIEW, ACCEPTED, RESOLVED = "open", "third", "review", "accepted", "resolved"
WANTED = {OPEN: 2, THIRD: 3}


def counts_json(c: Counts) -> str:
    return json.dumps(c.to_json(), separators=(",", ":"), sort_keys=True)


def private_photo(store: Any, sha256: str) -> bool:
    """Whether a photo is private: in the transcription queue and not settled. Its
    volunteers (and reviewers) see it at ``/people/photos/{sha256}``; the portal's public
    ``/photos/{sha256}`` does not serve it until two entries agree or a reviewer decides."""
    with store.read() as conn:
        return rows.photo_private(conn, sha256, (ACCEPTED, RESOLVED))


class Transcription:
    def __init__(self, people: People) -> None:
        self.people = people
        self.svc = people.svc
        self.store = people.svc.store

    def _ms(self) -> int:
        return int(self.people.now() * 1000)

    # ----------------------------------------------------------------- the queue

    def enqueue(
        self, conn: Connection, sha256: str, seq: int, table_id: str | None, reason: str
    ) -> bool:
        """Add a photo to the queue (or reopen a settled one that a witness disputes).

        A file that could not be opened as a picture (``photo.unreadable``: a text file
        named .jpg, a truncated JPEG, a picture over the pixel limit) is not queued:
        no volunteer can read it. It stays logged with its finding for coordinators."""
        if rows.task_state(conn, sha256) is not None:
            return False
        width = rows.photo_width(conn, sha256)
        if width is not None and width <= 0:  # never opened as a picture
            return False
        rows.insert_task(conn, sha256=sha256, seq=seq, table_id=table_id, state=OPEN, reason=reason)
        return True

    def waiting(self, conn: Connection, sha256: str) -> bool:
        """Whether a photo waits for people: queued, in review or escalated, not settled."""
        state = rows.task_state(conn, sha256)
        return state is not None and state not in (ACCEPTED, RESOLVED)

    def sync(self) -> int:
        """Tasks for every logged photo without a payload that has none yet."""
        with self.store.write() as conn:
            found = rows.photos_without_task(conn)
            return sum(self.enqueue(conn, sha, int(seq), t_id, "no_qr") for sha, seq, t_id in found)

    def counts(self) -> dict[str, int]:
        with self.store.read() as conn:
            return rows.task_counts(conn)

    def queue(self) -> dict[str, Any]:
        """How many photos wait for people (queued, wanting a third entry, in review),
        and how long the oldest has waited since its photo was received."""
        with self.store.read() as conn:
            waiting, oldest = photos.waiting_tasks(conn, (OPEN, THIRD, REVIEW))
            states = rows.task_counts(conn)
        age = None
        if oldest is not None:
            received = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
            age = max(0, round(self.people.now() - received.timestamp()))
        return {
            "waiting": waiting,
            "oldest_received_at": oldest,
            "oldest_age_seconds": age,
            "states": states,
        }

    def next(self, account: Account) -> dict[str, Any] | None:
        """The volunteer's open assignment, or a new one; None when the queue is empty."""
        _must(account, Role.VOLUNTEER)
        now = self._ms()
        with self.store.write() as conn:
            mine = rows.open_assignment(conn, account.id, now - ASSIGNMENT_MS)
            if mine is not None:
                return self._assignment_json(conn, mine)
            # a photo with fewer live assignments (submitted, or not yet expired) than
            # its state wants entries, and never given to this volunteer
            sha = rows.next_task(conn, account.id, now - ASSIGNMENT_MS, WANTED)
            if sha is None:
                return None
            # inside the serialised write: the checks above still hold here
            rows.insert_assignment(conn, sha, account.id, now)
            return self._assignment_json(conn, rows.assignment_of(conn, sha, account.id))
        return None

    def _assignment_json(self, conn: Connection, row: Any) -> dict[str, Any]:
        """What a volunteer may know: the photo, the claimed table, the fields to type."""
        task = rows.task(conn, row.photo_sha256)
        election = self.svc.election
        return {
            "assignment": int(row.id),
            "photo": row.photo_sha256,
            "photo_url": f"/people/photos/{row.photo_sha256}",
            "claimed_table": task.table_id,
            "fields": [{"id": o.id, "name": o.name} for o in election.options],
        }

    def may_see_photo(self, account: Account, sha256: str) -> bool:
        """Volunteers see only photos assigned to them; reviewers and coordinators any."""
        if account.role in (Role.REVIEWER, Role.COORDINATOR, Role.ADMIN):
            return True
        with self.store.read() as conn:
            return rows.assigned(conn, sha256, account.id)

    # ----------------------------------------------------------------- entries

    def parse_entry(self, table_id: str, options: Sequence[Any], null: Any) -> dict[str, Any]:
        election = self.svc.election
        try:
            election.scheme.split(table_id)
        except ValueError:
            raise InputError("table: it does not fit this election's scheme") from None
        if len(options) != len(election.options):
            raise InputError(f"expected {len(election.options)} card counts, got {len(options)}")
        values = []
        for v in [*options, null]:
            try:
                n = int(v)
            except (TypeError, ValueError):
                raise InputError("every count is a whole number") from None
            if not 0 <= n <= MAX_COUNT:
                raise InputError("every count is between 0 and 10,000,000")
            values.append(n)
        return {"table": table_id, "options": values[:-1], "null": values[-1]}

    def submit(
        self,
        account: Account,
        assignment_id: int,
        table_id: str,
        options: Sequence[Any],
        null: Any,
    ) -> dict[str, Any]:
        """Log the entry (a TRANSCRIPTION leaf) and settle the photo when it can be."""
        _must(account, Role.VOLUNTEER)
        entry = self.parse_entry(table_id, options, null)
        now = self._ms()
        with self.store.write() as conn:
            row = rows.assignment(conn, assignment_id)
            if row is None or row.account_id != account.id:
                raise NotFound("no such assignment of yours")
            if row.submitted_ms is not None:
                raise InputError("this entry was already submitted")
            ms = now - int(row.assigned_ms)
            if ms > ASSIGNMENT_MS:  # the photo may have been given to someone else since
                raise AccessDenied(
                    "this assignment expired (15 minutes untouched): ask for the next photo"
                )
            body = {
                "v": 1,
                "kind": "transcription",
                "photo": row.photo_sha256,
                **entry,
                "ms": ms,
            }
            # sealed under a secret salt; no table or counts on the submission until
            # the photo is settled, so no page shows which table it typed either
            seq = log_action(
                self.svc,
                conn,
                SubmissionKind.TRANSCRIPTION,
                body,
                account.actor,
                channel="transcription",
                salt=secrets.token_bytes(SALT_LEN),
            )
            rows.record_entry(
                conn,
                assignment_id,
                submitted_ms=now,
                seq=seq,
                table_id=entry["table"],
                entry=json.dumps(entry, sort_keys=True, separators=(",", ":")),
            )
            state, _ = self._settle(conn, row.photo_sha256)
        if state == ACCEPTED:
            self.svc.retally()
        return {"seq": seq, "ms": ms, "state": "submitted"}

    def _settle(self, conn: Connection, sha256: str) -> tuple[str, str | None]:
        task = rows.task(conn, sha256)
        if task.state not in (OPEN, THIRD):
            return str(task.state), None
        entries = rows.entries_of_photo(conn, sha256)
        groups: dict[str, list[Any]] = {}
        for e in entries:
            groups.setdefault(e.entry, []).append(e)
        agreed = next((g for g in groups.values() if len(g) >= 2), None)
        if agreed is not None:
            data = json.loads(agreed[0].entry)
            table = str(data["table"])
            counts = self.counts_of(data)
            rows.set_entry_counts(conn, [int(e.seq) for e in agreed], counts_json(counts), table)
            rows.settle_task(conn, sha256, ACCEPTED, table)
            self.svc._reconcile(conn, [table])
            self.mark(conn, entries, lambda e: e.entry == agreed[0].entry)
            return ACCEPTED, table
        state = THIRD if len(entries) == 2 else REVIEW if len(entries) >= 3 else OPEN
        rows.set_task_state(conn, sha256, state)
        return state, None

    def counts_of(self, entry: dict[str, Any]) -> Counts:
        options = tuple(int(v) for v in entry["options"])
        return Counts(
            votes=self.svc.election.votes_from_options(options),
            options=options,
            null=int(entry["null"]),
        )

    # ----------------------------------------------------------------- agreement

    def mark(self, conn: Connection, entries: Sequence[Any], agrees: Any) -> None:
        """Record agree/disagree for settled entries; suspend poor agreement."""
        for e in entries:
            rows.set_outcome(conn, e.id, "agree" if agrees(e) else "disagree")
        for account_id in sorted({e.account_id for e in entries}):
            judged, agreed = self.agreement(account_id, conn)
            if judged >= MIN_ENTRIES and agreed < MIN_AGREEMENT * judged:
                account = self.people.get(account_id, conn)
                if account.active:
                    reason = (
                        f"agreement {agreed}/{judged} entries, under "
                        f"{int(MIN_AGREEMENT * 100)} %: suspended for a coordinator to look at"
                    )
                    self.people.set_status(account_id, "suspended", reason, None, conn)

    def agreement(self, account_id: str, conn: Connection) -> tuple[int, int]:
        """(settled entries, entries that agreed with the outcome) of a volunteer."""
        by = rows.outcomes(conn, account_id)
        return sum(by.values()), by.get("agree", 0)

    def stats(self, account: Account) -> dict[str, Any]:
        with self.store.read() as conn:
            judged, agreed = self.agreement(account.id, conn)
            avg = rows.mean_entry_ms(conn, account.id)
        return {
            "settled": judged,
            "agreed": agreed,
            "mean_ms": int(avg) if avg is not None else None,
            "status": account.status,
            "status_reason": account.status_reason,
        }


def _must(account: Account, role: Role) -> None:
    if not account.active:
        raise AccessDenied("this account is suspended")
    if account.role is not role and account.role is not Role.ADMIN:
        raise AccessDenied(f"only {'an' if str(role)[:1] in 'aeiou' else 'a'} {role} may do this")
