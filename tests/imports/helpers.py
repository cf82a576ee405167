"""Filling import templates the way a clerk would, with openpyxl (a library other than the one that
wrote them), and uploading them through the pages."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from app.catalog.definitions import BY_CODE
from tests.conftest import csrf_from, make_nik

# One good value per field, by field name or kind; select fields take their first option.
FIELD_VALUES = {
    "child_name": "AHMAD FAUZI",
    "child_birth_date": "01-11-2026",
    "child_birth_time": "08:15",
    "father_nik": make_nik("1988-03-04", "L", serial=7),
    "mother_nik": make_nik("1990-08-12", "P", serial=8),
    "deceased_nik": make_nik("1940-01-02", "L", serial=9),
    "death_date": "02-11-2026",
    "spouse_nik": make_nik("1992-05-06", "P", serial=10),
    "marriage_date": "2026-10-10",
    "ruling_date": "15/10/2026",
}


def name_for(serial: int) -> str:
    """``WARGA BC``: names hold letters only."""
    letters = ""
    while True:
        serial, rest = divmod(serial, 26)
        letters = chr(65 + rest) + letters
        if not serial:
            return f"WARGA {letters}"


def person(serial: int, *, birth: str = "1990-08-12", sex: str = "L") -> dict[str, Any]:
    year, month, day = birth.split("-")
    return {
        "NIK": make_nik(birth, sex, serial=serial),
        "Nomor KK": "3516110101090001",
        "Nama lengkap": name_for(serial),
        "Tempat lahir": "MOJOKERTO",
        "Tanggal lahir": f"{day}-{month}-{year}",
        "Jenis kelamin": sex,
        "Alamat": "JL. MAWAR 1",
        "RT": "003",
        "RW": "002",
        "Dusun/lingkungan": "KRAJAN",
        "Nomor HP": "081234567890",
    }


def service_values(code: str) -> dict[str, Any]:
    """Header → a good value, for the fields of ``code`` (headers as in its own template)."""
    values = {}
    for spec in BY_CODE[code].fields:
        if spec.options:
            value = spec.options[0][0]
        elif spec.name in FIELD_VALUES:
            value = FIELD_VALUES[spec.name]
        elif spec.kind == "date":
            value = "01-11-2026"
        else:
            value = f"ISIAN {spec.label.upper()}"
        values[spec.label] = value
    return values


def fill(template: bytes, rows: list[dict[str, Any]], *, keep_example: bool = False) -> bytes:
    """Write rows (header → value) under the template's header, as a clerk would in Excel."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    if not keep_example:
        sheet.delete_rows(2)
    for row in rows:
        unknown = set(row) - set(header)
        assert not unknown, unknown
        sheet.append([row.get(h, "") for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "data.xlsx", service: str = "") -> Any:
    token = csrf_from(client.get("/impor/").text)
    return client.post(
        "/impor/",
        data={"_csrf_token": token, "service": service},
        files={"file": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def commit(client, import_id: int, *, create_batch: bool) -> Any:
    token = csrf_from(client.get(f"/impor/{import_id}").text)
    data = {"_csrf_token": token}
    if create_batch:
        data["create_batch"] = "1"
    return client.post(f"/impor/{import_id}/simpan", data=data, follow_redirects=False)
