"""People: accounts and roles, witness uploads, blind double-entry transcription, review.

    accounts.py       roles, accounts, invitations, sessions, API tokens, pseudonyms
    limits.py         in-process token buckets (per account, per address)
    transcription.py  the queue of photos without an accepted payload; blind entries
    review.py         conflicts side by side; decisions and escalations
    agreement.py      how many independent sources agree on a table (pure)
    cli.py            ``actas users …``

Every human action is a leaf whose actor is a pseudonym (``p-`` + 12 hex digits of
an HMAC of the account id under the server secret), never a name or an e-mail.
See docs/people.md.
"""

from __future__ import annotations

from actas.app.people.accounts import Account, NotSignedIn, People, RateLimited, Role

__all__ = ["Account", "NotSignedIn", "People", "RateLimited", "Role"]
