"""Files that cannot be used are refused as a whole with a clear Indonesian reason (never a 500), and CSV
files are read the way clerks' computers write them."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlmodel import select

from app.imports.models import Import
from app.imports.reader import MAX_ROWS
from app.requests.models import Request
from tests.conftest import login
from tests.imports.helpers import fill, person, upload

HEADER = list(person(1))


def _refused(client, db, data: bytes, name: str = "data.xlsx", **kwargs) -> str:
    response = upload(client, data, name=name, **kwargs)
    assert response.status_code == 303, response.text[:300]
    db.expire_all()
    item = db.exec(select(Import).order_by(Import.id.desc())).first()
    assert item.status == "rejected" and item.rows == 0
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "Berkas tidak dapat dipakai" in page.text
    return item.problem


def _workbook(rows: list[list], *, title: str = "KTP_BARU", merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _good_row(serial: int) -> list:
    return list(person(serial).values())


def test_unusable_files_are_refused_with_reasons(client, db):
    login(client, "alice")
    template = client.get("/impor/templat.xlsx?layanan=KTP_BARU").content
    assert "Berkas kosong" in _refused(client, db, b"")
    assert ".xlsx, .xls, .ods atau .csv" in _refused(client, db, b"%PDF-1.4", name="data.pdf")
    assert "rusak" in _refused(client, db, b"PK\x03\x04 not really a zip", name="data.xlsx")
    assert "dilindungi kata sandi" in _refused(client, db, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert "buku kerja Excel yang diberi nama .csv" in _refused(client, db, template, name="data.csv")
    assert "hanya berisi judul kolom" in _refused(client, db, fill(template, []))
    assert "tidak berisi data" in _refused(client, db, _workbook([]))

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    assert "terlalu besar setelah dibuka" in _refused(client, db, bomb.getvalue())

    with_formula = _workbook([HEADER, [*_good_row(1)[:2], "=A2", *_good_row(1)[3:]]])
    problem = _refused(client, db, with_formula)
    assert "rumus" in problem and "C2" in problem

    merged = _workbook([["Data permohonan", "", *HEADER[2:]], _good_row(1)], merge="A1:B1")
    assert "sel gabungan" in _refused(client, db, merged)

    misspelled = ["NIK", "Nomor K.K.", "Nama lengkp", *HEADER[3:]]
    problem = _refused(client, db, _workbook([misspelled, _good_row(1)]))
    assert '"Nama lengkap"' in problem and '"Nama lengkp"' in problem  # the missing and the likely typo
    assert "Nomor KK" not in problem.split("tidak dikenal")[0].replace('"Nomor K.K."', "")  # matched anyway

    too_many = "\n".join([",".join(HEADER)] + [",".join(map(str, _good_row(1)))] * (MAX_ROWS + 1))
    assert "lebih dari 10.000 baris" in _refused(client, db, too_many.encode(), name="banyak.csv", service="KTP_BARU")

    no_service = "\n".join([",".join(HEADER), ",".join(map(str, _good_row(1)))])
    assert "Layanan belum diketahui" in _refused(client, db, no_service.encode(), name="tanpa-layanan.csv")
    assert db.exec(select(Request)).all() == []


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("utf-8", ","), ("cp1252", ";")])
def test_csv_as_excel_writes_it(client, db, encoding, delimiter):
    login(client, "alice")
    rows = [HEADER, _good_row(1), {**person(2), "Nama lengkap": "WARGA BÉ", "Alamat": "JL. KENANGA; 7"}.values()]
    lines = []
    for row in rows:
        cells = [str(c) for c in row]
        lines.append(delimiter.join(f'"{c}"' if delimiter in c else c for c in cells))
    data = "\r\n".join(lines).encode(encoding)
    response = upload(client, data, name="data.csv", service="KTP_BARU")
    db.expire_all()
    item = db.get(Import, int(response.headers["location"].rsplit("/", 1)[1]))
    assert (item.rows, item.valid, item.invalid) == (2, 1, 1), item.errors
    [error] = [e for e in item.errors if e["level"] == "error"]
    assert (error["row"], error["column"]) == (3, "Nama lengkap")  # É is not a letter of KK/KTP names
    assert item.good_rows[0]["values"]["name"] == "WARGA B"


def test_dates_and_numbers_as_clerks_type_them(client, db):
    import datetime

    login(client, "alice")
    template = client.get("/impor/templat.xlsx?layanan=KTP_BARU").content
    rows = []
    for serial, written in enumerate(["12-08-1990", "12/08/1990", "1990-08-12", datetime.date(1990, 8, 12)], 1):
        rows.append({**person(serial), "Tanggal lahir": written, "RT": 3, "Nomor HP": 81234567890})
    book = openpyxl.load_workbook(io.BytesIO(fill(template, rows)))
    book.worksheets[0]["F5"].number_format = "dd/mm/yyyy"  # an Excel date cell
    out = io.BytesIO()
    book.save(out)
    response = upload(client, out.getvalue())
    db.expire_all()
    item = db.get(Import, int(response.headers["location"].rsplit("/", 1)[1]))
    assert (item.valid, item.invalid) == (4, 0), item.errors
    values = [g["values"] for g in item.good_rows]
    assert {v["birth_date"] for v in values} == {"1990-08-12"}
    assert {v["rt"] for v in values} == {"003"} and {v["phone"] for v in values} == {"081234567890"}
