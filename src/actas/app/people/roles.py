"""Who may do what: roles, the account as the app sees it, and who may give which role.

An administrator may give every role; a coordinator a witness's, a volunteer's or a
reviewer's. Nobody changes their own account, or one of a role they may not give
(so no lock-out and no escalation).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actas.core.errors import AccessDenied, InputError

__all__ = [
    "GRANTS",
    "Account",
    "NotSignedIn",
    "Role",
    "account_of",
    "check_status_change",
    "may_grant",
    "may_manage",
    "role_of",
]


class Role(enum.StrEnum):
    ADMIN = "administrator"
    COORDINATOR = "coordinator"
    WITNESS = "witness"
    VOLUNTEER = "volunteer"  # a transcriber
    REVIEWER = "reviewer"


# who may invite (or give) which roles
GRANTS: Mapping[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.WITNESS, Role.VOLUNTEER, Role.REVIEWER}),
}


class NotSignedIn(AccessDenied):
    code = "unauthenticated"
    http_status = 401


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    role: Role
    status: str
    actor: str  # pseudonym
    email: str = ""
    status_reason: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"

    def public_json(self) -> dict[str, Any]:
        """What the account itself (or an administrator) sees."""
        return {
            "id": self.id,
            "name": self.name,
            "role": str(self.role),
            "status": self.status,
            "status_reason": self.status_reason,
            "actor": self.actor,
        }


def account_of(r: Any) -> Account:
    """The account of a row of the accounts table."""
    return Account(
        id=r.id,
        name=r.name,
        role=Role(r.role),
        status=r.status,
        actor=r.actor,
        email=r.email or "",
        status_reason=r.status_reason or "",
    )


def check_status_change(status: str, reason: str) -> str:
    """Refuse a status other than active or suspended, or a suspension without a reason
    (the page and the API alike, before anything changes); the reason, stripped."""
    if status not in ("active", "suspended"):
        raise InputError("status is active or suspended")
    reason = reason.strip()
    if status == "suspended" and len(reason) < 3:
        raise InputError("write the reason for suspending the account (3 characters or more)")
    return reason


def role_of(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(Role)}") from None


def may_grant(by: Account, role: Role) -> None:
    if not by.active or role not in GRANTS.get(by.role, frozenset()):
        raise AccessDenied(f"{_a(by.role)} cannot give the role {role}")


def may_manage(by: Account, target: Account) -> None:
    """Someone else's account, of a role ``by`` may give (so no lock-out, no escalation)."""
    if by.id == target.id:
        raise AccessDenied("you cannot change your own account here: ask another administrator")
    if not by.active or target.role not in GRANTS.get(by.role, frozenset()):
        raise AccessDenied(f"{_a(by.role)} cannot change the account of {_a(target.role)}")


def _a(role: Role | str) -> str:
    """'a witness', 'an administrator'."""
    return f"{'an' if str(role)[:1] in 'aeiou' else 'a'} {role}"
