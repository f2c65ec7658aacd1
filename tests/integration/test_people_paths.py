"""Every whole-number path parameter of the app is bounded (issue 19 D8): a huge number
is a clean 400 in the JSON error envelope, never a 500 with a traceback."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from actas.app.people import Role
from actas.app.service import Service
from actas.web import create_app
from peoplekit import account, demo_service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HUGE = "99999999999999999999"


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Service]:
    s = demo_service(tmp_path / "home")
    yield s
    s.close()


def test_every_int_path_parameter_refuses_a_huge_number_with_a_400(svc: Service) -> None:
    app = create_app(svc.settings, svc, ttl=0)
    _, _, token = account(svc, "root", Role.ADMIN)  # passes every role check
    probed = []
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        for route in app.routes:
            if not isinstance(route, APIRoute):
                continue
            ints = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
            if not ints:
                continue
            path = route.path
            for name in ints:
                path = path.replace("{" + name + "}", HUGE)
            assert not re.search(r"\{\w+\}", path), path  # every parameter an int
            for method in sorted(route.methods or ()):
                r = c.request(
                    method,
                    path,
                    headers={"authorization": f"Bearer {token}", "accept": "application/json"},
                )
                probed.append((method, route.path))
                assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:300])
                assert r.json()["error"]["status"] == r.status_code, r.text[:300]
                assert "Traceback" not in r.text
    # the four of the issue and the others found by walking the routes
    paths = {p for _, p in probed}
    assert {
        "/api/v1/receipts/{seq}",
        "/people/receipts/{seq}",
        "/api/v1/uploads/{seq}",
        "/people/uploads/{seq}",
        "/api/v1/transcription/{assignment}",
        "/api/v1/proof/inclusion/{leaf}",
    } <= paths
