"""Rules for spreadsheet imports: read the file, check every row with the request validator (the same one
the form and the API use), keep a report, and commit the valid rows as drafts, optionally in one batch."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from litestar.exceptions import PermissionDeniedException, ValidationException
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.scope import get_in_scope
from app.audit.service import record
from app.batches.models import Batch, BatchItem
from app.batches.service import batch_number
from app.catalog import service as catalog
from app.catalog.definitions import BY_CODE
from app.db import bulk_insert
from app.imports.columns import ERROR_COLUMN_HEADER, Column, columns_for, normalise_header
from app.imports.isolation import read_table_isolated
from app.imports.models import Import, ImportStatus
from app.imports.reader import FileProblem
from app.requests.models import OPEN_STATUSES, Request
from app.requests.service import create_requests_bulk
from app.requests.status import IllegalTransition
from app.requests.validation import IDENTITY_LABELS, check_request, mask_numbers

EXCEL_EPOCH = date(1899, 12, 30)
ALIASES = {
    "nokk": "kk_number",
    "nomorkartukeluarga": "kk_number",
    "kk": "kk_number",
    "nama": "name",
    "namapemohon": "name",
    "tgllahir": "birth_date",
    "tanggallahirddmmyyyy": "birth_date",
    "jk": "sex",
    "jeniskelaminlp": "sex",
    "lp": "sex",
    "nohp": "phone",
    "telepon": "phone",
    "nomortelepon": "phone",
    "dusun": "dusun",
    "layanan": "service",
    "jenislayanan": "service",
    "kodedesa": "village",
    "desa": "village",
    "desakelurahan": "village",
}


@dataclass
class Problem:
    row: int
    column: str
    message: str
    level: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "level": self.level}


def safe_file_name(name: str) -> str:
    """The uploaded name without directories, with any 16-digit number (a NIK or KK) masked."""
    base = re.split(r"[\\/]", name or "")[-1].strip() or "berkas"
    return mask_numbers(base)[:200]


def check_upload(
    session: Session,
    user: Any,
    file_name: str,
    data: bytes,
    *,
    today: date,
    service_code: str | None = None,
    ip: str | None = None,
) -> Import:
    """Read and check an uploaded file; the report is saved (nothing else is written) and returned."""
    if user.role != Role.CLERK:
        raise PermissionDeniedException("Hanya petugas desa yang mengimpor permohonan.")
    if service_code and service_code not in BY_CODE:
        raise ValidationException("Layanan tidak dikenal.")
    item = Import(
        village_code=user.region_code,
        created_by=user.id,
        file_name=safe_file_name(file_name),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    try:
        table = read_table_isolated(file_name, data)
        if not service_code and table.sheet in BY_CODE:
            service_code = table.sheet
        _check_rows(session, user, item, table, service_code, today)
    except FileProblem as problem:
        item.status = ImportStatus.REJECTED.value
        item.problem = str(problem)
    session.add(item)
    session.flush()
    record(
        session,
        actor=user,
        action="import.check",
        object_type="import",
        object_id=item.id,
        region_code=item.village_code,
        changes={
            "file": item.file_name,
            "status": item.status,
            "rows": item.rows,
            "valid": item.valid,
            "invalid": item.invalid,
            "warnings": item.warnings,
            **({"problem": item.problem} if item.problem else {}),
        },
        ip=ip,
    )
    session.commit()
    return item


def _map_header(header: list[str], columns: tuple[Column, ...]) -> tuple[dict[int, Column], list[str]]:
    by_name: dict[str, Column] = {}
    for column in columns:
        by_name[normalise_header(column.header)] = column
        by_name[normalise_header(column.key.removeprefix("fields."))] = column
    by_key = {c.key: c for c in columns}
    for alias, key in ALIASES.items():
        if key in by_key:
            by_name.setdefault(alias, by_key[key])
    mapping: dict[int, Column] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(header):
        name = normalise_header(text)
        if not name or name == normalise_header(ERROR_COLUMN_HEADER):
            continue
        column = by_name.get(name)
        if column is None:
            unknown.append(text)
            continue
        if column.key in seen:
            raise FileProblem(
                f'Kolom "{column.header}" muncul dua kali ("{seen[column.key]}" dan "{text}"). Hapus salah satunya.'
            )
        seen[column.key] = text
        mapping[index] = column
    missing = [c.header for c in columns if c.required and c.key not in seen]
    if missing:
        message = "Kolom wajib tidak ditemukan: " + ", ".join(f'"{m}"' for m in missing) + "."
        if unknown:
            message += " Kolom yang tidak dikenal (salah ketik?): " + ", ".join(f'"{u}"' for u in unknown) + "."
        message += " Pakai judul kolom seperti di templat."
        raise FileProblem(message)
    return mapping, unknown


def _cell_value(column: Column, cell: Any) -> Any:
    """A cell as the validator expects what a clerk types into the form."""
    if isinstance(cell, bool):
        cell = "1" if cell else "0"
    if column.kind == "nik" and isinstance(cell, (int, float)):
        return f"{float(cell):.5E}"  # Excel kept it as a number: the validator names scientific notation
    if column.kind == "date":
        if isinstance(cell, (int, float)) and 1 < cell < 80000:
            return EXCEL_EPOCH + timedelta(days=int(cell))
        if isinstance(cell, datetime):
            return cell.date()
        if isinstance(cell, date):
            return cell
    if column.kind == "time":
        if isinstance(cell, (time, datetime)):
            return f"{cell.hour:02d}:{cell.minute:02d}"
        if isinstance(cell, float) and 0 <= cell < 1:
            minutes = round(cell * 24 * 60)
            return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and column.kind == "phone":
        text = str(cell)
        return "0" + text if text.startswith("8") else text  # Excel dropped the leading zero
    if isinstance(cell, (date, datetime)):
        return cell.strftime("%d-%m-%Y")
    text = str(cell).strip()
    if column.kind == "select" and text:
        for code, label in column.options:
            if text.casefold() in (code.casefold(), label.casefold()):
                return code
    return text


def _village_of(raw: Any, user: Any) -> str | None:
    """The row's village: empty means the clerk's own; a code (with or without dots) or the village's
    name must be the clerk's village (None otherwise)."""
    text = str(raw or "").strip()
    if not text:
        return user.region_code
    digits = re.sub(r"\D", "", text)
    own = user.region_code
    if digits and digits == own.replace(".", ""):
        return own
    own_name = (user.region_names or {}).get(own, "")
    if own_name and normalise_header(text) in (normalise_header(own_name), normalise_header("desa" + own_name)):
        return own
    return None


