"""People over the API: roles on every route, witness uploads and receipts, blind double
entry, review, automatic suspension, and 200 concurrent uploads that lose nothing — each
on SQLite and on PostgreSQL (the ``db_url`` fixture; PostgreSQL is skipped locally when
ACTAS_TEST_POSTGRES_URL is unset)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from actas.adapters.bundle_files import parquet_columns, read_bundle
from actas.adapters.store import people_schema as ps
from actas.adapters.store import schema
from actas.app.people import People, Role
from actas.app.people.limits import Buckets
from actas.app.people.transcription import Transcription
from actas.app.service import Service
from actas.core.log import merkle, sealed
from actas.core.log.leaf import decode_leaf
from actas.core.verify import procedure as verify
from actas.web import create_app
from actas.web.people import Limits, PeopleWeb
from peoplekit import account, acta, demo_service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "https://testserver"  # session cookies are Secure


@pytest.fixture
def svc(tmp_path: Path, db_url: str) -> Iterator[Service]:
    """The demo election on SQLite, then on a fresh PostgreSQL database (tests/conftest.py)."""
    s = demo_service(tmp_path / "home", db_url)
    yield s
    s.close()


@pytest.fixture
def app(svc: Service) -> FastAPI:
    return create_app(svc.settings, svc, ttl=0)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def upload(client: TestClient, token: str, image: bytes, table: str = "") -> dict[str, Any]:
    r = client.post(
        "/api/v1/uploads",
        headers=bearer(token),
        files={"photo": ("acta.jpg", image, "image/jpeg")},
        data={"table": table} if table else {},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


# --------------------------------------------------------------------------- access


def test_every_protected_route_refuses_anonymous_and_wrong_roles(
    app: FastAPI, client: TestClient, svc: Service
) -> None:
    tokens = {role: account(svc, f"acc-{role}", role)[2] for role in Role}
    checked = 0
    for route in app.routes:
        assert isinstance(route, APIRoute)
        level = (route.openapi_extra or {}).get("x-access")
        if level == "public":
            continue
        assert isinstance(level, list) and route.dependencies, route.path
        url = re.sub(r"\{table_id\}", "010101001.01", route.path)
        url = re.sub(r"\{sha256\}", "0" * 64, url)
        url = re.sub(r"\{[a-z_]+\}", "1", url)
        for method in route.methods or ():
            r = client.request(method, url)
            assert r.status_code == 401, (method, url, r.status_code)
            if url.startswith("/api/"):
                assert r.json()["error"]["code"] == "unauthenticated"
            for role in Role:
                if str(role) in level:
                    continue
                r = client.request(method, url, headers=bearer(tokens[role]))
                assert r.status_code == 403, (method, url, role, r.status_code)
            checked += 1
    assert checked >= 20
    # an unknown token is anonymous
    assert client.get("/api/v1/me", headers=bearer("actas_nope")).status_code == 401


def test_invitation_session_csrf_and_pseudonyms(client: TestClient, svc: Service) -> None:
    coord, _, ctok = account(svc, "coord", Role.COORDINATOR)
    r = client.post("/api/v1/invitations", headers=bearer(ctok), json={"role": "administrator"})
    assert r.status_code == 403  # a coordinator cannot make administrators
    r = client.post("/api/v1/invitations", headers=bearer(ctok), json={"role": "volunteer"})
    assert r.status_code == 201
    url = r.json()["url"]
    token = url.rsplit("/", 1)[1]
    stored = {row.token_hash for row in _rows(svc, ps.invitations)}
    assert token not in stored and len(stored) == 1  # only a hash is kept
    form = client.get(url)
    assert form.status_code == 200
    pre = client.cookies.get("actas_form")
    r = client.post(
        url,
        data={"csrf_token": "wrong", "name": "Ana Pérez", "password": "a long password"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post(
        url,
        data={"csrf_token": pre, "name": "Ana Pérez", "password": "a long password"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    me = client.get("/api/v1/me").json()
    assert me["role"] == "volunteer" and re.fullmatch(r"p-[0-9a-f]{12}", me["actor"])
    # the link is single-use
    assert (
        client.post(url, data={"csrf_token": pre, "name": "x2", "password": "p" * 12}).status_code
        == 403
    )
    # a cookie-authenticated write without the CSRF token is refused, with it accepted
    assert client.post("/api/v1/tokens").status_code == 403
    session = [r for r in _rows(svc, ps.sessions)]
    assert len(session) == 1
    csrf = session[0].csrf
    assert client.post("/api/v1/tokens", headers={"x-csrf-token": csrf}).status_code == 201
    # names never reach the log
    with svc.store.read() as conn:
        leaves = b"".join(r.leaf for r in svc.store.iter_submissions(conn))
    assert b"Ana" not in leaves and b"coord" not in leaves and coord.actor.encode() in leaves
    secret = svc.settings.keys_dir / "people.secret"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_sign_in_is_rate_limited(client: TestClient, svc: Service) -> None:
    account(svc, "wit", Role.WITNESS)
    # the clock stands still: on a slow machine 12 sign-ins may take long enough
    # for the bucket to refill (0.2 a second), which is the limiter working
    limits = client.app.state.people.limits  # type: ignore[attr-defined]
    limits.login = Buckets(limits.login.rate, limits.login.burst, now=lambda: 0.0)
    client.get("/people/login")
    pre = client.cookies.get("actas_form")
    replies = [
        client.post("/people/login", data={"csrf_token": pre, "name": "wit", "password": "wrong"})
        for _ in range(12)
    ]
    assert replies[0].status_code == 200 and replies[-1].status_code == 429
    assert replies[-1].headers["retry-after"] == "60"  # when to come back


def test_the_name_limit_counts_padded_spellings_as_one_name(
    client: TestClient, svc: Service
) -> None:
    """Issue 19 D9: the limit per name was keyed on the raw name while sign-in strips it,
    so " wit", "wit " ... each had their own 10 tries and still signed in after "wit"
    was locked. Many addresses are simulated by an address limit that never runs out."""
    _, password, _ = account(svc, "wit", Role.WITNESS)
    limits = client.app.state.people.limits  # type: ignore[attr-defined]
    limits.login = Buckets(1e9, 1e9, now=lambda: 0.0)
    limits.login_name = Buckets(0.2, 10, now=lambda: 0.0)
    client.get("/people/login")
    pre = client.cookies.get("actas_form")
    spellings = ["wit", " wit", "wit ", "\twit", " WIT ", "Wit"]
    codes = [
        client.post(
            "/people/login",
            data={"csrf_token": pre, "name": spellings[i % len(spellings)], "password": "x"},
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    r = client.post(
        "/people/login",
        data={"csrf_token": pre, "name": "  wit  ", "password": password},
        follow_redirects=False,
    )
    assert r.status_code == 429  # locked for every spelling, the right password too


def test_the_language_asked_for_sticks_across_the_sign_in(client: TestClient, svc: Service) -> None:
    _, password, _ = account(svc, "wit", Role.WITNESS)
    first = client.get("/people/login?lang=en")
    assert 'lang="en"' in first.text and "lang=en" in first.headers.get("set-cookie", "")
    pre = client.cookies.get("actas_form")
    r = client.post(
        "/people/login",
        data={"csrf_token": pre, "name": "wit", "password": password},
    )
    assert r.status_code == 200 and 'lang="en"' in r.text  # no ?lang= here: the cookie


def test_upload_size_limit(client: TestClient, svc: Service) -> None:
    _, _, tok = account(svc, "wit", Role.WITNESS)
    big = b"\xff\xd8\xff" + b"0" * (svc.settings.max_upload + 10)
    r = client.post("/api/v1/uploads", headers=bearer(tok), files={"photo": ("a.jpg", big)})
    assert r.status_code == 413


# --------------------------------------------------------------------------- witnesses


def test_witness_upload_confirm_and_receipt(client: TestClient, svc: Service) -> None:
    wit, _, tok = account(svc, "wit", Role.WITNESS)
    a = acta(0)
    got = upload(client, tok, a.image)
    assert got["table_id"] == a.table_id and got["counts"]["options"] == list(a.options)
    assert not got["queued"]
    r = client.post(
        f"/api/v1/uploads/{got['seq']}/confirm", headers=bearer(tok), json={"agree": True}
    )
    assert r.status_code == 201
    receipt = client.get(got["receipt"]).json()
    assert receipt["leaf_hash"] == got["leaf_hash"] and receipt["proof"] is None
    svc.log.publish_checkpoint("2024-07-29T05:00:00Z")
    proof = client.get(got["receipt"]).json()["proof"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        got["seq"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["proof"]],
        bytes.fromhex(proof["root_hash"]),
    )
    with svc.store.read() as conn:
        event = svc.store.submission(r.json()["seq"], conn)
    assert event.actor == wit.actor and b"witness.confirmed" in event.raw
    # another witness cannot see or confirm this upload
    _, _, other = account(svc, "wit2", Role.WITNESS)
    assert client.get(f"/api/v1/uploads/{got['seq']}", headers=bearer(other)).status_code == 404
    # an unreadable photo for an unknown table is kept, flagged and queued
    b = acta(1, with_qr=False)
    got = upload(client, tok, b.image, table="999999999.99")
    assert got["queued"] and got["counts"] is None
    assert "photo.no_qr" in [f["code"] for f in got["findings"]]
    assert svc.store.size() == got["seq"] + 1


def test_a_file_that_is_no_picture_is_logged_not_handed_to_volunteers(
    client: TestClient, svc: Service
) -> None:
    _, _, tok = account(svc, "wit", Role.WITNESS)
    _, _, vol = account(svc, "vol", Role.VOLUNTEER)
    for data in (b"not a photo at all, just text", acta(2).image[:2000]):  # text, truncated
        got = upload(client, tok, data)
        assert not got["queued"] and "photo.unreadable" in [f["code"] for f in got["findings"]]
        with svc.store.read() as conn:
            assert svc.store.submission(got["seq"], conn).blob_sha256 == got["sha256"]
    assert _next_or_none(client, vol) is None  # nothing anyone could read
    assert Transcription(People(svc, secret=b"")).sync() == 0  # nor after a resync


def test_the_same_photo_again_is_not_queued_for_people(client: TestClient, svc: Service) -> None:
    _, _, tok = account(svc, "wit", Role.WITNESS)
    _, _, other = account(svc, "wit2", Role.WITNESS)
    _, _, vol = account(svc, "vol", Role.VOLUNTEER)
    a = acta(0)
    first = upload(client, tok, a.image)
    again = upload(client, tok, a.image)
    assert again["duplicate"] and again["seq"] == first["seq"]
    # its QR was read: sending it again asks no volunteer to type it
    assert not again["queued"]
    assert _next_or_none(client, vol) is None
    # an unreadable photo sent again is still waiting, once
    b = acta(1, with_qr=False)
    assert upload(client, tok, b.image)["queued"]
    assert upload(client, tok, b.image)["queued"]
    with svc.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(ps.photo_tasks)).scalar() == 1
    # a witness forwarded a photo someone else sent: the form leads to a page they may see
    r = client.post(
        "/people/upload?lang=en",
        headers=bearer(other),
        files={"photo": ("acta.jpg", a.image, "image/jpeg")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.get(r.headers["location"], headers=bearer(other))
    assert r.status_code == 200 and first["leaf_hash"] in r.text


def test_a_malformed_table_id_is_a_400_that_does_not_echo_it(
    client: TestClient, svc: Service
) -> None:
    _, _, rtok = account(svc, "rev", Role.REVIEWER)
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    _, _, vtok = account(svc, "vol", Role.VOLUNTEER)
    hostile = "<script>alert(1)"
    for r in (
        client.get(f"/api/v1/review/{hostile}", headers=bearer(rtok)),
        client.post(
            f"/api/v1/review/{hostile}",
            headers=bearer(rtok),
            json={"reason": "a reason", "options": [0] * 8, "null": 0},
        ),
    ):
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "invalid_input"
        assert "script" not in r.text
    upload(client, wtok, acta(2, with_qr=False).image)
    t = _next(client, vtok)
    r = client.post(
        f"/api/v1/transcription/{t['assignment']}",
        headers=bearer(vtok),
        json={"table": hostile, "options": [0] * 8, "null": 0},
    )
    assert r.status_code == 400 and "script" not in r.text, r.text


# --------------------------------------------------------------------------- double entry


def _entry(a: Any, bump: int = 0) -> dict[str, Any]:
    options = list(a.options)
    options[0] += bump
    return {"table": a.table_id, "options": options, "null": a.null}


def _next(client: TestClient, tok: str) -> dict[str, Any]:
    r = client.get("/api/v1/transcription/next", headers=bearer(tok))
    assert r.status_code == 200, r.text
    return dict(r.json()["assignment"])


def test_two_volunteers_agree_then_the_table_counts(client: TestClient, svc: Service) -> None:
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    a = acta(1, with_qr=False)
    upload(client, wtok, a.image)
    vols = [account(svc, f"vol{i}", Role.VOLUNTEER)[2] for i in range(2)]
    t1 = _next(client, vols[0])
    assert set(t1) == {"assignment", "photo", "photo_url", "claimed_table", "fields"}
    assert client.get(t1["photo_url"], headers=bearer(vols[0])).status_code == 200
    # the second volunteer cannot see the photo before it is assigned to them
    assert client.get(t1["photo_url"], headers=bearer(vols[1])).status_code == 403
    # nor can anyone at the portal's public address while people transcribe it
    assert client.get(f"/photos/{t1['photo']}").status_code == 404
    r = client.post(
        f"/api/v1/transcription/{t1['assignment']}", headers=bearer(vols[0]), json=_entry(a)
    )
    assert r.status_code == 201 and r.json()["state"] == "submitted"
    # nobody transcribes the same photo twice
    assert _next_or_none(client, vols[0]) is None
    t2 = _next(client, vols[1])
    assert t2["photo"] == t1["photo"]
    # nothing a volunteer can reach shows the other entry's numbers
    blob = json.dumps(
        [
            client.get(u, headers=bearer(vols[1])).json()
            for u in ("/api/v1/transcription/next", "/api/v1/me", f"/api/v1/tables/{a.table_id}")
        ]
    )
    assert str(a.options) not in blob and "options" not in blob
    r = client.post(
        f"/api/v1/transcription/{t2['assignment']}", headers=bearer(vols[1]), json=_entry(a)
    )
    assert r.status_code == 201
    table = client.get(f"/api/v1/tables/{a.table_id}").json()
    assert table["result"]["status"] == "consensus"
    assert table["result"]["channels"] == ["transcription"]
    assert table["agreement"]["agree"] == {"transcription": 2}
    assert [o["votes"] for o in table["result"]["options"]] == list(a.options)
    # settled: the photo is public evidence now (its metadata-free copy)
    assert client.get(f"/photos/{t1['photo']}").status_code == 200


def _bundle(svc: Service, out: Path) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    svc.export(out)
    files = read_bundle(out)
    report = verify.verify(files, read_parquet=parquet_columns)
    assert report.ok, report.failures
    lines = [json.loads(x) for x in files["submissions.jsonl"].splitlines()]
    return files, [dict(report.checks), *lines]


def test_entries_stay_sealed_until_the_photo_is_settled(
    client: TestClient, svc: Service, tmp_path: Path
) -> None:
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    a = acta(1, with_qr=False)
    upload(client, wtok, a.image)
    vols = [account(svc, f"vol{i}", Role.VOLUNTEER)[2] for i in range(2)]
    t = _next(client, vols[0])
    seq = client.post(
        f"/api/v1/transcription/{t['assignment']}", headers=bearer(vols[0]), json=_entry(a)
    ).json()["seq"]
    with svc.store.read() as conn:
        stored = svc.store.submission(seq, conn)
    salt, entry = sealed.unseal(stored.raw)  # salt || entry, stored privately
    assert entry["options"] == list(a.options) and "nonce" not in entry
    assert decode_leaf(stored.leaf)["raw_sha256"] == hashlib.sha256(stored.raw).hexdigest()
    assert stored.table_id is None  # no page lists the entry under the table it typed
    files, (checks, *lines) = _bundle(svc, tmp_path / "b1")
    assert lines[seq] == {
        "seq": seq,
        "kind": "transcription",
        "channel": "transcription",
        "table_id": None,
        "counts": None,
        "findings": [],
        "blob_sha256": None,
        "raw_sha256": hashlib.sha256(stored.raw).hexdigest(),
    }
    published = b"".join(files.values())
    for secret in (salt.hex().encode(), base64.b64encode(stored.raw)[:40], stored.raw[32:64]):
        assert secret not in published
    assert checks["transcriptions_sealed"] == 1
    # the second, agreeing entry settles the photo: both entries are disclosed
    t = _next(client, vols[1])
    client.post(f"/api/v1/transcription/{t['assignment']}", headers=bearer(vols[1]), json=_entry(a))
    _, (checks, *lines) = _bundle(svc, tmp_path / "b2")
    opened = [x for x in lines if x["kind"] == "transcription"]
    assert len(opened) == 2 and checks["transcriptions_rederived"] == 2
    assert "transcriptions_sealed" not in checks
    for x in opened:
        assert x["table_id"] == a.table_id and x["counts"] is not None
        assert sealed.unseal(base64.b64decode(x["raw"]))[1]["options"] == list(a.options)


def _next_or_none(client: TestClient, tok: str) -> Any:
    return client.get("/api/v1/transcription/next", headers=bearer(tok)).json()["assignment"]


def test_disagreement_third_entry_then_review(client: TestClient, svc: Service) -> None:
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    a = acta(2, with_qr=False)
    upload(client, wtok, a.image)
    vols = [account(svc, f"vol{i}", Role.VOLUNTEER)[2] for i in range(4)]
    for i, bump in enumerate((0, 5, 9)):
        t = _next(client, vols[i])
        r = client.post(
            f"/api/v1/transcription/{t['assignment']}",
            headers=bearer(vols[i]),
            json=_entry(a, bump),
        )
        assert r.status_code == 201
    assert _next_or_none(client, vols[3]) is None  # three entries, no pair agrees: review
    rev_acc, _, rev = account(svc, "rev", Role.REVIEWER)
    queue = client.get("/api/v1/review", headers=bearer(rev)).json()["tables"]
    assert [q["table_id"] for q in queue] == [a.table_id]
    view = client.get(f"/api/v1/review/{a.table_id}", headers=bearer(rev)).json()
    assert len(view["entries"]) == 3 and len(view["photos"]) == 1
    # a reason is required
    r = client.post(
        f"/api/v1/review/{a.table_id}",
        headers=bearer(rev),
        json={"chosen_seq": view["entries"][0]["seq"]},
    )
    assert r.status_code == 400
    r = client.post(
        f"/api/v1/review/{a.table_id}",
        headers=bearer(rev),
        json={"chosen_seq": view["entries"][0]["seq"], "reason": "card 1 reads as printed"},
    )
    assert r.status_code == 201, r.text
    table = client.get(f"/api/v1/tables/{a.table_id}").json()
    assert table["result"]["status"] == "resolved"
    assert [o["votes"] for o in table["result"]["options"]] == list(a.options)
    decision = [s for s in table["submissions"] if s["kind"] == "decision"]
    assert len(decision) == 1
    with svc.store.read() as conn:
        leaf = svc.store.submission(decision[0]["seq"], conn)
    body = json.loads(leaf.raw)
    assert body["reason"] == "card 1 reads as printed" and body["actor"] == rev_acc.actor
    assert table["agreement"]["decision"]["reason"] == "card 1 reads as printed"
    assert table["agreement"]["agree"] == {}  # the chosen entry alone was not a version
    page = client.get(f"/tables/{a.table_id}?lang=en").text
    assert "card 1 reads as printed" in page
    outcomes = sorted(r.outcome for r in _rows(svc, ps.assignments))
    assert outcomes == ["agree", "disagree", "disagree"]


def test_disagreement_to_a_decision_in_the_log_and_the_tally(
    client: TestClient, svc: Service, tmp_path: Path
) -> None:
    """Two volunteers disagree → a third → review → a typed decision: a DECISION leaf that
    the table's result, the national tally and the verified bundle all follow."""
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    a = acta(3, with_qr=False)
    upload(client, wtok, a.image, table=a.table_id)
    vols = [account(svc, f"vol{i}", Role.VOLUNTEER)[2] for i in range(3)]
    rev_acc, _, rev = account(svc, "rev", Role.REVIEWER)

    def enter(i: int, bump: int) -> None:
        t = _next(client, vols[i])
        r = client.post(
            f"/api/v1/transcription/{t['assignment']}",
            headers=bearer(vols[i]),
            json=_entry(a, bump),
        )
        assert r.status_code == 201, r.text

    enter(0, 2)
    enter(1, 4)
    # two entries disagree: nothing counts yet, and a third volunteer is asked first
    assert [r.state for r in _rows(svc, ps.photo_tasks)] == ["third"]
    assert client.get(f"/api/v1/tables/{a.table_id}").json()["result"] is None
    assert client.get("/api/v1/review", headers=bearer(rev)).json()["tables"] == []
    enter(2, 7)
    queue = client.get("/api/v1/review", headers=bearer(rev)).json()["tables"]
    assert queue == [{"table_id": a.table_id, "reason": "entries"}]
    view = client.get(f"/api/v1/review/{a.table_id}", headers=bearer(rev)).json()
    assert sorted(e["counts"]["options"][0] for e in view["entries"]) == [
        a.options[0] + b for b in (2, 4, 7)
    ]
    before = svc.results()[0]
    assert before["tables"]["counted"] == 0
    # the reviewer reads the photo and types the counts, with a public reason
    reason = "none of the three entries reads card 1 as printed"
    r = client.post(
        f"/api/v1/review/{a.table_id}",
        headers=bearer(rev),
        json={"options": list(a.options), "null": a.null, "reason": reason},
    )
    assert r.status_code == 201, r.text
    seq = r.json()["seq"]
    # a DECISION leaf: the reviewer's pseudonym, the counts and the reason inline
    with svc.store.read() as conn:
        decision = svc.store.submission(seq, conn)
    leaf = decode_leaf(decision.leaf)
    assert leaf["kind"] == "decision" and leaf["actor"] == rev_acc.actor
    body = json.loads(base64.b64decode(leaf["raw"]))
    assert body["counts"] == {"options": list(a.options), "null": a.null}
    assert body["reason"] == reason and body["table"] == a.table_id
    # the table follows the decision
    table = client.get(f"/api/v1/tables/{a.table_id}").json()
    assert table["result"]["status"] == "resolved" and table["result"]["seqs"][-1] == seq
    assert [o["votes"] for o in table["result"]["options"]] == list(a.options)
    assert table["agreement"]["decision"] == {"seq": seq, "reason": reason, "actor": rev_acc.actor}
    # … and so does the tally
    after = svc.results()[0]
    assert after["tables"]["counted"] == 1
    votes = svc.election.votes_from_options(a.options)
    assert [c["votes"] for c in after["candidates"]] == list(votes)
    assert after["null"] == a.null
    assert [r.state for r in _rows(svc, ps.photo_tasks)] == ["resolved"]
    assert sorted(r.outcome for r in _rows(svc, ps.assignments)) == ["disagree"] * 3
    assert client.get("/api/v1/review", headers=bearer(rev)).json()["tables"] == []
    # the bundle verifies: the three entries disclosed, none counted; the decision counted
    _, (checks, *lines) = _bundle(svc, tmp_path / "bundle")
    assert checks["transcriptions_opened"] == 3 and checks["counts_not_rederived_decision"] == 1
    assert lines[seq]["kind"] == "decision" and lines[seq]["table_id"] == a.table_id


