"""People: accounts and roles, witness uploads, blind double-entry transcription, review.

    roles.py          roles, the account value, who may give which role
    accounts.py       accounts, invitations and pseudonyms (``People``)
    signin.py         passwords, sessions, API tokens
    limits.py         in-process token buckets (per account, per address)
    transcription.py  the queue of photos without an accepted payload; blind entries
    review.py         conflicts side by side; decisions and escalations
    agreement.py      how many independent sources agree on a table (pure)
    cli.py            ``actas users …``

Every human action is a leaf whose actor is a pseudonym (``p-`` + 12 hex digits of
an HMAC of the account id under the server secret), never a name or an e-mail.
Their SQL is :mod:`actas.adapters.store.people`. See docs/people.md.
"""

from __future__ import annotations

from actas.app.people.accounts import Account, NotSignedIn, People, RateLimited, Role

__all__ = ["Account", "NotSignedIn", "People", "RateLimited", "Role"]
