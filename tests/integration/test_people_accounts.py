"""Account management in the portal: a coordinator lists, creates, invites, changes roles,
suspends and resets accounts — CSRF-checked forms, escaped names, both languages, JSON
twins — on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from actas.app.people import People, Role
from actas.app.service import Service
from actas.web import create_app
from peoplekit import account, demo_service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "https://testserver"  # session cookies are Secure
HOSTILE = '<script>alert("x")</script> & "Ana"'


@pytest.fixture
def svc(tmp_path: Path, db_url: str) -> Iterator[Service]:
    s = demo_service(tmp_path / "home", db_url)
    yield s
    s.close()


@pytest.fixture
def app(svc: Service) -> FastAPI:
    return create_app(svc.settings, svc, ttl=0)


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE, raise_server_exceptions=False, follow_redirects=False)


def sign_in(client: TestClient, name: str, password: str) -> None:
    client.get("/people/login")
    pre = client.cookies.get("actas_form")
    r = client.post(
        "/people/login",
        data={"csrf_token": pre, "name": name, "password": password},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def accounts_page(client: TestClient, lang: str = "en") -> tuple[str, str]:
    r = client.get(f"/people/accounts?lang={lang}")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.text, csrf_of(r.text)


def secret_of(page: str) -> str:
    found = re.search(r'<code id="secret-value">([^<]+)</code>', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def events(svc: Service) -> list[bytes]:
    with svc.store.read() as conn:
        return [s.raw for s in svc.store.iter_submissions(conn) if s.kind == "event"]


def test_coordinator_lists_creates_and_invites(app: FastAPI, svc: Service) -> None:
    people = People(svc)
    coord, cpass = people.add("coord", Role.COORDINATOR, "coordinator password")
    people.add(HOSTILE, Role.WITNESS, "a long password")
    admin, _ = people.add("admin", Role.ADMIN, "administrator password")
    with client_for(app) as client:
        sign_in(client, "coord", cpass)
        home = client.get("/people?lang=en").text
        assert 'id="go-accounts"' in home
        page, csrf = accounts_page(client)
        # a hostile name is escaped, never markup
        assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
        # a coordinator may manage the witness, not the administrator nor themselves
        assert f'action="/people/accounts/{admin.id}/role"' not in page
        assert f'action="/people/accounts/{coord.id}/role"' not in page
        roles_offered = re.search(r'id="account-new".*?</form>', page, re.S)
        assert roles_offered is not None and "administrator" not in roles_offered.group(0)
        # the forms need the session's CSRF token
        form = {"name": "Luisa", "role": "volunteer", "email": ""}
        assert client.post("/people/accounts", data=form).status_code == 403
        r = client.post("/people/accounts?lang=en", data={**form, "csrf_token": csrf})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        password = secret_of(r.text)
        assert "Luisa" in r.text and "shown only this once" in r.text
        # the page shows it once: reloading does not
        assert password not in client.get("/people/accounts").text
        r = client.post(
            "/people/accounts",
            data={"name": "Boss", "role": "administrator", "csrf_token": csrf},
        )
        assert r.status_code == 403
        r = client.post(
            "/people/accounts/invitations?lang=en", data={"role": "reviewer", "csrf_token": csrf}
        )
        assert r.status_code == 200
        link = re.search(r'id="invite-url"><code>(/people/invitations/[^<]+)</code>', r.text)
        assert link is not None
    with client_for(app) as other:
        assert "reviewer" in other.get(link.group(1) + "?lang=en").text
    with client_for(app) as luisa:
        sign_in(luisa, "Luisa", password)
        assert luisa.get("/api/v1/me").json()["role"] == "volunteer"
        # a volunteer may not see the accounts page
        assert luisa.get("/people/accounts").status_code == 403
    assert any(b"account.created" in e and coord.actor.encode() in e for e in events(svc))


def test_role_status_and_resets(app: FastAPI, svc: Service) -> None:
    people = People(svc)
    coord, cpass = people.add("coord", Role.COORDINATOR, "coordinator password")
    vol, vpass = people.add("vol", Role.VOLUNTEER, "volunteer password")
    token = people.new_api_token(vol, "bulk")
    with client_for(app) as client, client_for(app) as theirs:
        sign_in(client, "coord", cpass)
        sign_in(theirs, "vol", vpass)
        _, csrf = accounts_page(client)
        url = f"/people/accounts/{vol.id}"
        r = client.post(f"{url}/role", data={"role": "reviewer", "csrf_token": csrf})
        assert r.status_code == 303 and people.get(vol.id).role is Role.REVIEWER
        r = client.post(f"{url}/role", data={"role": "coordinator", "csrf_token": csrf})
        assert r.status_code == 403 and people.get(vol.id).role is Role.REVIEWER
        # nobody changes their own account here
        r = client.post(
            f"/people/accounts/{coord.id}/role", data={"role": "reviewer", "csrf_token": csrf}
        )
        assert r.status_code == 403
        # suspending needs a reason, ends the sessions, and is logged with the reason
        data = {"status": "suspended", "reason": "", "csrf_token": csrf}
        assert client.post(f"{url}/status", data=data).status_code == 400
        data["reason"] = "left the project"
        assert client.post(f"{url}/status", data=data).status_code == 303
        assert people.get(vol.id).status == "suspended"
        assert theirs.get("/api/v1/me").status_code == 401
        page, _ = accounts_page(client)
        assert "left the project" in page and "suspended" in page
        data = {"status": "active", "reason": "", "csrf_token": csrf}
        assert client.post(f"{url}/status", data=data).status_code == 303
        assert people.get(vol.id).active
        # a new password: shown once; the old one stops working
        r = client.post(f"{url}/reset", data={"what": "password", "csrf_token": csrf})
        assert r.status_code == 200
        new = secret_of(r.text)
        assert people.authenticate("vol", vpass) is None
        assert people.authenticate("vol", new) is not None
        # revoking API tokens
        assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
        r = client.post(f"{url}/reset", data={"what": "tokens", "csrf_token": csrf})
        assert r.status_code == 303
        assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    logged = b"\n".join(events(svc))
    for event in (
        b"role.changed",
        b"account.suspended",
        b"account.active",
        b"account.password_reset",
        b"account.tokens_revoked",
    ):
        assert event in logged, event
    assert b"left the project" in logged and b"vol" not in logged.replace(b"volunteer", b"")
    assert new.encode() not in logged


def test_json_twins_and_spanish(app: FastAPI, svc: Service) -> None:
    _, _, ctok = account(svc, "coord", Role.COORDINATOR)
    _, _, atok = account(svc, "admin", Role.ADMIN)
    with client_for(app) as client:
        r = client.post(
            "/api/v1/accounts",
            headers=_bearer(ctok),
            json={"name": HOSTILE, "role": "witness"},
        )
        assert r.status_code == 201, r.text
        made: dict[str, Any] = r.json()
        assert made["account"]["name"] == HOSTILE and len(made["password"]) >= 10
        target = made["account"]["id"]
        r = client.post(
            f"/api/v1/accounts/{target}/reset", headers=_bearer(ctok), json={"what": "password"}
        )
        assert r.status_code == 200 and r.json()["password"] != made["password"]
        r = client.post(
            f"/api/v1/accounts/{target}/reset", headers=_bearer(ctok), json={"what": "nothing"}
        )
        assert r.status_code == 400
        # an administrator may make administrators; a coordinator may not
        r = client.post(
            "/api/v1/accounts", headers=_bearer(ctok), json={"name": "x", "role": "administrator"}
        )
        assert r.status_code == 403
        r = client.post(
            "/api/v1/accounts", headers=_bearer(atok), json={"name": "y", "role": "administrator"}
        )
        assert r.status_code == 201
        listing = client.get("/api/v1/accounts", headers=_bearer(ctok)).json()
        listed = listing["accounts"]
        assert {a["name"] for a in listed} >= {"coord", "admin", HOSTILE, "y"}
        assert all("password" not in a and "email" not in a for a in listed)
        # what the page knows: which accounts the caller may manage, which roles give
        manageable = {a["name"]: a["manageable"] for a in listed}
        assert manageable == {"coord": False, "admin": False, HOSTILE: True, "y": False}
        assert listing["grantable"] == ["witness", "volunteer", "reviewer"]
        listing = client.get("/api/v1/accounts", headers=_bearer(atok)).json()
        manageable = {a["name"]: a["manageable"] for a in listing["accounts"]}
        assert manageable == {"coord": True, "admin": False, HOSTILE: True, "y": True}
        assert listing["grantable"] == [
            "administrator",
            "coordinator",
            "witness",
            "volunteer",
            "reviewer",
        ]
    people = People(svc)
    _, password = people.add("coord2", Role.COORDINATOR, "coordinator password")
    with client_for(app) as client:
        sign_in(client, "coord2", password)
        page, _ = accounts_page(client, "es")
        assert "Crear una cuenta" in page and "Todas las cuentas" in page
        assert "testigo" in page and "Gestionar" in page


def test_the_api_needs_a_reason_to_suspend(app: FastAPI, svc: Service) -> None:
    _, _, ctok = account(svc, "coord", Role.COORDINATOR)
    vol, _, vtok = account(svc, "vol", Role.VOLUNTEER)
    with client_for(app) as client:
        for reason in (None, "", "  "):
            body = {"status": "suspended"} | ({} if reason is None else {"reason": reason})
            r = client.post(f"/api/v1/accounts/{vol.id}", headers=_bearer(ctok), json=body)
            assert r.status_code == 400, r.text
            assert r.json()["error"]["code"] == "invalid_input"
        assert People(svc).get(vol.id).active
        assert client.get("/api/v1/me", headers=_bearer(vtok)).status_code == 200
        # a refused status in the same request changes nothing, not even the role
        body = {"role": "witness", "status": "suspended"}
        r = client.post(f"/api/v1/accounts/{vol.id}", headers=_bearer(ctok), json=body)
        assert r.status_code == 400 and People(svc).get(vol.id).role == Role.VOLUNTEER
        body = {"status": "suspended", "reason": "left the project"}
        r = client.post(f"/api/v1/accounts/{vol.id}", headers=_bearer(ctok), json=body)
        assert r.status_code == 200 and r.json()["status_reason"] == "left the project"
        # the token stops working at once
        assert client.get("/api/v1/me", headers=_bearer(vtok)).status_code == 401


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
