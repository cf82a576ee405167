"""Scans may not carry active content: a PDF with scripts, automatic actions or attached files, or a file that
is half PDF and half web page, is refused with the reason in Indonesian. Every stored file, however it came in,
is downloaded as a file (never shown inline), not sniffed, and sandboxed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.attachments.models import Attachment
from app.attachments.storage import FileStore
from tests.attachments import pdfs
from tests.attachments.test_attachments import _upload
from tests.conftest import add_request, login


def _stored(portal_config) -> set[str]:
    return set(FileStore(portal_config.data_dir / "files").digests())


def test_a_plain_scan_is_accepted_and_downloads_as_a_file_never_as_a_page(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    scan = pdfs.scan_pdf()
    login(client, "alice")
    assert _upload(client, item.id, scan).status_code == 303
    stored = db.exec(select(Attachment)).one()
    download = client.get(f"/lampiran/{stored.id}")
    assert download.content == scan
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"].startswith("sandbox;")


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (pdfs.with_open_action_javascript, "konten aktif (JavaScript)"),
        (pdfs.with_hidden_javascript_name, "konten aktif (JavaScript)"),
        (pdfs.with_launch_on_page_open, "konten aktif (tindakan otomatis)"),
        (pdfs.with_embedded_file, "konten aktif (berkas sisipan atau media)"),
    ],
)
def test_a_pdf_with_active_content_is_refused_with_the_reason(client, db, portal_config, build, reason):
    item = add_request(db, "35.16.11.2017", "alice")
    before = _stored(portal_config)
    login(client, "alice")
    response = _upload(client, item.id, build())
    assert response.status_code == 400
    assert reason in response.text and "pindai ulang" in response.text
    assert db.exec(select(Attachment)).first() is None
    assert _stored(portal_config) == before  # not even the bytes are kept


@pytest.mark.parametrize("with_pdf_after", [False, True], ids=["html-only", "html-then-a-whole-pdf"])
def test_a_pdf_and_html_polyglot_is_refused(client, db, portal_config, with_pdf_after):
    item = add_request(db, "35.16.11.2017", "alice")
    before = _stored(portal_config)
    login(client, "alice")
    response = _upload(client, item.id, pdfs.html_polyglot(with_pdf_after=with_pdf_after))
    assert response.status_code == 400
    assert "berisi kode halaman web (HTML/skrip)" in response.text
    assert db.exec(select(Attachment)).first() is None
    assert _stored(portal_config) == before


def test_a_file_that_only_starts_like_a_pdf_is_refused(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    response = _upload(client, item.id, b"%PDF-1.7\n" + bytes(range(256)) * 8)
    assert response.status_code == 400 and "tidak dapat dibaca sebagai PDF" in response.text
    assert db.exec(select(Attachment)).first() is None


def test_image_bytes_that_happen_to_spell_a_short_tag_after_the_start_are_still_a_scan(client, db):
    """Compressed image data holds any four bytes somewhere: `<svg` deep in a photo is not a web page."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(out, "JPEG")
    photo = out.getvalue()
    photo = photo[:-2] + b"\x00" * 5000 + b"<svg " + b"\x00" * 100 + photo[-2:]
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    assert _upload(client, item.id, photo).status_code == 303
