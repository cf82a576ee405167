"""Scans of required documents and Dukcapil's issued PDFs: type checked from content, size-limited, stored
byte for byte under their SHA-256, downloaded only within scope, under names built from public numbers."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from app.attachments.models import Attachment
from app.attachments.service import MAX_SCAN
from tests.attachments.pdfs import scan_pdf
from tests.conftest import PDF_BYTES, add_request, csrf_from, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _upload(client, request_id, data, *, filename="scan.pdf", label="Kartu Keluarga", path="lampiran"):
    token = csrf_from(client.get(f"/permohonan/{request_id}").text)
    return client.post(
        f"/permohonan/{request_id}/{path}",
        data={"_csrf_token": token, "label": label},
        files={"file": (filename, data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_a_clerk_attaches_scans_and_downloads_them_unchanged(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    for data in (scan_pdf(), PNG, JPEG):
        assert _upload(client, item.id, data, filename="3516111208900001.pdf").status_code == 303
    files = db.exec(select(Attachment).order_by(Attachment.id)).all()
    assert [f.media_type for f in files] == ["application/pdf", "image/png", "image/jpeg"]
    page = client.get(f"/permohonan/{item.id}").text
    assert "3516111208900001.pdf" not in page  # the uploaded file name, often a NIK, is not kept
    download = client.get(f"/lampiran/{files[1].id}")
    assert download.content == PNG
    disposition = download.headers["content-disposition"]
    assert disposition == f'attachment; filename="{item.number}-lampiran-2.png"'


def test_content_decides_the_type_not_the_name(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    response = _upload(client, item.id, b"MZ\x90\x00 not a scan", filename="ktp.pdf")
    assert response.status_code == 400
    assert "Isi berkas bukan JPG atau PDF atau PNG." in response.text
    assert db.exec(select(Attachment)).first() is None


def test_big_scans_are_refused_with_the_size_in_the_message(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    response = _upload(client, item.id, PDF_BYTES + b"0" * MAX_SCAN)
    assert response.status_code == 400 and "melebihi batas 5 MB" in response.text


def test_the_label_must_be_one_of_the_services_requirements(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    assert _upload(client, item.id, PDF_BYTES, label="Surat sakti").status_code == 400


def test_a_sent_request_takes_no_more_scans(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    login(client, "alice")
    assert _upload(client, item.id, PDF_BYTES).status_code == 409


def test_dukcapil_uploads_the_issued_pdf_which_is_kept_byte_for_byte(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="processing")
    signed = PDF_BYTES + b"% signature bytes \x00\x01\x02\n"
    login(client, "frank")
    assert _upload(client, item.id, PNG, path="dokumen").status_code == 400  # PDF only
    assert _upload(client, item.id, signed, path="dokumen", label="Kutipan akta kelahiran").status_code == 303
    stored = db.exec(select(Attachment)).one()
    assert stored.sha256 == hashlib.sha256(signed).hexdigest() and stored.kind == "output"
    client.cookies.clear()
    login(client, "alice")  # the clerk prints it for the resident
    download = client.get(f"/lampiran/{stored.id}")
    assert download.content == signed
    assert download.headers["x-content-sha256"] == stored.sha256
    assert download.headers["content-disposition"].endswith(f'{item.number}-dokumen-1.pdf"')


def test_a_clerk_cannot_upload_issued_documents_nor_dukcapil_scans(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="processing")
    login(client, "alice")
    assert _upload(client, item.id, PDF_BYTES, path="dokumen").status_code == 403
    draft = add_request(db, "35.16.11.2017", "alice", serial=2)
    client.cookies.clear()
    login(client, "frank")
    assert _upload(client, draft.id, PDF_BYTES).status_code == 403


def test_downloads_are_audited(client, db):
    from app.audit.models import AuditEntry

    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    _upload(client, item.id, scan_pdf())
    client.get(f"/lampiran/{db.exec(select(Attachment)).one().id}")
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "attachment.download")).one().actor_username == "alice"
