"""CSV and XLSX exports of a request list (the current filter), for district and Dukcapil staff.

NIK and KK numbers stay masked, as in every list; cells that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return) are neutralised with a leading apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import xlsxwriter

from app.requests.models import STATUS_LABELS, Request
from app.requests.validation import mask_number

HEADERS = [
    "Nomor permohonan",
    "Tanggal dicatat",
    "Desa/kelurahan",
    "Layanan",
    "Nama",
    "NIK",
    "Status",
    "Tanggal status",
    "Catatan",
    "Nomor dokumen",
]
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 100_000


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def rows_of(
    requests: Iterable[Request],
    *,
    villages: dict[str, str],
    services: dict[str, str],
    tz: Any,
) -> Iterable[list[Any]]:
    for r in requests:
        yield [
            safe_cell(v)
            for v in (
                r.number,
                r.created_at.astimezone(tz).strftime("%d-%m-%Y %H:%M"),
                villages.get(r.village_code, ""),
                services.get(r.service_code, r.service_code),
                r.name,
                mask_number(r.nik),
                STATUS_LABELS[r.status],
                r.status_changed_at.astimezone(tz).strftime("%d-%m-%Y %H:%M"),
                r.status_note or "",
                r.output_number or "",
            )
        ]


def to_csv(rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")  # Excel in Indonesian locale opens ';' files directly
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel then reads UTF-8 names correctly


def to_xlsx(rows: Iterable[list[Any]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    sheet = book.add_worksheet("Permohonan")
    bold = book.add_format({"bold": True, "bg_color": "#E6F2EE"})
    for col, title in enumerate(HEADERS):
        sheet.write_string(0, col, title, bold)
    widths = [28, 17, 18, 30, 28, 19, 26, 17, 40, 24]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    for row_no, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(row_no, col, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
