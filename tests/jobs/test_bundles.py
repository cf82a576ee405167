"""A batch's letters as one download, made in the background: from the batch page and the API, with the
job queue's real storage (huey), a process pool for the rendering, and a retry when a worker dies."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pikepdf
import pytest
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from app.batches.service import items_of
from app.db import utcnow
from app.jobs import service
from app.jobs.models import Job
from app.letters.models import Letter
from tests.conftest import csrf_from, login
from tests.letters.helpers import pdf_text
from tests.letters.test_letters import _reviewed_batch


def _drain(app) -> int:
    """Run what the queue holds, as `litestar portal worker` would; returns how many tasks ran."""
    huey = app.plugins.get("PortalPlugin").jobs.huey
    ran = 0
    while (task := huey.dequeue()) is not None:
        if task.name == "portal.run_job":
            huey.execute(task)
            ran += 1
    return ran


@pytest.fixture
def queue(app):
    _drain(app)  # nothing left over from another test
    yield app.plugins.get("PortalPlugin").jobs
    _drain(app)


def test_bundles_from_the_batch_page(client, db, app, queue, tmp_path):
    batch, _ = _reviewed_batch(db)
    login(client, "alice")
    page = client.get(f"/kiriman/{batch.id}")
    assert "Unduh semua surat kiriman" in page.text
    started = client.post(f"/kiriman/{batch.id}/bundel", data={"_csrf_token": csrf_from(page.text), "format": "pdf"})
    assert started.status_code == 202 and "Menunggu giliran" in started.text
    again = client.post(f"/kiriman/{batch.id}/bundel", data={"_csrf_token": csrf_from(page.text), "format": "pdf"})
    assert again.status_code == 202  # a double click joins the same job
    assert len(db.exec(select(Job)).all()) == 1
    assert _drain(app) == 1
    job = db.exec(select(Job)).one()
    db.refresh(job)
    assert (job.status, job.progress, job.total, job.done) == ("done", 100, 5, 5)
    shown = client.get(f"/tugas/{job.id}", headers={"HX-Request": "true"})
    assert "Siap diunduh" in shown.text and "hx-trigger" not in shown.text  # polling stops when ready
    pdf = client.get(f"/tugas/{job.id}/unduh")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f'filename="surat-{batch.number}.pdf"' in pdf.headers["content-disposition"]
    letters = db.exec(select(Letter).order_by(Letter.id)).all()
    with pikepdf.open(io.BytesIO(pdf.content)) as merged:
        assert len(merged.pages) == len(letters) == 5  # cover, review, three receipts: one page each
        with merged.open_outline() as outline:  # a bookmark per letter, named after its file
            marks = [item.title for item in outline.root]
    assert marks[:2] == [f"Surat pengantar kiriman {batch.number}", f"Hasil verifikasi kecamatan {batch.number}"]
    requests = {r.number for _, r in items_of(db, batch.id)}
    assert {mark.removeprefix("Tanda terima permohonan ") for mark in marks[2:]} == requests
    text = pdf_text(pdf.content, tmp_path)
    for letter in letters:
        assert letter.number in text

    zipped = client.post(f"/kiriman/{batch.id}/bundel", data={"_csrf_token": csrf_from(page.text), "format": "zip"})
    assert zipped.status_code == 202
    _drain(app)
    job = db.exec(select(Job).where(Job.kind == "bundle-zip")).one()
    db.refresh(job)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/tugas/{job.id}/unduh").content))
    names = sorted(archive.namelist())
    assert len(names) == 5 and f"surat-pengantar-{batch.number}.pdf" in names
    assert all(name.startswith(("surat-pengantar-", "hasil-verifikasi-", "tanda-terima-PPD-")) for name in names)
    assert len(db.exec(select(Letter)).all()) == 5  # the second bundle reused the issued letters


def test_a_job_whose_worker_died_runs_again(client, db, app, queue):
    batch, _ = _reviewed_batch(db)
    alice = db.exec(select(User).where(User.username == "alice")).one()
    job, _ = service.create_bundle_job(db, batch, fmt="zip", actor=alice)
    job.status, job.attempts, job.heartbeat_at = "running", 1, utcnow() - timedelta(minutes=10)  # its worker died
    db.add(job)
    db.commit()
    plugin = app.plugins.get("PortalPlugin")
    assert service.requeue_stalled(plugin.db, enqueue=plugin.jobs.enqueue) == [job.id]
    assert _drain(app) == 1
    db.refresh(job)
    assert (job.status, job.attempts) == ("done", 2)
    job.status, job.attempts, job.heartbeat_at = "running", 3, utcnow() - timedelta(minutes=10)
    db.add(job)
    db.commit()
    assert service.requeue_stalled(plugin.db, enqueue=plugin.jobs.enqueue) == []
    db.refresh(job)
    assert job.status == "failed"  # three workers died on it: it stops


def test_bundles_through_the_api(client, db, app, queue):
    batch, _ = _reviewed_batch(db)
    dave = db.exec(select(User).where(User.username == "dave")).one()
    headers = {"Authorization": f"Bearer {create_token(db, dave, 'uji')[1]}"}
    started = client.post(f"/api/v1/batches/{batch.id}/bundle", json={"format": "pdf"}, headers=headers)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"] == "queued"
    _drain(app)
    status = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
    assert status["status"] == "done" and status["progress"] == 100
    download = client.get(status["download_url"], headers=headers)
    assert download.status_code == 200 and len(pikepdf.open(io.BytesIO(download.content)).pages) == 5
    assert client.post(f"/api/v1/batches/{batch.id}/bundle", json={"format": "docx"}, headers=headers).status_code in (
        400,
        422,
    )


def test_the_queue_runs_on_redis_for_several_servers(db, app, tmp_path):
    """With PORTAL_REDIS_URL the same jobs go through Redis (the machine's server, a database of its own)."""
    import redis

    from app.config import PortalConfig
    from app.jobs.queue import JobQueue

    plugin = app.plugins.get("PortalPlugin")
    url = "redis://127.0.0.1:6379/13"
    redis.Redis.from_url(url).flushdb()
    config = PortalConfig(
        database_url=plugin.config.database_url,
        data_dir=plugin.config.data_dir,
        secret_key="x",
        redis_url=url,
        job_processes=1,
    )
    queue = JobQueue(config, plugin.db)
    batch, _ = _reviewed_batch(db)
    job, _ = service.create_bundle_job(db, batch, fmt="zip", actor=None)
    queue.enqueue(job.id)
    assert len(queue.huey) == 1  # waiting in Redis
    task = queue.huey.dequeue()
    queue.huey.execute(task)
    db.refresh(job)
    assert job.status == "done" and job.result_name.endswith(".zip")
    redis.Redis.from_url(url).flushdb()
