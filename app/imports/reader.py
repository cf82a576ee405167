"""Reading an uploaded spreadsheet into a header and rows, refusing files that cannot be used with a
reason in Indonesian. XLSX, XLS and ODS are read by python-calamine; CSV by the standard library."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import python_calamine

from app.catalog.definitions import BY_CODE

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 80
"""The widest template has 38 columns; the error report adds one."""
MAX_SHEET_ROWS = MAX_ROWS + 50
"""Rows a sheet may reach (the header and a few empty rows above it, besides the data)."""
MAX_UNPACKED = 200 * 1024 * 1024
"""A workbook is a zip: what it unpacks to is limited too (a zip bomb is small until opened)."""
MAX_RATIO = 200
EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv")
DATA_SHEET_NAMES = ("data", "permohonan")


DAMAGED = (
    "Berkas tidak dapat dibaca: rusak atau bukan buku kerja yang sah. Buka di Excel atau LibreOffice, "
    "simpan ulang sebagai .xlsx, lalu unggah lagi."
)


class FileProblem(Exception):
    """The whole file cannot be used; the message says why and what to do, in Indonesian."""


@dataclass
class Table:
    header: list[str]
    header_row: int
    """The header's row number in the sheet (1 in the templates)."""
    rows: list[tuple[int, list[Any]]]
    """(the sheet's own row number, the cells) for every non-empty row below the header."""
    sheet: str = ""
    """The sheet read (a per-service template names its sheet after the service code)."""


def extension_of(file_name: str) -> str:
    name = file_name.lower().strip()
    return next((ext for ext in EXTENSIONS if name.endswith(ext)), "")


def check_upload_size(file_name: str, data: bytes) -> str:
    """The file's extension, once its type, emptiness and size are acceptable (checked before any parsing)."""
    ext = extension_of(file_name)
    if not ext:
        raise FileProblem("Jenis berkas tidak didukung. Unggah berkas .xlsx, .xls, .ods atau .csv.")
    if not data:
        raise FileProblem("Berkas kosong. Isi templat lalu unggah lagi.")
    if len(data) > MAX_BYTES:
        raise FileProblem(
            f"Berkas {len(data) / 1024 / 1024:.1f} MB melebihi batas {MAX_BYTES // 1024 // 1024} MB. "
            f"Bagi menjadi beberapa berkas (paling banyak {_thousands(MAX_ROWS)} baris per berkas)."
        )
    return ext


def read_table(file_name: str, data: bytes) -> Table:
    """The header and rows of an upload. Parses in this process: web requests use
    ``app.imports.isolation.read_table_isolated``, which runs this in a child with memory and time limits."""
    ext = check_upload_size(file_name, data)
    if ext == ".csv":
        cells, sheet = _read_csv(data), ""
    else:
        cells, sheet = _read_workbook(ext, data)
    table = _table_of(cells)
    table.sheet = sheet
    return table


