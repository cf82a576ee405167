"""Letters: each kind renders as an official letter with its number, names and Indonesian date, and a QR
code that opens the verification page; numbers never repeat; issued bytes never change."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
from sqlmodel import select

from app.batches.models import BatchItem
from app.letters.models import Letter
from app.letters.render import renderer
from app.regions.models import Region
from app.web import MONTHS_ID
from tests.conftest import add_batch, add_request, csrf_from, login
from tests.letters.helpers import pdf_fonts, pdf_meta, pdf_png, pdf_text, qr_texts, settings_form


def _today_text() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    return f"{today.day} {MONTHS_ID[today.month - 1]} {today.year}"


def _issue(client, path: str) -> None:
    token = csrf_from(client.get(path).text)
    response = client.post(f"{path}/surat", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


def _letters(db, **where) -> list[Letter]:
    db.expire_all()
    query = select(Letter).order_by(Letter.id)
    for key, value in where.items():
        query = query.where(getattr(Letter, key) == value)
    return list(db.exec(query))


def _reviewed_batch(db):
    """A batch of three requests of Kenanten, reviewed: one approved, one rejected, one returned."""
    first = add_request(db, "35.16.11.2017", "alice", name="ANI LESTARI", serial=1)
    batch = add_batch(db, first, "alice", submitted=True)
    others = []
    for serial, name in ((2, "BUDI SANTOSO"), (3, "CITRA DEWI")):
        item = add_request(db, "35.16.11.2017", "alice", status="submitted", name=name, serial=serial)
        item.batch_id = batch.id
        db.add(BatchItem(batch_id=batch.id, request_id=item.id))
        others.append(item)
    db.commit()
    for entry in db.exec(select(BatchItem).where(BatchItem.batch_id == batch.id)):
        entry.decision = {first.id: "approved", others[0].id: "rejected", others[1].id: "returned"}[entry.request_id]
        entry.reason = None if entry.request_id == first.id else "Foto KK tidak terbaca"
        db.add(entry)
    batch.status = "reviewed"
    db.add(batch)
    village = db.get(Region, "35.16.11.2017")
    village.head_name, village.office_address = "SUPRIYADI", "Jl. Raya Kenanten No. 1, Puri"
    village.sign_as, village.signer_title, village.signer_name = "a.n.", "Sekretaris Desa", "DWI HARTONO"
    district = db.get(Region, "35.16.11")
    district.head_name, district.head_nip = "Drs. HARIYANTO, M.Si.", "196805121990031005"
    db.add(village)
    db.add(district)
    db.commit()
    return batch, first


def test_each_letter_kind_reads_as_an_official_letter(client, db, tmp_path, app):
    batch, approved = _reviewed_batch(db)
    approved.status, approved.output_number = "completed", "3516-LT-23112026-0042"
    db.add(approved)
    db.commit()
    login(client, "alice")
    _issue(client, f"/permohonan/{approved.id}")
    _issue(client, f"/kiriman/{batch.id}")
    letters = {x.kind: x for x in _letters(db)}
    assert set(letters) == {"receipt", "completion", "cover", "review"}
    public_url = app.plugins.get("PortalPlugin").config.public_url
    expectations = {
        "receipt": [
            "TANDA TERIMA PERMOHONAN",
            "ANI LESTARI",
            approved.number,
            "PIN cek status",
            "a.n. Kepala Desa Kenanten",
            "DWI HARTONO",
        ],
        "completion": ["TANDA BUKTI SELESAI", "ANI LESTARI", "3516-LT-23112026-0042"],
        "cover": ["SURAT PENGANTAR KIRIMAN", batch.number, "ANI LESTARI", "BUDI SANTOSO", "CITRA DEWI", "3516••••••••"],
        "review": [
            "HASIL VERIFIKASI KECAMATAN",
            "PEMERINTAH KABUPATEN MOJOKERTO",
            "KECAMATAN PURI",
            "Ditolak",
            "Foto KK tidak terbaca",
            "Drs. HARIYANTO, M.Si.",
            "NIP. 196805121990031005",
        ],
    }
    for kind, letter in letters.items():
        response = client.get(f"/surat/{letter.id}")
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.content, tmp_path)
        assert f"Nomor: {letter.number}" in text, kind
        assert re.fullmatch(r"400\.12/00\d/(TTP|SPK|HVK|TBS)/35\.16\.11(\.2017)?/[IVX]+/\d{4}", letter.number), (
            letter.number
        )
        assert _today_text() in text, kind
        for words in expectations[kind]:
            assert words in text, (kind, words)
        assert "3516111208900001" not in text and "3516110101090001" not in text  # no full NIK or KK on paper
        png = pdf_png(response.content, tmp_path, name=kind)
        assert qr_texts(png) == [f"{public_url}/verify/{letter.token}"], kind
        assert 'pdfaid:part="2"' in pdf_meta(response.content, tmp_path)
        fonts = pdf_fonts(response.content, tmp_path)
        assert "Letter-Serif" in fonts and " no " not in fonts.split("\n", 2)[2]  # every font embedded
        disposition = response.headers["content-disposition"]
        assert re.fullmatch(r'attachment; filename="[a-z-]+-(PPD|KRM)-[0-9A-Z-]+\.pdf"', disposition), disposition
    assert letters["review"].office_code == "35.16.11"  # the district signs its review


def test_numbers_follow_office_kind_and_year_without_gaps(db, app, tmp_path, monkeypatch):
    from app.attachments.storage import FileStore
    from app.letters import service
    from app.letters.models import LetterKind

    config = app.plugins.get("PortalPlugin").config
    store = FileStore(config.data_dir / "files")
    a1, a2 = add_request(db, "35.16.11.2017", "alice", serial=1), add_request(db, "35.16.11.2017", "alice", serial=2)
    b1 = add_request(db, "35.16.11.2009", "bob", serial=3)
    today = date(2026, 12, 30)

    def issue(item, on=today):
        return service.issue(db, config, store, LetterKind.RECEIPT, request=item, actor=None, today=on)

    assert issue(a1).number == "400.12/001/TTP/35.16.11.2017/XII/2026"
    assert issue(b1).number == "400.12/001/TTP/35.16.11.2009/XII/2026"  # another office counts on its own
    # A rendering that fails issues nothing and uses up no number.
    original = renderer().pdf

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(renderer(), "pdf", broken)
    with pytest.raises(RuntimeError):
        issue(a2)
    monkeypatch.setattr(renderer(), "pdf", original)
    assert issue(a2).number == "400.12/002/TTP/35.16.11.2017/XII/2026"
    a3 = add_request(db, "35.16.11.2017", "alice", serial=4)
    assert issue(a3, date(2027, 1, 2)).number == "400.12/001/TTP/35.16.11.2017/I/2027"  # a new year starts at 001
    assert issue(a1).number == "400.12/001/TTP/35.16.11.2017/XII/2026"  # unchanged data: the same letter


def test_issued_bytes_never_change_and_a_correction_supersedes(client, db, tmp_path):
    item = add_request(db, "35.16.11.2017", "alice", name="SITI AMINAH", serial=1)
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    [first] = _letters(db)
    one, two = client.get(f"/surat/{first.id}").content, client.get(f"/surat/{first.id}").content
    assert one == two and hashlib.sha256(one).hexdigest() == first.sha256
    _issue(client, f"/permohonan/{item.id}")  # nothing changed: no new letter
    assert len(_letters(db)) == 1
    item.name = "SITI AMINAH ZAHRA"  # the clerk corrected the name
    db.add(item)
    db.commit()
    _issue(client, f"/permohonan/{item.id}")
    old, new = _letters(db)
    assert (old.status, old.superseded_by, new.status) == ("superseded", new.id, "valid")
    assert new.number != old.number and new.token != old.token
    assert client.get(f"/surat/{old.id}").content == one  # the old bytes stay as they were
    assert "SITI AMINAH ZAHRA" in pdf_text(client.get(f"/surat/{new.id}").content, tmp_path)
    page = client.get(f"/permohonan/{item.id}").text
    assert new.number in page and "Versi lama" in page


def test_verification_page(client, db, tmp_path):
    item = add_request(db, "35.16.11.2017", "alice", name="SITI AMINAH", serial=1)
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    [letter] = _letters(db)
    pdf = client.get(f"/surat/{letter.id}").content
    client.cookies.clear()  # the public, without login
    page = client.get(f"/verify/{letter.token}")
    assert page.status_code == 200
    for words in ("Sah", letter.number, "Tanda terima permohonan", "Desa Kenanten", "S*** A***"):
        assert words in page.text
    assert "SITI AMINAH" not in page.text and item.nik not in page.text
    token = csrf_from(page.text)
    same = client.post(f"/verify/{letter.token}", data={"_csrf_token": token}, files={"file": ("surat.pdf", pdf)})
    assert "sama persis" in same.text
    edited = pdf.replace(b"SITI", b"SITA") if b"SITI" in pdf else pdf + b"\n%edited"
    changed = client.post(f"/verify/{letter.token}", data={"_csrf_token": token}, files={"file": ("surat.pdf", edited)})
    assert "tidak sama" in changed.text
    assert client.get("/verify/" + "x" * 43).status_code == 404
    # Superseded: the old token says so.
    item.name = "SITI AMINAH ZAHRA"
    db.add(item)
    db.commit()
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    client.cookies.clear()
    assert "Sudah diganti versi baru" in client.get(f"/verify/{letter.token}").text


def test_verification_is_rate_limited(client, db):
    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    [letter] = _letters(db)
    client.cookies.clear()
    codes = [client.get(f"/verify/{letter.token}").status_code for _ in range(32)]
    assert codes[:30] == [200] * 30 and codes[30:] == [429, 429]


def test_rendering_never_touches_the_network_or_other_files(monkeypatch):
    import socket

    from weasyprint import HTML

    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: attempts.append(address))
    fetcher = renderer().fetcher
    before = len(fetcher.refused)
    html = '<img src="http://example.com/logo.png"><link rel="stylesheet" href="file:///etc/passwd"><p>x</p>'
    HTML(string=html, base_url="file:///", url_fetcher=fetcher).write_pdf(font_config=renderer().font_config)
    assert attempts == []
    assert sorted(fetcher.refused[before:]) == ["file:///etc/passwd", "http://example.com/logo.png"]


def test_letters_wait_for_their_stage(client, db):
    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    assert [x.kind for x in _letters(db)] == ["receipt"]  # no completion slip before completion


def test_the_village_profile_sets_the_signature_block_with_a_preview(client, db, tmp_path):
    login(client, "alice")
    page = client.get("/wilayah/desa/35.16.11.2017").text
    form = {
        "_csrf_token": csrf_from(page),
        "office_address": "Jl. Raya Kenanten No. 1",
        "phone": "0321-123456",
        "head_title": "Kepala Desa Kenanten",
        "head_name": "SUPRIYADI",
        "head_nip": "",
        "sign_as": "Plt.",
        "signer_title": "",
        "signer_name": "",
        "signer_nip": "1968",
    }
    refused = client.post("/wilayah/desa/35.16.11.2017", data=form)
    assert refused.status_code == 400
    assert "Isi nama pejabat yang menandatangani (Plt.)" in refused.text and "NIP terdiri dari 18 angka" in refused.text
    form.update(signer_name="RINA WULANDARI", signer_nip="198001012005012003")
    assert client.post("/wilayah/desa/35.16.11.2017", data=form, follow_redirects=False).status_code == 303
    preview = client.get("/wilayah/desa/35.16.11.2017/pratinjau-surat.pdf")
    assert preview.status_code == 200 and preview.headers["content-type"] == "application/pdf"
    text = pdf_text(preview.content, tmp_path)
    assert "CONTOH" in text and "Plt. Kepala Desa Kenanten" in text and "RINA WULANDARI" in text
    assert "NIP. 198001012005012003" in text and "Jl. Raya Kenanten No. 1" in text
    assert db.exec(select(Letter)).all() == []  # a preview is never numbered or stored


def test_the_district_operator_keeps_the_district_profile(client, db, tmp_path):
    login(client, "dave")
    page = client.get("/wilayah/kecamatan/35.16.11")
    assert "Ubah profil kecamatan" in page.text
    form = {name: "" for name in ("office_address", "phone", "head_nip", "sign_as", "signer_title", "signer_name")}
    form.update(
        _csrf_token=csrf_from(page.text),
        head_title="Camat Puri",
        head_name="Drs. HARIYANTO, M.Si.",
        head_nip="196805121990031005",
        signer_nip="",
        office_address="Jl. Raya Puri No. 5",
    )
    assert client.post("/wilayah/kecamatan/35.16.11", data=form, follow_redirects=False).status_code == 303
    text = pdf_text(client.get("/wilayah/kecamatan/35.16.11/pratinjau-surat.pdf").content, tmp_path)
    assert "KECAMATAN PURI" in text and "Drs. HARIYANTO, M.Si." in text and "NIP. 196805121990031005" in text
    login(client, "erin")  # another district's operator may not change it (with a token of their own session)
    assert (
        client.post(
            "/wilayah/kecamatan/35.16.11", data={**form, "_csrf_token": csrf_from(client.get("/").text)}
        ).status_code
        == 404
    )
    login(client, "alice")  # a clerk sees the district, but does not keep its profile
    assert (
        client.post(
            "/wilayah/kecamatan/35.16.11", data={**form, "_csrf_token": csrf_from(client.get("/").text)}
        ).status_code
        == 403
    )


def test_the_admin_sets_number_format_paper_and_emblem(client, db, tmp_path):
    import io
    import subprocess

    from PIL import Image

    login(client, "grace")
    page = client.get("/admin/surat/")
    assert page.status_code == 200 and "400.12/007/TTP/35.16.11.2017/" in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/admin/surat/",
        data={
            "_csrf_token": token,
            "number_format": "{klasifikasi}/{nomor}/{tahun}",
            "classification": "400.12",
            "paper": "A4",
        },
        files={"logo": ("lambang.png", b"", "image/png")},
    )
    assert bad.status_code == 400 and "Format harus memuat {jenis}, {kantor}" in bad.text
    emblem = io.BytesIO()
    Image.new("RGB", (120, 140), (200, 30, 30)).save(emblem, format="PNG")
    saved = client.post(
        "/admin/surat/",
        data={
            "_csrf_token": token,
            "number_format": "{klasifikasi}/{nomor}-{jenis}/{kantor}/{tahun}",
            "classification": "400.12.2",
            "paper": "F4",
        },
        files={"logo": ("lambang.png", emblem.getvalue(), "image/png")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    preview = client.get("/admin/surat/pratinjau.pdf").content
    path = tmp_path / "preview.pdf"
    path.write_bytes(preview)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "609.449 x 935.433 pts" in info  # 215 × 330 mm
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) - 2 >= 2  # the emblem and the QR code

    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    [letter] = _letters(db)
    assert re.fullmatch(r"400\.12\.2/001-TTP/35\.16\.11\.2017/\d{4}", letter.number), letter.number


def test_a_large_transparent_emblem_is_stored_small_and_a_damaged_one_refused(client, db, app):
    """Every letter embeds the emblem and WeasyPrint re-encodes it for each one: a 1500-pixel upload is kept at
    320 pixels, on white; a file that only looks like a PNG is refused in Indonesian and nothing changes."""
    import io

    from PIL import Image, ImageDraw

    from app.attachments.controllers import file_store
    from app.letters.models import LetterSettings

    big = Image.new("RGBA", (1200, 1500), (0, 0, 0, 0))  # transparent around a green shield
    ImageDraw.Draw(big).polygon([(600, 20), (1180, 400), (1000, 1480), (200, 1480), (20, 400)], fill=(0, 110, 50, 255))
    upload = io.BytesIO()
    big.save(upload, format="PNG")
    assert len(upload.getvalue()) < 512 * 1024
    login(client, "grace")
    form = settings_form(client)
    saved = client.post("/admin/surat/", data=form, files={"logo": ("lambang.png", upload.getvalue(), "image/png")})
    assert saved.status_code == 200 and "Pengaturan surat tersimpan" in saved.text
    settings = db.exec(select(LetterSettings)).one()
    kept = settings.logo_sha256
    stored = Image.open(io.BytesIO(file_store(app.plugins.get("PortalPlugin").config).get(kept)))
    assert stored.size == (256, 320) and stored.mode == "RGB"
    assert stored.getpixel((5, 5)) == (255, 255, 255) and stored.getpixel((128, 200)) == (0, 110, 50)

    damaged = b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10
    refused = client.post("/admin/surat/", data=form, files={"logo": ("lambang.png", damaged, "image/png")})
    assert refused.status_code == 400 and "tidak dapat dibaca sebagai gambar" in refused.text
    db.refresh(settings)
    assert settings.logo_sha256 == kept


def test_the_issuing_office_revokes_a_letter_and_issues_it_again(client, db):
    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    [letter] = _letters(db)
    page = client.get(f"/permohonan/{item.id}").text
    assert "Cabut surat ini" in page
    refused = client.post(f"/surat/{letter.id}/cabut", data={"_csrf_token": csrf_from(page), "reason": " "})
    assert refused.status_code == 400 and "alasan pencabutan" in refused.text
    login(client, "dave")  # the district sees the request but did not issue its receipt
    assert "Cabut surat ini" not in client.get(f"/permohonan/{item.id}").text
    token = csrf_from(client.get("/").text)
    assert client.post(f"/surat/{letter.id}/cabut", data={"_csrf_token": token, "reason": "x"}).status_code == 403
    login(client, "alice")  # a new session: its own token
    done = client.post(
        f"/surat/{letter.id}/cabut",
        data={"_csrf_token": csrf_from(client.get(f"/permohonan/{item.id}").text), "reason": "Salah cetak"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    client.cookies.clear()
    public = client.get(f"/verify/{letter.token}").text
    assert "Dicabut" in public and "dicabut oleh kantor penerbit" in public and "Salah cetak" not in public
    login(client, "alice")
    _issue(client, f"/permohonan/{item.id}")
    old, new = _letters(db)
    assert (old.status, new.status) == ("revoked", "valid") and new.number.startswith("400.12/002/TTP/")
    token = csrf_from(client.get(f"/permohonan/{item.id}").text)
    again = client.post(f"/surat/{old.id}/cabut", data={"_csrf_token": token, "reason": "lagi"})
    assert again.status_code == 409


def test_an_emblem_stored_before_uploads_were_normalized_prints_normalized(tmp_path):
    import base64
    import io

    from PIL import Image

    from app.attachments.storage import FileStore
    from app.letters.models import LetterSettings
    from app.letters.service import logo_uri

    store = FileStore(tmp_path)
    old = io.BytesIO()
    Image.new("RGBA", (900, 1000), (0, 110, 50, 255)).save(old, format="PNG")
    uri = logo_uri(store, LetterSettings(regency_code="35.16", logo_sha256=store.put(old.getvalue())))
    printed = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert (printed.format, printed.mode, printed.size) == ("PNG", "RGB", (288, 320))