def test_a_decision_settles_a_photo_still_waiting_for_a_third_entry(
    client: TestClient, svc: Service
) -> None:
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    a = acta(2, with_qr=False)
    upload(client, wtok, a.image, table=a.table_id)
    vols = [account(svc, f"vol{i}", Role.VOLUNTEER)[2] for i in range(3)]
    for i, bump in enumerate((0, 3)):
        t = _next(client, vols[i])
        client.post(
            f"/api/v1/transcription/{t['assignment']}",
            headers=bearer(vols[i]),
            json=_entry(a, bump),
        )
    _, _, rev = account(svc, "rev", Role.REVIEWER)
    view = client.get(f"/api/v1/review/{a.table_id}", headers=bearer(rev)).json()
    chosen = next(e["seq"] for e in view["entries"] if e["counts"]["options"] == list(a.options))
    r = client.post(
        f"/api/v1/review/{a.table_id}",
        headers=bearer(rev),
        json={"chosen_seq": chosen, "reason": "the photo shows these counts"},
    )
    assert r.status_code == 201
    assert [r.state for r in _rows(svc, ps.photo_tasks)] == ["resolved"]
    assert _next_or_none(client, vols[2]) is None  # no third volunteer is asked any more
    outcomes = sorted(r.outcome for r in _rows(svc, ps.assignments) if r.outcome)
    assert outcomes == ["agree", "disagree"]


