"""Review: a CSV-vs-QR conflict shown side by side (issue 19 D7), one decision however
many reviewers send it at once, and four eyes on a table that is not in conflict (D4):
a proposal, then a second reviewer's approval, each step a leaf. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actas.app.people import People, Role
from actas.app.people.review import Review, Stale
from actas.app.service import Service
from actas.core.errors import AccessDenied
from actas.web import create_app
from peoplekit import N, account, acta, demo_service, race

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "https://testserver"
MAPPING = """\
[format]
name = "demo-csv"
kind = "results"
description = "a per-table CSV of the demo election"
match = ["CENTRO", "MESA", "AB", "BC", "CD", "DE", "NULOS"]

[table]
id = "{CENTRO:09}.{MESA:02}"

[columns]
null = "NULOS"

[candidates]
aurora = "AB"
bruno = "BC"
celia = "CD"
dario = "DE"
"""


@pytest.fixture
def svc(tmp_path: Path, db_url: str) -> Iterator[Service]:
    s = demo_service(tmp_path / "home", db_url)
    yield s
    s.close()


@pytest.fixture
def client(svc: Service) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, svc, ttl=0), base_url=BASE) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def import_row(svc: Service, tmp: Path, table_id: str, votes: list[int], null: int) -> None:
    """One imported CSV row for the table (a mapping of our own: CENTRO, MESA, ...)."""
    mapping = tmp / "demo-csv.toml"
    mapping.write_text(MAPPING, "utf-8")
    centre, mesa = table_id.split(".")
    row = ",".join(str(v) for v in [centre, mesa, *votes, null])
    data = f"CENTRO,MESA,AB,BC,CD,DE,NULOS\n{row}\n".encode()
    summary = svc.import_bytes(data, "rows.csv", mapping_file=mapping)
    assert summary.loaded == 1, summary


def qr_votes(svc: Service, i: int) -> tuple[str, list[int], int]:
    a = acta(i)
    return a.table_id, list(svc.election.votes_from_options(a.options)), a.null


def csv_vs_qr(svc: Service, client: TestClient, tmp: Path) -> tuple[str, list[int]]:
    """A table in conflict: its QR photo uploaded by a witness, an imported row that
    gives the first candidate 5 votes more. Returns the table and the CSV's votes."""
    table, votes, null = qr_votes(svc, 0)
    _, _, wtok = account(svc, "wit", Role.WITNESS)
    r = client.post(
        "/api/v1/uploads",
        headers=bearer(wtok),
        files={"photo": ("acta.jpg", acta(0).image, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    csv_votes = [votes[0] + 5, *votes[1:]]
    import_row(svc, tmp, table, csv_votes, null)
    assert svc.store.table_result(table, svc.store.engine.connect()).status == "conflict"
    return table, csv_votes


def sign_in(client: TestClient, name: str, password: str) -> None:
    page = client.get("/people/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    r = client.post(
        "/people/login",
        data={"name": name, "password": password, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_the_review_page_shows_an_imported_row_beside_a_qr(
    svc: Service, client: TestClient, tmp_path: Path
) -> None:
    table, csv_votes = csv_vs_qr(svc, client, tmp_path)
    _, password, _ = account(svc, "rev", Role.REVIEWER)
    sign_in(client, "rev", password)
    r = client.get(f"/people/review/{table}")
    assert r.status_code == 200, r.text[:2000]  # was a 500: 'dict object' has no 'options'
    page = r.text
    assert page.count('name="chosen_seq"') == 2
    assert f"{csv_votes[0]:,}" in page or str(csv_votes[0]) in page
    assert 'id="four-eyes"' not in page  # a conflict: one reviewer decides
    view = client.get(f"/api/v1/review/{table}").json()
    kinds = sorted(v["channel"] for v in view["versions"])
    assert kinds == ["demo-csv", "photo"]
    csv = next(v for v in view["versions"] if v["channel"] == "demo-csv")
    assert csv["votes"] == csv_votes and csv["by_option"] is None


@pytest.mark.parametrize("as_page", [True, False], ids=["as_of", "without_as_of"])
def test_50_parallel_decisions_on_one_conflict_log_one(
    svc: Service, client: TestClient, tmp_path: Path, as_page: bool
) -> None:
    """As the page sends it (``as_of``: the table's last leaf it showed) or as a bare
    API call (the server reads ``as_of`` itself): one decision, no proposal."""
    table, csv_votes = csv_vs_qr(svc, client, tmp_path)
    people = People(svc)
    reviewers = [people.add(f"rev{i}", Role.REVIEWER, "correct horse rev")[0] for i in range(N)]
    review = Review(people)
    view = review.view(reviewers[0], table)
    csv_seq = next(v["seq"] for v in view["versions"] if v["channel"] == "demo-csv")
    done, refused = race(
        N,
        lambda i: review.resolve(
            reviewers[i],
            table,
            "the photo shows these counts",
            chosen_seq=csv_seq,
            as_of=view["as_of"] if as_page else None,
        ),
    )
    assert len(done) == 1 and done[0]["status"] == "resolved"
    assert len(refused) == N - 1 and all(isinstance(e, Stale) for e in refused)
    decisions = [s for s in svc.store.submissions_of(table, svc.store.engine.connect())]
    assert [s.kind for s in decisions].count("decision") == 1
    assert not any(b"review.proposed" in s.raw for s in decisions)
    result = svc.store.table_result(table, svc.store.engine.connect())
    assert result.status == "resolved" and list(result.counts.votes) == csv_votes


def test_a_single_source_table_needs_a_second_reviewer(
    svc: Service, client: TestClient, tmp_path: Path
) -> None:
    table, votes, null = qr_votes(svc, 1)
    import_row(svc, tmp_path, table, votes, null)
    people = People(svc)
    first = people.add("first", Role.REVIEWER, "correct horse rev")[0]
    others = [people.add(f"rev{i}", Role.REVIEWER, "correct horse rev")[0] for i in range(N)]
    review = Review(people)
    before = svc.results()[0]["valid"]
    options = [4000] + [0] * (len(svc.election.options) - 1)
    proposed = review.resolve(first, table, "I say so", options=options, null=0)
    assert proposed["status"] == "proposed"  # was "resolved": +4,000 votes by one person
    assert svc.results()[0]["valid"] == before
    assert review.queue() == [{"table_id": table, "reason": "proposal"}]
    [p] = review.view(others[0], table)["proposals"]
    assert p["seq"] == proposed["seq"] and p["votes"][0] == 4000
    with pytest.raises(AccessDenied, match="second reviewer"):
        review.approve(first, table, proposed["seq"], "looks right to me")
    done, refused = race(
        N, lambda i: review.approve(others[i], table, proposed["seq"], "checked the photo")
    )
    assert len(done) == 1 and len(refused) == N - 1
    assert all(isinstance(e, Stale) for e in refused)
    subs = svc.store.submissions_of(table, svc.store.engine.connect())
    [decision] = [s for s in subs if s.kind == "decision"]
    body: dict[str, Any] = json.loads(decision.raw)
    assert body["proposal"] == proposed["seq"] and body["proposed_by"] == first.actor
    assert decision.actor != first.actor
    assert svc.results()[0]["valid"] == before - sum(votes) + 4000
    assert review.queue() == []
    # a rejected proposal has no effect and cannot be approved afterwards
    again = review.resolve(first, table, "back to the sheet", options=options[::-1], null=0)
    assert again["status"] == "proposed"
    review.reject(others[1], table, again["seq"], "the sheet says otherwise")
    with pytest.raises(Stale):
        review.approve(others[2], table, again["seq"], "too late")
    assert svc.results()[0]["valid"] == before - sum(votes) + 4000