def _jsonable(cell: Any) -> Any:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, (date, datetime)):
        return cell.strftime("%d-%m-%Y")
    if isinstance(cell, time):
        return cell.strftime("%H:%M")
    return cell


def _check_rows(session: Session, user: Any, item: Import, table: Any, service_code: str | None, today: date) -> None:
    header_keys = {normalise_header(h) for h in table.header}
    mixed = any(normalise_header(k) in header_keys for k in ("Kode layanan", "layanan", "jenislayanan"))
    if not mixed and not service_code:
        raise FileProblem(
            "Layanan belum diketahui: pilih layanan saat mengunggah, atau pakai templat campuran yang punya "
            'kolom "Kode layanan".'
        )
    item.service_code = None if mixed else service_code
    columns = columns_for(None if mixed else service_code)
    mapping, unknown = _map_header(table.header, columns)
    header_of = {c.key: c.header for c in columns}
    for index, c in mapping.items():
        header_of[c.key] = table.header[index]
    active = {s.code: s for s in catalog.services_for(session, user.region_code)}
    problems: list[Problem] = [
        Problem(table.header_row, text, "Kolom tidak dikenal; isinya diabaikan.", "warning") for text in unknown
    ]
    good: list[dict[str, Any]] = []
    bad: list[list[Any]] = []
    first_row_of: dict[tuple[str, str], int] = {}
    checked_rows: list[tuple[int, str, dict[str, Any]]] = []
    examples = {i: c.example for i, c in mapping.items() if c.example}
    rows_read = 0
    for row_number, cells in table.rows:
        if examples and all(str(cells[i]) == text for i, text in examples.items() if i < len(cells)):
            problems.append(Problem(row_number, header_of["name"], "Baris contoh dari templat; dilewati.", "warning"))
            continue
        rows_read += 1
        data: dict[str, Any] = {"fields": {}}
        raw: dict[str, Any] = {}
        for index, column in mapping.items():
            cell = cells[index] if index < len(cells) else ""
            raw[column.key] = cell
            value = _cell_value(column, cell)
            if column.key.startswith("fields."):
                data["fields"][column.key[7:]] = value
            else:
                data[column.key] = value
        row_problems: list[Problem] = []
        code = data.get("service") if mixed else service_code
        definition = BY_CODE.get(code or "")
        if definition is None:
            message = (
                "Kode layanan wajib diisi."
                if not code
                else f'Layanan "{raw.get("service")}" tidak dikenal; lihat lembar Petunjuk.'
            )
            row_problems.append(Problem(row_number, header_of["service"], message))
        elif code not in active:
            row_problems.append(
                Problem(
                    row_number,
                    header_of.get("service", "Kode layanan"),
                    f"Layanan {definition.name} sedang tidak dibuka di kabupaten ini.",
                )
            )
        village = _village_of(raw.get("village"), user)
        if village is None:
            row_problems.append(
                Problem(
                    row_number,
                    header_of["village"],
                    f'Desa/kelurahan "{raw.get("village")}" di luar wilayah Anda; baris ini tidak disimpan.',
                )
            )
        if definition is not None:
            checked = check_request(data, definition, today=today)
            for key, message in checked.errors.items():
                row_problems.append(Problem(row_number, _column_name(key, header_of, definition), message))
            for key, message in checked.warnings.items():
                row_problems.append(Problem(row_number, _column_name(key, header_of, definition), message, "warning"))
            nik = checked.values.get("nik")
            if nik and not checked.errors:
                first = first_row_of.setdefault((nik, definition.code), row_number)
                if first != row_number:
                    row_problems.append(
                        Problem(
                            row_number, header_of["nik"], f"NIK ini sudah ada di baris {first} untuk layanan yang sama."
                        )
                    )
        errors = [p for p in row_problems if p.level == "error"]
        problems.extend(row_problems)
        if errors:
            bad.append([row_number, *(_jsonable(c) for c in cells)])
        else:
            values = dict(checked.values)
            values["birth_date"] = values["birth_date"].isoformat()
            checked_rows.append((row_number, definition.code, values))
    # Against requests already open in the portal: a warning, as on the form.
    open_numbers = _open_duplicates(session, {(v["nik"], code) for _, code, v in checked_rows})
    for row_number, code, values in checked_rows:
        number = open_numbers.get((values["nik"], code))
        if number:
            problems.append(
                Problem(
                    row_number,
                    header_of["nik"],
                    f"NIK ini sudah punya permohonan yang masih berjalan untuk layanan yang sama ({number}).",
                    "warning",
                )
            )
        good.append({"row": row_number, "service": code, "values": values})
    item.rows = rows_read
    item.valid = len(good)
    item.invalid = len(bad)
    item.warnings = sum(1 for p in problems if p.level == "warning")
    problems.sort(key=lambda p: (p.level != "error", p.row))
    item.errors = [p.as_dict() for p in problems]
    item.header = table.header
    item.bad_rows = bad
    item.good_rows = good


