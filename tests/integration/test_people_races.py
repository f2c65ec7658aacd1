"""Exactly one effect under races: 50 parallel requests at a single-use invitation and at
a review decision, each on SQLite and on PostgreSQL (``db_url``; PostgreSQL only when
ACTAS_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from actas.adapters.store import people_schema as ps
from actas.app.people import People, Role
from actas.app.service import Service
from actas.core.errors import ActasError
from peoplekit import N, demo_service, race


@pytest.fixture
def svc(tmp_path: Path, db_url: str) -> Iterator[Service]:
    s = demo_service(tmp_path / "home", db_url)
    yield s
    s.close()


def test_one_invitation_makes_exactly_one_account_under_50_parallel_accepts(
    svc: Service,
) -> None:
    people = People(svc)
    coordinator, _ = people.add("coord", Role.COORDINATOR, "correct horse coord")
    token = people.invite(Role.WITNESS, coordinator)
    made, refused = race(N, lambda i: people.accept(token, f"witness {i}", "correct horse w"))
    assert len(made) == 1, [a.name for a in made]
    assert len(refused) == N - 1
    assert all("invitation" in str(e) for e in refused)
    witnesses = [a for a in people.accounts() if a.role is Role.WITNESS]
    assert [a.id for a in witnesses] == [made[0].id]
    assert witnesses[0].active
    with svc.store.read() as conn:
        used_by = conn.execute(select(ps.invitations.c.used_by)).scalars().all()
        created = conn.execute(
            select(func.count()).select_from(ps.accounts).where(ps.accounts.c.role == "witness")
        ).scalar()
    assert used_by == [made[0].id]
    assert created == 1
    # a refused accept (the name is taken) leaves the invitation usable
    other = people.invite(Role.WITNESS, coordinator)
    with pytest.raises(ActasError, match="taken"):
        people.accept(other, made[0].name, "correct horse w")
    assert people.accept(other, "someone else", "correct horse w").active


def test_an_expired_invitation_is_refused_at_the_write(svc: Service) -> None:
    clock = [1_000_000.0]
    people = People(svc, now=lambda: clock[0])
    coordinator, _ = people.add("coord", Role.COORDINATOR, "correct horse coord")
    token = people.invite(Role.WITNESS, coordinator, seconds=60)
    clock[0] += 61
    with pytest.raises(ActasError, match="expired"):
        people.accept(token, "late", "correct horse w")
    assert [a.name for a in people.accounts()] == ["coord"]