def test_nobody_reviews_their_own_entry(client: TestClient, svc: Service) -> None:
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    a = acta(3, with_qr=False)
    upload(client, wtok, a.image)
    people = People(svc)
    both, _ = people.add("both", Role.VOLUNTEER, "a long password")
    tok = people.new_api_token(both)
    t = _next(client, tok)
    client.post(f"/api/v1/transcription/{t['assignment']}", headers=bearer(tok), json=_entry(a))
    people.set_role(both.id, Role.REVIEWER, None)
    assert client.get(f"/api/v1/review/{a.table_id}", headers=bearer(tok)).status_code == 403
    r = client.post(
        f"/api/v1/review/{a.table_id}",
        headers=bearer(tok),
        json={"options": list(a.options), "null": 0, "reason": "mine"},
    )
    assert r.status_code == 403


def test_poor_agreement_suspends_with_a_logged_reason(svc: Service, app: FastAPI) -> None:
    web: PeopleWeb = app.state.people
    tr = web.transcription
    people = web.people
    bad, _ = people.add("bad", Role.VOLUNTEER, "a long password")
    good = [people.add(f"good{i}", Role.VOLUNTEER, "a long password")[0] for i in range(2)]
    a = acta(0)
    with svc.store.write() as conn:
        for i in range(10):
            tr.enqueue(conn, f"{i:064x}", i, None, "no_qr")
    for _ in range(10):
        for who, bump in ((bad, 1), (good[0], 0), (good[1], 0)):
            task = tr.next(who)
            assert task is not None
            opts = list(a.options)
            opts[0] += bump
            tr.submit(who, task["assignment"], a.table_id, opts, a.null)
    bad_now = people.get(bad.id)
    assert bad_now.status == "suspended" and "agreement 0/10" in bad_now.status_reason
    with svc.store.read() as conn:
        events = [s.raw for s in svc.store.iter_submissions(conn) if s.kind == "event"]
    assert any(b"account.suspended" in e and bad.actor.encode() in e for e in events)


