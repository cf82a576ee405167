"""A full disk or a file store that cannot be written: the upload is refused in Indonesian (507), no row names a
file that is not there, and nothing half-written stays behind; the daily purge sweeps partial files that a
write which died (a crash, a killed worker) left."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from app.attachments.models import Attachment
from app.attachments.storage import FileStore
from tests.attachments.disk import partial_uploads, unwritable_store
from tests.attachments.pdfs import scan_pdf
from tests.attachments.test_attachments import _upload
from tests.conftest import add_request, login

FULL = "Penyimpanan berkas penuh atau tidak dapat ditulis"


@pytest.fixture
def files_dir(portal_config):
    return portal_config.data_dir / "files"


def test_a_scan_on_a_full_disk_is_refused_in_indonesian_and_nothing_is_half_written(client, db, files_dir):
    item = add_request(db, "35.16.11.2017", "alice")
    scan = scan_pdf(seed=9)  # about 100 KB, uploaded nowhere else: only the first 16 KB fit
    login(client, "alice")
    with unwritable_store(files_dir, free=16 * 1024) as how:
        response = _upload(client, item.id, scan)
        assert response.status_code == 507, (how, response.text[:300])
        assert FULL in response.text and "Hubungi admin" in response.text
        assert partial_uploads(files_dir) == []
    assert db.exec(select(Attachment)).first() is None
    assert not FileStore(files_dir).path_for(hashlib.sha256(scan).hexdigest()).exists()
    # Once there is room again, the same upload works.
    assert _upload(client, item.id, scan).status_code == 303
    assert db.exec(select(Attachment)).one().size == len(scan)


def test_the_api_upload_on_a_full_disk_answers_507_in_json(client, db, files_dir):
    item = add_request(db, "35.16.11.2017", "alice", status="processing")
    frank = db.exec(select(User).where(User.username == "frank")).one()
    _, plain = create_token(db, frank, "uji")
    with unwritable_store(files_dir, free=16 * 1024):
        response = client.post(
            f"/api/v1/requests/{item.id}/documents",
            headers={"Authorization": f"Bearer {plain}"},
            files={"file": ("kutipan.pdf", scan_pdf(), "application/pdf")},
            data={"label": "Kutipan akta kelahiran"},
        )
        assert response.status_code == 507
        assert response.json()["detail"].startswith(FULL)
        assert partial_uploads(files_dir) == []
    assert db.exec(select(Attachment)).first() is None


def test_the_purge_sweeps_partial_files_older_than_an_hour(run, db, files_dir):
    store = FileStore(files_dir)
    kept = store.put(scan_pdf(side=40))
    folder = store.path_for(kept).parent
    stale, fresh = folder / ".upload-died1234", folder / ".upload-writing5678"
    stale.write_bytes(b"%PDF-1.4\n half of a scan")
    fresh.write_bytes(b"%PDF-1.4\n being written now")
    os.utime(stale, (time.time() - 2 * 3600,) * 2)
    for young in (fresh, store.path_for(kept)):  # the process's clock, not the kernel's (faketime moves only that)
        os.utime(young, (time.time(),) * 2)
    result = run("purge-scans")
    assert result.exit_code == 0, result.output
    assert "1 half-written uploads" in result.text
    assert not stale.exists()
    assert fresh.exists()  # a write in progress is left alone
    assert store.path_for(kept).exists()  # a complete file is not a partial one
    fresh.unlink()
