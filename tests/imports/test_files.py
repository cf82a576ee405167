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


def _ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet (what LibreOffice Calc saves), text cells only."""

    def cell(value: str) -> str:
        value = str(value).replace("&", "&amp;").replace("<", "&lt;")
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="KTP_BARU">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xls(rows: list[list[str]]) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("KTP_BARU")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "writer"), [("data.ods", _ods), ("data.xls", _xls)])
def test_ods_and_legacy_xls_are_read(client, db, name, writer):
    login(client, "alice")
    rows = [HEADER, [str(v) for v in _good_row(1)], [str(v) for v in _good_row(2)]]
    response = upload(client, writer(rows), name=name)
    db.expire_all()
    item = db.get(Import, int(response.headers["location"].rsplit("/", 1)[1]))
    assert (item.status, item.service_code, item.rows, item.valid) == ("checked", "KTP_BARU", 2, 2), item.problem


def test_extra_columns_warn_and_open_requests_warn(client, db):
    from tests.conftest import add_request

    login(client, "alice")
    existing = add_request(db, "35.16.11.2017", "alice", serial=1)  # KTP_BARU, still a draft
    rows = [["No", *HEADER], ["1", *[str(v) for v in _good_row(1)]], ["2", *[str(v) for v in _good_row(2)]]]
    response = upload(client, _xls(rows), name="data.xls")
    db.expire_all()
    item = db.get(Import, int(response.headers["location"].rsplit("/", 1)[1]))
    assert (item.valid, item.invalid, item.warnings) == (2, 0, 2)
    notes = {(e["row"], e["column"]): e["message"] for e in item.errors}
    assert notes[(1, "No")] == "Kolom tidak dikenal; isinya diabaikan."
    assert existing.number in notes[(2, "NIK")] and "masih berjalan" in notes[(2, "NIK")]


def test_a_file_over_the_size_limit_is_refused(client, db):
    from app.imports.reader import MAX_BYTES

    login(client, "alice")
    line = ",".join(map(str, _good_row(1))) + "\n"
    data = (",".join(HEADER) + "\n" + line * (MAX_BYTES // len(line) + 1)).encode()
    assert "melebihi batas 10 MB" in _refused(client, db, data, name="besar.csv", service="KTP_BARU")