def _read_csv(data: bytes) -> list[list[Any]]:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("Berkas ini buku kerja Excel yang diberi nama .csv. Simpan ulang sebagai .xlsx lalu unggah.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text:
        raise FileProblem("Berkas CSV rusak atau bukan teks. Simpan ulang dari Excel sebagai CSV (UTF-8).")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(row)
        if len(rows) > MAX_ROWS + 50:
            break
    return rows


@contextmanager
def _damaged_as_problem() -> Iterator[None]:
    """Errors of a damaged archive (e.g. "Bad CRC-32": a member's header understates its size, or the file
    is cut short) become the "damaged file" message."""
    try:
        yield
    except FileProblem:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise FileProblem(DAMAGED) from exc


def _read_workbook(ext: str, data: bytes) -> tuple[list[list[Any]], str]:
    archive = None
    if ext in (".xlsx", ".ods"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileProblem(
                "Buku kerja ini dilindungi kata sandi (atau berformat .xls lama). Buka di Excel, hapus kata "
                "sandinya (File → Info → Protect Workbook), simpan sebagai .xlsx, lalu unggah lagi."
            )
        with _damaged_as_problem():
            archive = _check_zip(ext, data)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise FileProblem(
            "Buku kerja ini dilindungi kata sandi. Hapus kata sandinya di Excel, simpan, lalu unggah lagi."
        ) from exc
    except Exception as exc:  # calamine raises several kinds for damaged files
        raise FileProblem(DAMAGED) from exc
    names = workbook.sheet_names
    if not names:
        raise FileProblem("Buku kerja tidak berisi lembar kerja.")
    chosen = next((n for n in names if n.strip().casefold() in DATA_SHEET_NAMES or n.strip() in BY_CODE), names[0])
    if ext == ".xlsx" and archive is not None:
        # calamine builds a grid from the first to the last cell: a sheet holding A1 and XFD1048576 would
        # need half a terabyte. The sheet's declared size and every cell reference are checked first.
        with _damaged_as_problem():
            _check_xlsx_extent(archive, names.index(chosen), chosen)
    try:
        sheet = workbook.get_sheet_by_name(chosen)
        if sheet.height > MAX_SHEET_ROWS:
            raise FileProblem(_too_many_rows())
        rows = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except FileProblem:
        raise
    except Exception as exc:
        raise FileProblem("Lembar kerja tidak dapat dibaca. Simpan ulang sebagai .xlsx lalu unggah lagi.") from exc
    header_index = next((i for i, row in enumerate(rows) if any(_filled(c) for c in row)), None)
    for (r1, c1), (r2, c2) in merged:
        if header_index is not None and r1 <= header_index <= r2:
            raise FileProblem(
                f"Judul kolom di baris {header_index + 1} memakai sel gabungan (merge) "
                f"{_cell_name(r1, c1)}:{_cell_name(r2, c2)}. Pisahkan selnya (Unmerge) sehingga setiap kolom "
                "punya judul sendiri, seperti di templat."
            )
    return rows, chosen.strip()


def _check_zip(ext: str, data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED or any(m.compress_size and m.file_size / m.compress_size > MAX_RATIO for m in members):
        raise FileProblem("Isi berkas terlalu besar setelah dibuka (bukan buku kerja biasa). Berkas ditolak.")
    # Every member is unpacked once, in chunks, up to its declared size: a member whose header understates
    # its size (a zip bomb in disguise) fails its CRC here, before calamine would unpack all of it.
    if archive.testzip() is not None:
        raise FileProblem(DAMAGED)
    names = {m.filename for m in members}
    if "EncryptedPackage" in names:
        raise FileProblem("Buku kerja ini dilindungi kata sandi. Hapus kata sandinya di Excel lalu unggah lagi.")
    # Formulas: the value read would be whatever Excel last computed, and a formula copied down a column
    # gives every row the same "NIK". Clerks paste values instead.
    for name in sorted(names):
        if (ext == ".xlsx" and name.startswith("xl/worksheets/") and name.endswith(".xml")) or (
            ext == ".ods" and name == "content.xml"
        ):
            xml = archive.read(name)
            found = re.search(rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f[ >]', xml) if ext == ".xlsx" else None
            if found or (ext == ".ods" and b"table:formula=" in xml):
                where = f" (mis. sel {found.group(1).decode()})" if found else ""
                raise FileProblem(
                    f"Berkas berisi rumus (formula){where}. Salin semua data lalu tempel sebagai nilai "
                    "(Tempel Spesial → Nilai) sebelum mengunggah."
                )
    return archive


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\sref="(?:[A-Z]+[0-9]+:)?([A-Z]+)([0-9]+)"')
_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,5})[0-9]')
"""A cell's ``r`` attribute (``r="XFD1048576"``): its column letters."""
_ROW_NUMBER = re.compile(rb' r="[A-Z]{0,5}([0-9]{1,10})"')
"""A cell's or a row's ``r`` attribute: its row number."""
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_xml_path(archive: zipfile.ZipFile, index: int) -> str | None:
    """The worksheet part of the workbook's ``index``-th sheet (workbook.xml order, as calamine counts)."""
    try:
        sheets = [dict(_ATTRIBUTE.findall(tag)) for tag in _SHEET.findall(archive.read("xl/workbook.xml"))]
        rels = {
            attrs.get(b"Id"): attrs.get(b"Target", b"").decode()
            for attrs in (
                dict(_ATTRIBUTE.findall(tag))
                for tag in _RELATIONSHIP.findall(archive.read("xl/_rels/workbook.xml.rels"))
            )
        }
    except KeyError:
        return None
    if index >= len(sheets):
        return None
    rel_id = next((value for key, value in sheets[index].items() if key.endswith(b":id")), None)
    target = rels.get(rel_id)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _check_xlsx_extent(archive: zipfile.ZipFile, index: int, sheet_name: str) -> None:
    """Refuse a sheet whose declared size or any cell lies beyond the template's columns or the row limit."""
    path = _sheet_xml_path(archive, index)
    names = set(archive.namelist())
    parts = [path] if path in names else [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    for part in parts:
        xml = archive.read(part)
        far_column, far_row = 0, 0
        dimension = _DIMENSION.search(xml)
        if dimension:
            far_column, far_row = _column_number(dimension.group(1)), int(dimension.group(2))
        # The distinct column letters and row numbers referenced (sets built by the regex engine: a 10,000-row
        # sheet takes 0.08 s). Every writer puts a space before an attribute; a file that uses another
        # separator escapes this check but not the reading process's memory limit.
        columns = {_column_number(c) for c in set(_CELL_COLUMN.findall(xml))}
        rows = {int(r) for r in set(_ROW_NUMBER.findall(xml))}
        far_column = max(far_column, max(columns, default=0))
        far_row = max(far_row, max(rows, default=0))
        if far_column > MAX_COLUMNS or far_row > MAX_SHEET_ROWS:
            raise FileProblem(
                f'Lembar kerja "{sheet_name.strip()}" terisi atau diformat sampai sel '
                f"{_cell_name(max(far_row, 1) - 1, max(far_column, 1) - 1)}, jauh di luar tabel (templat paling banyak "
                f"{MAX_COLUMNS} kolom dan {_thousands(MAX_ROWS)} baris data). Hapus baris dan kolom di bawah dan "
                "di kanan tabel (pilih, klik kanan → Hapus), simpan, lalu unggah lagi."
            )


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _too_many_rows() -> str:
    return f"Berkas berisi lebih dari {_thousands(MAX_ROWS)} baris. Bagi menjadi beberapa berkas."


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or cell.strip() != "")


def _table_of(cells: list[list[Any]]) -> Table:
    header_index = next((i for i, row in enumerate(cells) if any(_filled(c) for c in row)), None)
    if header_index is None:
        raise FileProblem("Berkas tidak berisi data. Isi baris di bawah judul kolom lalu unggah lagi.")
    header = [str(c).strip() if _filled(c) else "" for c in cells[header_index]]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise FileProblem(f"Berkas berisi {len(header)} kolom; templat paling banyak {MAX_COLUMNS}. Pakai templat.")
    rows = []
    for index in range(header_index + 1, len(cells)):
        row = cells[index]
        if any(_filled(c) for c in row):
            rows.append((index + 1, [_plain(c) for c in row[: len(header)]] + [""] * (len(header) - len(row))))
    if not rows:
        raise FileProblem("Berkas hanya berisi judul kolom. Isi datanya di baris berikutnya lalu unggah lagi.")
    if len(rows) > MAX_ROWS:
        raise FileProblem(_too_many_rows())
    return Table(header=header, header_row=header_index + 1, rows=rows)


def _plain(cell: Any) -> Any:
    """Cells as the checks expect them: text stripped; dates as dates; numbers as numbers."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, datetime):
        return cell.date() if cell.time() == time(0) else cell
    if cell is None:
        return ""
    if isinstance(cell, (date, time, int, float, bool)):
        return cell
    return str(cell)
