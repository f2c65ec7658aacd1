"""Issue 19, the smaller people items: an assignment older than its expiry is refused,
signed-in callers are limited per account (not per address: many witnesses behind one
NAT), and X-Forwarded-For is ignored unless a trusted proxy is configured."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from actas.app.people import People, Role
from actas.app.people.limits import Buckets
from actas.app.people.transcription import ASSIGNMENT_MS, Transcription
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import AccessDenied
from actas.web import create_app
from peoplekit import account, acta, demo_service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Service]:
    s = demo_service(tmp_path / "home")
    yield s
    s.close()


def test_an_expired_assignment_is_refused(svc: Service) -> None:
    clock = [1_000_000.0]
    people = People(svc, now=lambda: clock[0])
    tr = Transcription(people)
    a = acta(0, with_qr=False)
    with svc.store.write() as conn:
        tr.enqueue(conn, "ab" * 32, 0, a.table_id, "no_qr")
    vol, _ = people.add("vol", Role.VOLUNTEER, "correct horse vol")
    job = tr.next(vol)
    assert job is not None
    clock[0] += ASSIGNMENT_MS / 1000 + 1  # 15 minutes and a second
    with pytest.raises(AccessDenied, match="expired"):
        tr.submit(vol, job["assignment"], a.table_id, list(a.options), a.null)
    assert tr.counts() == {"open": 1}


def test_signed_in_writes_are_limited_per_account_not_per_address(svc: Service) -> None:
    app = create_app(svc.settings, svc, ttl=0)
    tokens = [account(svc, f"wit{i}", Role.WITNESS)[2] for i in range(4)]
    with TestClient(app, base_url="https://testserver") as c:
        limits = app.state.people.limits
        limits.address = Buckets(0.0, 2, now=lambda: 0.0)  # one NAT: 2 writes per address
        limits.account = Buckets(0.0, 3, now=lambda: 0.0)
        codes = [
            c.post("/api/v1/tokens", headers={"authorization": f"Bearer {t}"}).status_code
            for t in tokens
            for _ in range(4)
        ]
    # every witness behind the one address gets their own 3, then 429 for the 4th
    assert codes == [201, 201, 201, 429] * 4


def test_x_forwarded_for_is_ignored_unless_a_proxy_is_trusted(tmp_path: Path) -> None:
    plain = Settings.from_env(env={}, home=tmp_path)
    assert plain.server_options() == {"proxy_headers": False}
    behind = Settings.from_env(env={"ACTAS_TRUSTED_PROXIES": "10.0.0.5"}, home=tmp_path)
    assert behind.server_options() == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5"}