def _column_name(key: str, header_of: dict[str, str], definition: Any) -> str:
    if key in header_of:
        return header_of[key]
    if key.startswith("fields."):
        spec = next((f for f in definition.fields if f.name == key[7:]), None)
        return spec.label if spec else key
    return IDENTITY_LABELS.get(key, key)


def _open_duplicates(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    niks = sorted({nik for nik, _ in keys})
    for start in range(0, len(niks), 500):
        rows = session.exec(
            select(Request.nik, Request.service_code, Request.number).where(
                Request.nik.in_(niks[start : start + 500]), Request.status.in_([s.value for s in OPEN_STATUSES])
            )
        )
        for nik, code, number in rows:
            if (nik, code) in keys:
                found.setdefault((nik, code), number)
    return found


def get_import(session: Session, user: Any, import_id: int) -> Import:
    """One import of the user's scope, or 404."""
    return get_in_scope(session, Import, import_id, user, "village_code")


def imports_of(session: Session, user: Any, limit: int = 20) -> list[Import]:
    from app.accounts.scope import scope_filter

    return list(
        session.exec(
            select(Import)
            .where(scope_filter(user, Import.village_code))
            .order_by(Import.created_at.desc(), Import.id.desc())
            .limit(limit)
        )
    )


def earlier_commit(session: Session, item: Import) -> Import | None:
    """The same file (same content), already committed for this village."""
    return session.exec(
        select(Import).where(
            Import.village_code == item.village_code,
            Import.sha256 == item.sha256,
            Import.status == ImportStatus.COMMITTED.value,
            Import.id != item.id,
        )
    ).first()


def commit(
    session: Session, user: Any, item: Import, *, create_batch: bool, today: date, ip: str | None = None
) -> tuple[int, Batch | None]:
    """Save the valid rows as draft requests (all or none), optionally in one new batch."""
    if user.role != Role.CLERK:
        raise PermissionDeniedException("Hanya petugas desa yang mengimpor permohonan.")
    if item.status == ImportStatus.COMMITTED.value:
        raise IllegalTransition("Impor ini sudah disimpan; permohonannya tidak dibuat dua kali.")
    if item.status != ImportStatus.CHECKED.value:
        raise IllegalTransition("Berkas ini ditolak; perbaiki lalu unggah lagi.")
    if item.rows_removed_at is not None:
        raise IllegalTransition("Salinan baris impor ini sudah dihapus (masa simpan); unggah ulang berkasnya.")
    earlier = earlier_commit(session, item)
    if earlier is not None:
        raise IllegalTransition(
            f"Berkas yang sama sudah disimpan (impor #{earlier.id}, {earlier.created} permohonan). "
            "Permohonan tidak dibuat dua kali."
        )
    if not item.good_rows:
        raise ValidationException("Tidak ada baris yang benar untuk disimpan. Perbaiki berkas lalu unggah lagi.")
    # Compare and set: of two clicks (or two tabs) only one commits; of two uploads of the same file by two
    # clerks of the village, the unique (village, committed file) index lets only one through.
    try:
        claimed = session.execute(
            update(Import)
            .where(Import.id == item.id, Import.status == ImportStatus.CHECKED.value)
            .values(status=ImportStatus.COMMITTED.value, committed_sha256=item.sha256)
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:
        session.rollback()
        raise IllegalTransition(
            "Berkas yang sama baru saja disimpan oleh petugas lain di desa ini. Permohonan tidak dibuat dua kali."
        ) from None
    if not claimed:
        session.rollback()
        raise IllegalTransition("Impor ini sudah disimpan; permohonannya tidak dibuat dua kali.")
    batch = None
    if create_batch:
        batch = Batch(
            number=batch_number(session, item.village_code, today.year),
            village_code=item.village_code,
            form_key=f"import-{item.id}",
            created_by=user.id,
        )
        session.add(batch)
        session.flush()
    rows = []
    for good in item.good_rows:
        values = dict(good["values"])
        values["birth_date"] = date.fromisoformat(values["birth_date"])
        rows.append((good["service"], values))
    ids = create_requests_bulk(
        session,
        actor=user,
        village_code=item.village_code,
        items=rows,
        today=today,
        note=f"Dicatat dari impor berkas #{item.id}",
        batch_id=batch.id if batch else None,
        source={"import": item.id},
    )
    if batch is not None:
        bulk_insert(session, BatchItem.__table__, [{"batch_id": batch.id, "request_id": i} for i in ids])
        record(
            session,
            actor=user,
            action="batch.create",
            object_type="batch",
            object_id=batch.id,
            region_code=batch.village_code,
            changes={"number": batch.number, "requests": len(ids), "import": item.id},
            ip=ip,
        )
    session.execute(
        update(Import)
        .where(Import.id == item.id)
        .values(
            created=len(ids),
            batch_id=batch.id if batch else None,
            committed_at=datetime.now().astimezone(),
            good_rows=[],
        )
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor=user,
        action="import.commit",
        object_type="import",
        object_id=item.id,
        region_code=item.village_code,
        changes={"file": item.file_name, "created": len(ids), "batch": batch.number if batch else None},
        ip=ip,
    )
    session.commit()
    session.refresh(item)
    return len(ids), batch
