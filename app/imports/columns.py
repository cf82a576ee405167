"""The columns of an import spreadsheet, built from the same definitions the form uses: the identity
fields of every request, the village, the service (mixed template) and each service's own fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.catalog.definitions import BY_CODE, SERVICES, SEX_OPTIONS, FieldSpec, ServiceDefinition
from app.requests.validation import IDENTITY_LABELS

# The example row shows the shape of a NIK and a KK number (region and date parts, then the serial), never a
# whole number that could be someone's: the serial is left as "xxxx".
EXAMPLE_NIK = "351611520890xxxx"
EXAMPLE_KK = "351611010109xxxx"

NUMBER_KINDS = {"nik"}
"""Columns that hold 16-digit numbers: text-formatted in templates, numbers in them are refused."""


@dataclass(frozen=True)
class Column:
    key: str
    """``nik``, ``service``, ``village`` or ``fields.<name>``."""
    header: str
    explanation: str
    required: bool = True
    kind: str = "text"
    """``text``, ``textarea``, ``date``, ``time``, ``nik``, ``select``, ``phone`` or ``digits``."""
    options: tuple[tuple[str, str], ...] = ()
    example: str = ""

    @property
    def is_text_number(self) -> bool:
        """Cells Excel must keep as text (leading zeros, 16 digits)."""
        return self.kind in ("nik", "phone", "digits")


IDENTITY_COLUMNS = (
    Column("nik", "NIK", "16 digit NIK pemohon, sesuai KK. Kolom berformat Teks.", kind="nik", example=EXAMPLE_NIK),
    Column("kk_number", "Nomor KK", "16 digit nomor Kartu Keluarga.", kind="nik", example=EXAMPLE_KK),
    Column("name", "Nama lengkap", "Sesuai KK, huruf kapital tidak wajib.", example="SITI AMINAH"),
    Column("birth_place", "Tempat lahir", "Kota/kabupaten tempat lahir.", example="MOJOKERTO"),
    Column(
        "birth_date",
        "Tanggal lahir",
        "Tanggal lahir: sel tanggal Excel, atau ditulis 12-08-1990, 12/08/1990 atau 1990-08-12.",
        kind="date",
        example="12-08-1990",
    ),
    Column(
        "sex", "Jenis kelamin", "L (laki-laki) atau P (perempuan).", kind="select", options=SEX_OPTIONS, example="P"
    ),
    Column("address", "Alamat", "Jalan/dusun dan nomor rumah.", example="JL. MAWAR 1"),
    Column("rt", "RT", "Angka, mis. 003.", kind="digits", example="003"),
    Column("rw", "RW", "Angka, mis. 002.", kind="digits", example="002"),
    Column("dusun", "Dusun/lingkungan", "Boleh kosong.", required=False, example="KRAJAN"),
    Column(
        "phone", "Nomor HP", "Boleh kosong; mis. 081234567890.", required=False, kind="phone", example="081234567890"
    ),
)
assert [c.key for c in IDENTITY_COLUMNS] == list(IDENTITY_LABELS)

VILLAGE_COLUMN = Column(
    "village",
    "Kode desa/kelurahan",
    "Boleh kosong: permohonan dicatat untuk desa/kelurahan Anda. Bila diisi, harus kode desa/kelurahan Anda "
    "(mis. 35.16.11.2017); baris desa lain ditolak.",
    required=False,
    kind="digits",
)
SERVICE_COLUMN = Column(
    "service",
    "Kode layanan",
    "Kode layanan dari lembar Petunjuk (mis. KTP_BARU), atau nama layanannya.",
    kind="select",
    options=tuple((s.code, s.name) for s in SERVICES),
    example="KTP_BARU",
)
ERROR_COLUMN_HEADER = "Keterangan kesalahan"
"""Added by the error report; ignored when the fixed report is uploaded again."""

# A field name used by several services with different labels gets one general header in the mixed template.
SHARED_HEADERS = {"reason": "Alasan/keterangan", "cause": "Sebab", "element": "Elemen data yang diubah"}
FIELD_EXAMPLES = {
    "child_name": "AHMAD FAUZI",
    "child_birth_place": "MOJOKERTO",
    "child_birth_date": "01-11-2026",
    "mother_nik": EXAMPLE_NIK,
    "destination_address": "JL. MELATI 5 RT 001 RW 002",
}


def _field_column(spec: FieldSpec, header: str, used_by: list[ServiceDefinition], mixed: bool) -> Column:
    kind = spec.kind if spec.kind in ("date", "time", "nik", "select", "textarea") else "text"
    words = [spec.hint] if spec.hint else []
    if kind == "date":
        words.append("Tanggal: sel tanggal Excel atau ditulis 01-11-2026.")
    if kind == "time":
        words.append("Jam ditulis 14:30.")
    if kind == "nik":
        words.append("16 digit, kolom berformat Teks.")
    if spec.options:
        words.append("Isi salah satu: " + ", ".join(f"{code} ({label})" for code, label in spec.options) + ".")
    if mixed:
        names = ", ".join(s.code for s in used_by)
        words.append(f"Untuk layanan {names}; kosongkan untuk layanan lain.")
    else:
        words.append("Wajib diisi." if spec.required else "Boleh kosong.")
    return Column(
        f"fields.{spec.name}",
        header,
        " ".join(words),
        required=spec.required and not mixed,
        kind=kind,
        options=spec.options,
        example="" if mixed else FIELD_EXAMPLES.get(spec.name, spec.options[0][0] if spec.options else ""),
    )


def columns_for(service_code: str | None) -> tuple[Column, ...]:
    """The columns of one service's template, or of the mixed template (``None``: a service column, and
    every service's fields, each filled only for the rows of its services)."""
    if service_code is not None:
        service = BY_CODE[service_code]
        extra = [_field_column(spec, spec.label, [service], False) for spec in service.fields]
        return (VILLAGE_COLUMN, *IDENTITY_COLUMNS, *extra)
    seen: dict[str, tuple[FieldSpec, list[ServiceDefinition]]] = {}
    for service in SERVICES:
        for spec in service.fields:
            seen.setdefault(spec.name, (spec, []))[1].append(service)
    extra = []
    for name, (spec, used_by) in seen.items():
        shared = name in SHARED_HEADERS
        column = _field_column(spec, SHARED_HEADERS.get(name, spec.label), used_by, True)
        if shared:  # the options differ per service: no single list fits, the validator checks each row
            column = Column(column.key, column.header, _shared_explanation(name, used_by), False, "text")
        extra.append(column)
    return (SERVICE_COLUMN, VILLAGE_COLUMN, *IDENTITY_COLUMNS, *extra)


def _shared_explanation(name: str, used_by: list[ServiceDefinition]) -> str:
    parts = []
    for service in used_by:
        spec = next(f for f in service.fields if f.name == name)
        text = f"{service.code}: {spec.label}"
        if spec.options:
            text += " (" + ", ".join(code for code, _ in spec.options) + ")"
        parts.append(text + ("" if spec.required else ", boleh kosong"))
    return "; ".join(parts) + ". Kosongkan untuk layanan lain."


def normalise_header(text: str) -> str:
    """Headers match ignoring case, spaces, punctuation and a trailing required-marker ``*``."""
    return re.sub(r"[^a-z0-9]", "", str(text).casefold())
