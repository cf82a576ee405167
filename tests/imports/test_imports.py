"""Bulk submission from spreadsheets through the pages: templates, upload, row-by-row checks, preview,
error report, commit (once), all within the clerk's village."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.batches.models import Batch, BatchItem
from app.catalog.definitions import BY_CODE, SERVICES
from app.db import utcnow
from app.imports.models import Import
from app.requests.models import Request, StatusChange
from tests.conftest import login
from tests.imports.helpers import commit, fill, person, service_values, upload


def _import(db, response) -> Import:
    assert response.status_code == 303, response.text[:500]
    db.expire_all()
    return db.get(Import, int(response.headers["location"].rsplit("/", 1)[1]))


@pytest.mark.parametrize("code", [None, *(s.code for s in SERVICES)])
def test_every_template_round_trips(client, db, code):
    login(client, "alice")
    query = f"?layanan={code}" if code else ""
    template = client.get(f"/impor/templat.xlsx{query}")
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("application/vnd.openxmlformats")
    codes = [code] if code else ["KTP_BARU", "AKTA_LAHIR", "PINDAH"]
    rows = []
    for serial, service_code in enumerate(codes * 2, start=1):
        row = {**person(serial), **service_values(service_code)}
        if code is None:
            row["Kode layanan"] = service_code
            row = _mixed_headers(row, service_code)
        rows.append(row)
    item = _import(db, upload(client, fill(template.content, rows)))
    assert (item.status, item.rows, item.valid, item.invalid) == ("checked", len(rows), len(rows), 0), item.errors
    page = client.get(f"/impor/{item.id}").text
    assert f"Simpan {len(rows)} permohonan" in page
    response = commit(client, item.id, create_batch=False)
    assert response.status_code == 303 and response.headers["location"] == "/permohonan/?status=draft"
    saved = db.exec(select(Request).order_by(Request.id)).all()
    assert [r.service_code for r in saved] == [c for c in codes * 2]
    assert {r.status for r in saved} == {"draft"} and {r.village_code for r in saved} == {"35.16.11.2017"}
    assert len(db.exec(select(StatusChange)).all()) == len(rows)
    first = saved[0]
    assert {k for k, v in first.fields.items() if v} == {f.name for f in BY_CODE[first.service_code].fields}
    page = client.get(f"/permohonan/{first.id}")
    assert page.status_code == 200 and first.name in page.text and "Dicatat dari impor berkas" in page.text
    assert first.created_at.tzinfo is not None and abs((utcnow() - first.created_at).total_seconds()) < 120


def _mixed_headers(row, service_code):
    """The mixed template names shared fields generally ("Alasan/keterangan", "Sebab")."""
    general = {
        "Alasan pindah": "Alasan/keterangan",
        "Alasan KK baru": "Alasan/keterangan",
        "Keterangan": "Alasan/keterangan",
        "Alasan pisah KK": "Alasan/keterangan",
    }
    return {general.get(k, k): v for k, v in row.items()}


def test_the_example_row_is_skipped_not_imported(client, db):
    login(client, "alice")
    template = client.get("/impor/templat.xlsx?layanan=KTP_BARU").content
    item = _import(db, upload(client, fill(template, [person(1)], keep_example=True)))
    assert (item.rows, item.valid) == (1, 1)
    assert any("Baris contoh" in e["message"] and e["row"] == 2 for e in item.errors)


BAD_ROWS = [
    # (header → value changes, column reported, words of the reason)
    ({"NIK": "351611120890001"}, "NIK", "harus 16 digit"),
    ({"NIK": "35161112O8900001"}, "NIK", "hanya boleh berisi angka"),
    ({"NIK": 3516111208900001}, "NIK", "angka ilmiah"),
    ({"NIK": "3516111308900001"}, "NIK", "tidak sama dengan tanggal lahir"),
    ({"NIK": "3516115208900001"}, "NIK", "jenis kelamin perempuan"),
    ({"NIK": "9916111208900001"}, "NIK", "Kode provinsi 99"),
    ({"Nomor KK": "35161101010900"}, "Nomor KK", "harus 16 digit"),
    ({"Nama lengkap": ""}, "Nama lengkap", "wajib diisi"),
    ({"Nama lengkap": "BUDI 123"}, "Nama lengkap", "hanya boleh berisi huruf"),
    ({"Tanggal lahir": "31-02-1990"}, "Tanggal lahir", "tidak dikenali"),
    ({"Tanggal lahir": "12-08-2090", "NIK": "3516111208900001"}, "Tanggal lahir", "masa depan"),
    ({"Jenis kelamin": "X"}, "Jenis kelamin", "L (laki-laki) atau P (perempuan)"),
    ({"RT": "RT TIGA"}, "RT", "diisi angka"),
    ({"RW": ""}, "RW", "diisi angka"),
    ({"Alamat": ""}, "Alamat", "wajib diisi"),
    ({"Nomor HP": "12345"}, "Nomor HP", "tidak dikenali"),
    ({"Tempat lahir": ""}, "Tempat lahir", "wajib diisi"),
    ({"Kode desa/kelurahan": "35.16.11.2009"}, "Kode desa/kelurahan", "di luar wilayah Anda"),
    ({"Kode layanan": "KTP_LAMA"}, "Kode layanan", "tidak dikenal"),
    ({"Kode layanan": "AKTA_LAHIR"}, "NIK ibu", "wajib diisi untuk layanan ini"),
]


def test_twenty_kinds_of_bad_rows_are_each_reported_and_the_fixed_report_uploads_again(client, db):
    assert len({(column, reason) for _, column, reason in BAD_ROWS}) == 20  # twenty different kinds
    login(client, "alice")
    template = client.get("/impor/templat.xlsx").content
    good = [{**person(100 + i), "Kode layanan": "KTP_BARU"} for i in range(3)]
    bad = []
    for i, (changes, _, _) in enumerate(BAD_ROWS):
        bad.append({**person(200 + i), "Kode layanan": "KTP_BARU", **changes})
    duplicate = {**good[0]}  # the same NIK and service twice in one file
    item = _import(db, upload(client, fill(template, [*good, *bad, duplicate])))
    assert (item.rows, item.valid, item.invalid) == (24, 3, 21)
    errors = {e["row"]: e for e in item.errors if e["level"] == "error"}
    for i, (_, column, reason) in enumerate(BAD_ROWS):
        row = 2 + len(good) + i  # header is row 1
        assert row in errors, (row, column, reason, item.errors)
        assert errors[row]["column"] == column, (row, errors[row])
        assert reason in errors[row]["message"], (row, errors[row])
    assert errors[25]["column"] == "NIK" and "sudah ada di baris 2" in errors[25]["message"]
    page = client.get(f"/impor/{item.id}").text
    assert "Baris yang salah (21 baris" in page and "di luar wilayah Anda" in page

    report = client.get(f"/impor/{item.id}/kesalahan.xlsx")
    assert report.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "Keterangan kesalahan" and sheet.max_row == 22
    assert sheet.cell(2, len(header)).value.startswith("Baris 5: NIK:")

    assert commit(client, item.id, create_batch=True).status_code == 303
    assert len(db.exec(select(Request)).all()) == 3  # the valid rows only; nothing of the others
    batch = db.exec(select(Batch)).one()
    assert len(db.exec(select(BatchItem).where(BatchItem.batch_id == batch.id)).all()) == 3

    # The clerk fixes every row in the report (here: fresh good data) and uploads that file.
    columns = {name: index + 1 for index, name in enumerate(header)}
    for offset in range(21):
        fixed = {**person(300 + offset), "Kode layanan": "KTP_BARU"}
        for name, value in fixed.items():
            sheet.cell(2 + offset, columns[name]).value = value
        sheet.cell(2 + offset, columns["Kode desa/kelurahan"]).value = ""
    out = io.BytesIO()
    book.save(out)
    again = _import(db, upload(client, out.getvalue(), name="kesalahan-impor.xlsx"))
    assert (again.rows, again.valid, again.invalid) == (21, 21, 0), again.errors
    assert commit(client, again.id, create_batch=False).status_code == 303
    assert len(db.exec(select(Request)).all()) == 24


def test_rows_of_another_village_are_refused_but_a_nik_from_elsewhere_is_fine(client, db):
    login(client, "alice")
    template = client.get("/impor/templat.xlsx?layanan=KTP_BARU").content
    from tests.conftest import make_nik

    moved_in = {**person(1), "NIK": make_nik("1990-08-12", "L", district="357801", serial=1)}  # Surabaya
    elsewhere = {**person(2), "Kode desa/kelurahan": "3516122007"}  # Trowulan, written without dots
    own = {**person(3), "Kode desa/kelurahan": "Kenanten"}
    item = _import(db, upload(client, fill(template, [moved_in, elsewhere, own])))
    assert (item.valid, item.invalid) == (2, 1)
    [error] = [e for e in item.errors if e["level"] == "error"]
    assert (error["row"], error["column"]) == (3, "Kode desa/kelurahan")
    commit(client, item.id, create_batch=False)
    assert {r.village_code for r in db.exec(select(Request))} == {"35.16.11.2017"}


def test_the_same_file_is_never_committed_twice(client, db):
    login(client, "alice")
    data = fill(client.get("/impor/templat.xlsx?layanan=KIA").content, [person(1), person(2)])
    first = _import(db, upload(client, data))
    assert commit(client, first.id, create_batch=True).status_code == 303
    assert commit(client, first.id, create_batch=True).status_code == 409  # a double click
    second = _import(db, upload(client, data, name="salinan.xlsx"))
    page = client.get(f"/impor/{second.id}").text
    assert "Berkas yang sama persis sudah disimpan" in page and "Simpan 2 permohonan" not in page
    response = commit(client, second.id, create_batch=True)
    assert response.status_code == 409 and "tidak dibuat dua kali" in response.text
    assert len(db.exec(select(Request)).all()) == 2 and len(db.exec(select(Batch)).all()) == 1
    actions = [a.action for a in db.exec(select(AuditEntry).where(AuditEntry.object_type == "import"))]
    assert actions.count("import.check") == 2 and actions.count("import.commit") == 1


def test_only_clerks_import(client, db):
    login(client, "dave")
    assert client.get("/impor/").status_code == 403
    assert client.get("/impor/templat.xlsx").status_code == 403


def test_two_clerks_committing_the_same_file_at_the_same_moment_create_its_requests_once(app, client, db):
    import threading

    from litestar.testing import TestClient

    from app.accounts.models import User

    alice = db.exec(select(User).where(User.username == "alice")).one()
    db.add(
        User(
            username="ani",
            full_name="Ani Kenanten",
            role="clerk",
            region_code="35.16.11.2017",
            password_hash=alice.password_hash,
        )
    )
    db.commit()
    with TestClient(app, base_url="http://testserver.local") as other:
        login(client, "alice")
        login(other, "ani")
        data = fill(client.get("/impor/templat.xlsx?layanan=KIA").content, [person(n) for n in range(1, 6)])
        imports = [_import(db, upload(client, data)), _import(db, upload(other, data, name="sama.xlsx"))]
        barrier, statuses = threading.Barrier(2), []

        def press_save(browser, item):
            barrier.wait()
            statuses.append(commit(browser, item.id, create_batch=False).status_code)

        threads = [
            threading.Thread(target=press_save, args=pair) for pair in zip((client, other), imports, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(statuses) == [303, 409]
    db.expire_all()
    assert len(db.exec(select(Request)).all()) == 5
    assert [i.status for i in db.exec(select(Import).order_by(Import.id))].count("committed") == 1
