"""Queued uploads (ACTAS_QUEUE=on, PostgreSQL) as ``actas table`` shows them, sent
twice while pending, and failed for good then queued again with ``actas jobs --retry``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actas.__main__ import app as cli
from actas.adapters.blobs import open_blobs
from actas.app.people import Role
from actas.app.photos.queue import QueueOptions
from actas.app.photos.uploads import public_error
from actas.app.photos.workers import run_worker
from actas.app.service import Service
from peoplekit import account, acta

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "https://testserver"
ONCE = QueueOptions(max_attempts=1, backoff=0)  # one retry at once, then failed


@pytest.fixture
def svc(queued_svc: Service) -> Service:
    return queued_svc


def actas(svc: Service, *args: str) -> str:
    env = {
        "ACTAS_HOME": str(svc.settings.home),
        "ACTAS_DATABASE_URL": svc.settings.database_url,
        "ACTAS_BLOBS": svc.settings.blobs,
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.postgres
def test_pending_twice_failed_and_retried(svc: Service) -> None:
    from actas.web import create_app

    _, _, token = account(svc, "wit", Role.WITNESS)
    auth = {"authorization": f"Bearer {token}"}
    good = acta(0)
    blobs = open_blobs(svc.settings.blobs, svc.settings.s3_endpoint)
    with TestClient(create_app(svc.settings, svc, ttl=0), base_url=BASE) as client:

        def send() -> dict[str, object]:
            r = client.post(
                "/api/v1/uploads",
                headers=auth,
                files={"photo": ("acta.jpg", good.image, "image/jpeg")},
                data={"table": good.table_id},
            )
            assert r.status_code == 201, r.text
            return dict(r.json())

        first = send()
        size = svc.log.size()
        again = send()  # still pending: the same receipt, no second leaf
        assert again["seq"] == first["seq"] and again["duplicate"] is True
        assert again["queued"] is True and svc.log.size() == size
        receipt, sha = int(str(first["seq"])), str(first["sha256"])

        # actas table shows the pending upload, in text and JSON
        data = json.loads(actas(svc, "table", good.table_id, "--json"))
        assert data["pending"] == [
            {
                "seq": receipt,
                "sha256": sha,
                "received_at": data["pending"][0]["received_at"],
                "status": "pending",
            }
        ]
        assert f"leaf {receipt} photo.received" in actas(svc, "table", good.table_id)

        # the photo's bytes are lost: the job fails for good
        blob = next(p for p in Path(svc.settings.blobs).rglob("*") if sha in p.name)
        blob.unlink()
        run_worker(svc.settings, queues=["photos"], wait=False, options=ONCE)
        [failed] = json.loads(actas(svc, "table", good.table_id, "--json"))["pending"]
        assert failed["status"] == "failed" and failed["error"].startswith("NotFound")
        assert str(blob.parent) not in failed["error"]
        assert f"failed (job {failed['job_id']})" in actas(svc, "table", good.table_id)
        [api] = client.get(f"/api/v1/tables/{good.table_id}").json()["pending"]
        assert api == failed
        page = client.get(f"/tables/{good.table_id}").text
        assert f'id="failed-{receipt}"' in page and 'id="pending"' not in page
        view = client.get(f"/api/v1/uploads/{receipt}", headers=auth).json()
        assert view["pending"] is True and view["failed"] is True
        assert view["error"] == failed["error"]
        assert 'id="failed"' in client.get(f"/people/uploads/{receipt}", headers=auth).text
        assert send()["seq"] == receipt  # sent again while failed: still its receipt

        # a coordinator fixes the cause and queues that job again
        assert blobs.put(good.image) == sha
        assert "1 failed jobs queued again" in actas(svc, "jobs", "--retry", str(failed["job_id"]))
        run_worker(svc.settings, queues=["photos"], wait=False, options=ONCE)
        assert json.loads(actas(svc, "table", good.table_id, "--json"))["pending"] == []
        view = client.get(f"/api/v1/uploads/{receipt}", headers=auth).json()
        assert view["read"] is True and view["failed"] is False


@pytest.mark.postgres
def test_the_same_photo_sent_twice_at_once_gets_one_receipt(
    svc: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both sendings pass the first check before either logs its receipt: the second
    finds the first's receipt again under the log's lock and answers with it."""
    from actas.app.photos import queue, uploads

    good = acta(0)
    receiver = uploads.QueuedUploads(svc.settings)
    enqueue = queue.enqueue_photo
    replies: list[dict[str, object]] = []
    raced: list[bool] = []

    def racing(*args: object, **kwargs: object) -> None:
        enqueue(*args, **kwargs)  # type: ignore[arg-type]
        if not raced:  # the other sending gets in between: check done, receipt not yet
            raced.append(True)
            replies.append(
                receiver.receive(svc, good.image, "a.jpg", claimed_table=good.table_id, actor="w1")
            )

    monkeypatch.setattr(queue, "enqueue_photo", racing)
    try:
        size = svc.log.size()
        second = receiver.receive(svc, good.image, "b.jpg", claimed_table=good.table_id, actor="w2")
    finally:
        receiver.close()
    [first] = replies
    assert first["duplicate"] is False and second["duplicate"] is True
    assert second["seq"] == first["seq"] and svc.log.size() == size + 1


def test_public_error_hides_paths_and_urls() -> None:
    assert public_error("StoreError: cannot read /srv/actas/adapters/blobs/ab/cd: denied") == (
        "StoreError: cannot read …: denied"
    )
    assert "secret" not in public_error("OperationalError: postgresql://u:secret@db/x down")
    assert public_error('ValueError: bad\n  File "/x.py", line 3') == "ValueError: bad"
    assert public_error("") == "the photo could not be read"
    assert public_error("InputError: 1/2 of the photo") == "InputError: 1/2 of the photo"
