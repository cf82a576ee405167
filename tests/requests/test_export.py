"""District and Dukcapil staff download the current filter as CSV or XLSX: masked NIKs, no formulas."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.conftest import add_request, login


def test_the_csv_holds_the_filtered_rows_with_masked_niks(client, db):
    add_request(db, "35.16.11.2017", "alice", status="approved", name="ANI", serial=1)
    add_request(db, "35.16.11.2017", "alice", status="submitted", name="BUDI", serial=2)
    add_request(db, "35.16.12.2007", "carol", status="approved", name="CARLA", serial=3)  # other district
    login(client, "dave")
    response = client.get("/permohonan/ekspor.csv?status=approved")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="permohonan-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Nomor permohonan", "Tanggal dicatat"]
    assert [r[4] for r in rows[1:]] == ["ANI"]
    assert rows[1][5] == "3516••••••••0001" and rows[1][2] == "Kenanten"


def test_the_xlsx_has_the_same_rows_as_text(client, db):
    add_request(db, "35.16.11.2017", "alice", name="ANI", serial=1)
    login(client, "frank")
    book = load_workbook(io.BytesIO(client.get("/permohonan/ekspor.xlsx").content))
    sheet = book["Permohonan"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Nomor permohonan" and values[1][4] == "ANI"
    assert sheet["A2"].data_type == "s"


def test_formula_injection_is_neutralised(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="rejected", name="ANI", serial=1)
    item.status_note = '=HYPERLINK("http://x","klik")'
    db.commit()
    login(client, "dave")
    text = client.get("/permohonan/ekspor.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    sheet = load_workbook(io.BytesIO(client.get("/permohonan/ekspor.xlsx").content))["Permohonan"]
    assert sheet["I2"].value == '\'=HYPERLINK("http://x","klik")' and sheet["I2"].data_type == "s"


def test_clerks_do_not_export(client, db):
    login(client, "alice")
    assert client.get("/permohonan/ekspor.csv").status_code == 403
