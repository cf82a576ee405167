"""The XLSX files of imports: the templates clerks fill in, and the error report they fix and upload again.
NIK, KK, RT/RW and phone columns are formatted as text, so Excel keeps all 16 digits and leading zeros."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from app.catalog.definitions import BY_CODE, SERVICES, SEX_OPTIONS
from app.imports.columns import ERROR_COLUMN_HEADER, Column, columns_for
from app.imports.reader import MAX_ROWS

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
REQUIRED_FILL = "#FFF2CC"


def template_name(service_code: str | None) -> str:
    return f"templat-impor-{service_code.lower().replace('_', '-') if service_code else 'campuran'}.xlsx"


def template(service_code: str | None) -> bytes:
    """The template of one service (its sheet is named after the service code, so an upload knows the
    service) or the mixed one (a "Kode layanan" column)."""
    columns = columns_for(service_code)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, **WORKBOOK_OPTIONS})
    text = book.add_format({"num_format": "@"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    head_required = book.add_format(
        {"bold": True, "bg_color": REQUIRED_FILL, "border": 1, "text_wrap": True, "valign": "top"}
    )
    date_format = book.add_format({"num_format": "dd-mm-yyyy"})
    sheet = book.add_worksheet(service_code or "Data")
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.header, head_required if column.required else head)
        cell_format = text if column.is_text_number or column.kind in ("text", "textarea", "select") else None
        if column.kind == "date":
            cell_format = date_format
        sheet.set_column(index, index, max(12, min(40, len(column.header) + 4)), cell_format)
        if column.options and len(column.options) <= 20:
            sheet.data_validation(
                1,
                index,
                MAX_ROWS,
                index,
                {
                    "validate": "list",
                    "source": [code for code, _ in column.options],
                    "error_title": column.header,
                    "error_message": "Pilih dari daftar (lihat lembar Petunjuk).",
                },
            )
        if column.is_text_number:
            sheet.data_validation(
                1,
                index,
                MAX_ROWS,
                index,
                {
                    "validate": "length",
                    "criteria": "<=",
                    "value": 16,
                    "input_title": column.header[:32],
                    "input_message": "Ketik sebagai teks (16 digit untuk NIK/KK).",
                    "ignore_blank": True,
                },
            )
        if column.example:
            sheet.write_string(1, index, column.example, text)
    sheet.set_row(0, 32)
    _guide(book, columns, service_code, head)
    book.close()
    return out.getvalue()


def _guide(book: Any, columns: tuple[Column, ...], service_code: str | None, head: Any) -> None:
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("Petunjuk")
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2, 90)
    title = BY_CODE[service_code].name if service_code else "semua layanan (templat campuran)"
    sheet.write_string(0, 0, f"Templat impor permohonan: {title}", bold)
    sheet.write_string(
        1,
        0,
        "Isi satu baris per permohonan mulai baris 2 (ganti atau hapus baris contoh). Jangan ubah judul kolom. "
        f"Paling banyak {MAX_ROWS:,} baris per berkas. Kolom berwarna kuning wajib diisi.".replace(",", "."),
    )
    row = 3
    for index, text in enumerate(("Kolom", "Wajib", "Keterangan")):
        sheet.write_string(row, index, text, head)
    for column in columns:
        row += 1
        sheet.write_string(row, 0, column.header, wrap)
        sheet.write_string(row, 1, "wajib" if column.required else "boleh kosong", wrap)
        sheet.write_string(row, 2, column.explanation, wrap)
    row += 2
    sheet.write_string(row, 0, "Kode jenis kelamin", bold)
    for code, label in SEX_OPTIONS:
        row += 1
        sheet.write_string(row, 0, code)
        sheet.write_string(row, 2, label)
    row += 2
    sheet.write_string(row, 0, "Kode layanan", bold)
    for service in SERVICES:
        row += 1
        sheet.write_string(row, 0, service.code)
        sheet.write_string(row, 2, f"{service.name} — dokumen hasil: {service.output}", wrap)


def error_report(header: list[str], bad_rows: list[list[Any]], errors: list[dict[str, Any]]) -> bytes:
    """The rows that were refused, as read, with a column saying why; fixed, the file can be uploaded again."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        if error.get("level") == "error":
            reasons.setdefault(error["row"], []).append(f"{error['column']}: {error['message']}")
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, **WORKBOOK_OPTIONS})
    text = book.add_format({"num_format": "@"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    reason_format = book.add_format({"font_color": "#B3261E", "text_wrap": True})
    sheet = book.add_worksheet("Data")
    columns = [h for h in header if h != ERROR_COLUMN_HEADER]
    keep = [i for i, h in enumerate(header) if h != ERROR_COLUMN_HEADER]
    for index, name in enumerate(columns):
        sheet.write_string(0, index, name, head)
        sheet.set_column(index, index, max(12, min(40, len(name) + 4)), text)
    sheet.write_string(0, len(columns), ERROR_COLUMN_HEADER, head)
    sheet.set_column(len(columns), len(columns), 80)
    for out_row, (row_number, *cells) in enumerate(bad_rows, start=1):
        for index, source in enumerate(keep):
            value = cells[source] if source < len(cells) else ""
            sheet.write_string(out_row, index, "" if value is None else str(value), text)
        sheet.write_string(
            out_row, len(columns), f"Baris {row_number}: " + "; ".join(reasons.get(row_number, [])), reason_format
        )
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
