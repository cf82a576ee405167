"""Scans are deleted a stated period after their request is completed or rejected (UU PDP); issued
documents, open requests and files another request still uses are kept."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from sqlmodel import select

from app.attachments.models import Attachment
from app.attachments.storage import FileStore
from app.audit.models import AuditEntry
from app.db import utcnow
from tests.conftest import PDF_BYTES, add_file, add_request, csrf_from, login

SHARED = b"%PDF-1.4\n% a family card scanned once, used for two requests\n%%EOF\n"
ONLY_A = b"%PDF-1.4\n% a birth certificate scan\n%%EOF\n"


def _aged(db, request, status, days):
    request.status = status
    request.status_changed_at = utcnow() - timedelta(days=days)
    db.add(request)
    db.commit()
    return request


def test_purge_deletes_old_scans_and_keeps_everything_else(run, db, client, portal_config):
    store = FileStore(portal_config.data_dir / "files")
    old = _aged(db, add_request(db, "35.16.11.2017", "alice", serial=1), "completed", 100)
    recent = _aged(db, add_request(db, "35.16.11.2017", "alice", serial=2), "completed", 10)
    rejected = _aged(db, add_request(db, "35.16.11.2017", "alice", serial=3), "rejected", 91)
    still_open = add_request(db, "35.16.11.2017", "alice", serial=4)
    shared_old = add_file(db, old, "alice", data=SHARED)
    only_old = add_file(db, old, "alice", data=ONLY_A)
    output = add_file(db, old, "frank", data=PDF_BYTES, kind="output")
    kept_recent = add_file(db, recent, "alice", data=b"%PDF-1.4\n% recent\n%%EOF\n")
    gone_rejected = add_file(db, rejected, "alice", data=b"%PDF-1.4\n% rejected\n%%EOF\n")
    shared_open = add_file(db, still_open, "alice", data=SHARED)
    orphan_old = store.put(b"%PDF-1.4\n% removed from a draft long ago\n%%EOF\n")
    os.utime(store.path_for(orphan_old), (time.time() - 3 * 86400,) * 2)
    orphan_new = store.put(b"%PDF-1.4\n% an upload still being saved\n%%EOF\n")
    os.utime(store.path_for(orphan_new), (time.time(),) * 2)  # the process's clock (faketime moves only that)

    dry = run("purge-scans", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would delete 3 scans of 2 requests" in dry.text
    assert len(db.exec(select(Attachment)).all()) == 6

    result = run("purge-scans")
    assert result.exit_code == 0, result.output
    assert "deleted 3 scans of 2 requests" in result.text
    assert "3 stored files removed" in result.text  # the two unshared scans and the old orphan
    db.expunge_all()
    left = {a.id for a in db.exec(select(Attachment))}
    assert left == {output.id, kept_recent.id, shared_open.id}
    assert not {shared_old.id, only_old.id, gone_rejected.id} & left
    assert store.path_for(shared_open.sha256).exists()  # still used by the open request
    assert not store.path_for(only_old.sha256).exists()
    assert not store.path_for(gone_rejected.sha256).exists()
    assert store.get(output.sha256) == PDF_BYTES  # the issued document is the resident's: kept byte for byte
    assert not store.path_for(orphan_old).exists()
    assert store.path_for(orphan_new).exists()
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "attachment.purge")).all()
    assert sorted(int(a.object_id) for a in audit) == sorted([old.id, rejected.id])

    login(client, "alice")
    page = client.get(f"/permohonan/{old.id}").text
    assert "Pindaian persyaratan sudah dihapus" in page and "90 hari setelah permohonan selesai" in page
    page = client.get(f"/permohonan/{recent.id}").text
    until = utcnow() + timedelta(days=80)
    assert "Pindaian persyaratan disimpan sampai" in page
    assert str(until.year) in page

    again = run("purge-scans")
    assert "deleted 0 scans of 0 requests" in again.text


def test_old_imports_lose_their_row_copies(run, db, client):
    from tests.conftest import add_import

    old, recent = add_import(db, "35.16.11.2017", "alice"), add_import(db, "35.16.11.2017", "alice")
    old.created_at = utcnow() - timedelta(days=91)
    old.bad_rows = [[3, "3516111208900001", "WARGA"]]
    db.add(old)
    db.commit()
    result = run("purge-scans")
    assert "Rows copied by 1 older spreadsheet imports deleted." in result.text
    db.expire_all()
    assert (old.bad_rows, old.good_rows, old.rows_removed_at is not None) == ([], [], True)
    assert recent.good_rows and recent.rows_removed_at is None
    login(client, "alice")
    page = client.get(f"/impor/{old.id}").text
    assert "Salinan baris berkas ini sudah dihapus" in page and "Simpan 1 permohonan" not in page
    assert client.post(f"/impor/{old.id}/simpan", data={"_csrf_token": csrf_from(page)}).status_code == 409
