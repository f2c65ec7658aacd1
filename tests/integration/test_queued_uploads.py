"""Uploads with the queue on (ACTAS_QUEUE=on, PostgreSQL): stored, a receipt leaf, a job.

The web process never decodes: the reply says ``queued``, the witness's upload page
and the table page (and their JSON twins) show the photo as pending, and a real
``actas worker`` process decodes it into a PHOTO leaf; a photo without a readable
QR joins the transcription queue. The export still verifies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from actas.__main__ import app as cli
from actas.adapters.store import people_schema as ps
from actas.app.people import Role
from actas.app.photos import queue
from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import InputError
from actas.web import create_app
from peoplekit import account, acta

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ACTAS = str(Path(sys.executable).with_name("actas"))
BASE = "https://testserver"


@pytest.fixture
def svc(queued_svc: Service) -> Service:
    return queued_svc


def decode_jobs_left(settings: Settings) -> int:
    with psycopg.connect(queue.conninfo(settings.database_url)) as conn:
        [(n,)] = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            " AND task_name = %s",
            (queue.DECODE,),
        ).fetchall()
    return int(n)


@pytest.mark.postgres
def test_uploads_are_queued_pending_then_decoded_by_a_worker(svc: Service, tmp_path: Path) -> None:
    settings = svc.settings
    assert settings.queue
    witness, _, token = account(svc, "wit", Role.WITNESS)
    auth = {"authorization": f"Bearer {token}"}
    good, unreadable = acta(0), acta(1, with_qr=False)
    app = create_app(settings, svc, ttl=0)
    with TestClient(app, base_url=BASE) as client:

        def send(image: bytes, table: str) -> dict[str, object]:
            r = client.post(
                "/api/v1/uploads",
                headers=auth,
                files={"photo": ("acta.jpg", image, "image/jpeg")},
                data={"table": table},
            )
            assert r.status_code == 201, r.text
            return dict(r.json())

        sent = send(good.image, good.table_id)
        assert sent["status"] == "queued" and sent["queued"] is True
        assert isinstance(sent["seq"], int) and len(str(sent["leaf_hash"])) == 64
        receipt = sent["seq"]
        other = send(unreadable.image, unreadable.table_id)
        assert svc.log.size() == receipt + 2  # two receipts, nothing decoded in the web process

        view = client.get(f"/api/v1/uploads/{receipt}", headers=auth).json()
        assert view["pending"] is True and view["read"] is False
        assert 'id="pending"' in client.get(f"/people/uploads/{receipt}", headers=auth).text
        table = client.get(f"/api/v1/tables/{good.table_id}").json()
        assert [p["seq"] for p in table["pending"]] == [receipt]
        assert 'id="pending"' in client.get(f"/tables/{good.table_id}").text
        r = client.post(f"/api/v1/uploads/{receipt}/confirm", headers=auth, json={"agree": True})
        assert r.status_code == 400  # nothing to confirm before it is read

        env = {
            **os.environ,
            "ACTAS_HOME": str(settings.home),
            "ACTAS_DATABASE_URL": settings.database_url,
            "ACTAS_BLOBS": settings.blobs,
        }
        worker = subprocess.Popen(
            [ACTAS, "worker", "--queue", "photos", "--stalled-after", "10"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            end = time.monotonic() + 180
            while decode_jobs_left(settings):
                assert time.monotonic() < end, "the worker did not decode the uploads"
                time.sleep(0.3)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)

        view = client.get(f"/api/v1/uploads/{receipt}", headers=auth).json()
        assert view["pending"] is False and view["read"] is True
        assert view["receipt_seq"] == receipt and view["seq"] != receipt
        assert view["table_id"] == good.table_id
        table = client.get(f"/api/v1/tables/{good.table_id}").json()
        assert table["pending"] == []
        [photo] = [s for s in table["submissions"] if s["kind"] == "photo"]
        assert photo["seq"] == view["seq"] and photo["counts"]["options"] == list(good.options)
        assert 'id="pending"' not in client.get(f"/tables/{good.table_id}").text
        r = client.post(f"/api/v1/uploads/{receipt}/confirm", headers=auth, json={"agree": True})
        assert r.status_code == 201, r.text

    with svc.store.read() as conn:
        assert svc.store.submission(view["seq"], conn).actor == witness.actor
        tasks = conn.execute(select(ps.photo_tasks.c.photo_seq, ps.photo_tasks.c.reason)).all()
        [unread_seq] = svc.store.seqs_by_blob(str(other["sha256"]), conn)
    assert [(int(s), r) for s, r in tasks] == [(unread_seq, "no_qr")]  # for volunteers
    bundle = tmp_path / "bundle"
    svc.export(bundle)
    result = CliRunner().invoke(cli, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output


def test_the_queue_needs_postgresql(tmp_path: Path) -> None:
    settings = Settings.from_env(env={"ACTAS_QUEUE": "on"}, home=tmp_path / "home")
    svc = Service.init(settings, "demo")
    try:
        with pytest.raises(InputError, match="PostgreSQL"):
            create_app(settings, svc)
    finally:
        svc.close()
    with pytest.raises(InputError, match="ACTAS_QUEUE"):
        Settings.from_env(env={"ACTAS_QUEUE": "maybe"}, home=tmp_path)
