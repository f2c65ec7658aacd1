"""Every JSON the API writes escapes ``<``, ``>`` and ``&`` as docs/api.md says (issue 19 D13:
``/api/v1/accounts`` was rendered by Starlette's plain JSONResponse)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from actas.app.people import People, Role
from actas.app.service import Service
from actas.web import create_app
from actas.web.cache import EscapedJSON
from peoplekit import demo_service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HOSTILE = '<script>alert("x")</script> & "Ana"'


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Service]:
    s = demo_service(tmp_path / "home", f"sqlite:///{tmp_path / 'actas.db'}")
    yield s
    s.close()


@pytest.fixture
def app(svc: Service) -> FastAPI:
    return create_app(svc.settings, svc, ttl=0)


def test_accounts_json_is_escaped(app: FastAPI, svc: Service) -> None:
    people = People(svc)
    admin, _ = people.add("admin", Role.ADMIN, "administrator password")
    people.add(HOSTILE, Role.WITNESS, "a long password")
    token = people.new_api_token(admin, "test")
    headers = {"authorization": f"Bearer {token}"}
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        r = c.get("/api/v1/accounts", headers=headers)
        assert r.status_code == 200, r.text
        raw = r.content
        assert b"<" not in raw and b">" not in raw and b"&" not in raw
        assert b"\\u003cscript\\u003e" in raw and b"\\u0026" in raw
        assert HOSTILE in {a["name"] for a in json.loads(raw)["accounts"]}
        me = c.get("/api/v1/me", headers=headers)
        assert me.status_code == 200 and b"<" not in me.content


def test_the_renderer_escapes_what_the_docs_name() -> None:
    body = EscapedJSON({"a": "<b>&\u2028"}).body
    assert body == b'{"a":"\\u003cb\\u003e\\u0026\\u2028"}'