# --------------------------------------------------------------------------- concurrency


def test_200_concurrent_uploads_lose_nothing(svc: Service) -> None:
    import uvicorn

    app = create_app(svc.settings, svc, ttl=0)
    big = Limits()
    big.address.burst = big.account.burst = 10_000
    app.state.people.limits = big
    _, _, tok = account(svc, "bulk", Role.WITNESS)
    bases = [acta(0).image, acta(1, with_qr=False).image]
    photos = [bases[i % 2] + b"\x00actas-test-%04d" % i for i in range(200)]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    async def run() -> list[int]:
        limit = asyncio.Semaphore(16)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:

            async def one(data: bytes) -> int:
                async with limit:
                    r = await c.post(
                        "/api/v1/uploads",
                        headers=bearer(tok),
                        files={"photo": ("a.jpg", data, "image/jpeg")},
                    )
                    return r.status_code

            return await asyncio.gather(*(one(p) for p in photos))

    try:
        codes = asyncio.run(run())
    finally:
        server.should_exit = True
        thread.join(10)
    assert codes == [201] * 200
    with svc.store.read() as conn:
        n_photos = conn.execute(select(func.count()).select_from(schema.photos)).scalar()
        leaves = conn.execute(
            select(func.count())
            .select_from(schema.submissions)
            .where(schema.submissions.c.kind == "photo")
        ).scalar()
        queued = conn.execute(select(func.count()).select_from(ps.photo_tasks)).scalar()
        counted = conn.execute(
            select(func.count())
            .select_from(schema.submissions)
            .where(schema.submissions.c.kind == "photo", schema.submissions.c.counts.is_not(None))
        ).scalar()
    assert n_photos == leaves == 200
    assert queued == 100 and counted == 100


def _rows(svc: Service, table: Any) -> list[Any]:
    with svc.store.read() as conn:
        return list(conn.execute(select(table)).all())
