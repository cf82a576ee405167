"""Rules for regions: loading the national list, importing a file, reading within a scope, village profiles."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import case, func
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.scope import Scope, get_in_scope, scope_filter, scope_for
from app.audit.service import record
from app.cache import reference_cache
from app.db import utcnow
from app.regions import reference
from app.regions.models import LEVEL_DISTRICT, LEVEL_VILLAGE, Region


@dataclass
class LoadResult:
    inserted: int = 0
    updated: int = 0


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"baris {self.row}, kolom {self.column}: {self.message}"


@dataclass
class ImportResult(LoadResult):
    errors: list[RowError] = field(default_factory=list)


def _upsert(session: Session, rows: list[reference.RegionRow]) -> LoadResult:
    result = LoadResult()
    existing = {r.code: r for r in session.exec(select(Region).where(Region.code.in_([x.code for x in rows])))}
    for row in rows:
        region = existing.get(row.code)
        if region is None:
            session.add(Region(**asdict(row)))
            session.flush()  # parents before children, for the foreign key
            result.inserted += 1
        elif region.name != row.name or (row.postal_code and region.postal_code != row.postal_code):
            region.name = row.name
            region.postal_code = row.postal_code or region.postal_code
            result.updated += 1
    return result


def load_regency(session: Session, code: str) -> LoadResult:
    """Load (or refresh) a regency, its districts and villages from the national list. Idempotent."""
    rows = list(reference.regency_tree(code))
    result = _upsert(session, rows)
    record(
        session,
        actor=None,
        action="regions.load",
        object_type="region",
        object_id=code,
        region_code=code,
        changes={"inserted": result.inserted, "updated": result.updated},
    )
    session.commit()
    return result


def _read_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("unreachable: cp1252 decodes every byte")  # pragma: no cover


def import_csv(session: Session, data: bytes | Path) -> ImportResult:
    """Import regions from a CSV of ``code,name`` rows (comma or semicolon, optional header).

    Every row is checked first; when any row is wrong nothing is written and every error is reported
    with its row number (the header, if any, is row 1) and column.
    """
    raw = data.read_bytes() if isinstance(data, Path) else data
    text = _read_text(raw)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    result = ImportResult()
    rows: list[tuple[int, reference.RegionRow]] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(lines, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in {"code", "kode", "kode wilayah"}:
            continue
        code = cells[0]
        name = cells[1] if len(cells) > 1 else ""
        if not reference.is_valid_code(code):
            hint = " (tulis dengan titik, mis. 35.16.11.2001)" if code.isdigit() else ""
            result.errors.append(RowError(number, "code", f"kode wilayah '{code}' tidak sah{hint}"))
            continue
        if not name:
            result.errors.append(RowError(number, "name", "nama wilayah kosong"))
            continue
        if code in seen:
            result.errors.append(RowError(number, "code", f"kode {code} sudah ada di baris {seen[code]}"))
            continue
        seen[code] = number
        rows.append(
            (
                number,
                reference.RegionRow(
                    code, name, reference.level_of(code), reference.kind_of(code, name), reference.parent_of(code)
                ),
            )
        )
    known = set(seen)
    parents = {r.parent_code for _, r in rows if r.parent_code and r.parent_code not in known}
    if parents:
        known |= set(session.exec(select(Region.code).where(Region.code.in_(parents))))
    for number, row in rows:
        if row.parent_code and row.parent_code not in known:
            result.errors.append(RowError(number, "code", f"wilayah induk {row.parent_code} tidak dikenal"))
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        return result
    loaded = _upsert(session, sorted((r for _, r in rows), key=lambda r: r.level))
    result.inserted, result.updated = loaded.inserted, loaded.updated
    record(
        session,
        actor=None,
        action="regions.import",
        object_type="region",
        changes={"inserted": result.inserted, "updated": result.updated},
    )
    session.commit()
    return result


def get_region(session: Session, code: str) -> Region | None:
    return session.get(Region, code)


def region_path(session: Session, code: str) -> list[Region]:
    """The region and its parents, outermost first."""
    parts = code.split(".")
    codes = [".".join(parts[: i + 1]) for i in range(len(parts))]
    found = {r.code: r for r in session.exec(select(Region).where(Region.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


@dataclass(frozen=True)
class DistrictSummary:
    district: Region
    villages: int
    kelurahan: int


def districts_in_scope(session: Session, user: object) -> list[DistrictSummary]:
    """Districts the user may see, each with its number of villages (desa and kelurahan)."""
    villages = (
        select(Region.parent_code, func.count(), func.sum(case((Region.kind == "kelurahan", 1), else_=0)))
        .where(Region.level == LEVEL_VILLAGE, scope_filter(user, Region.code))
        .group_by(Region.parent_code)
    )
    counts = {p: (n, k or 0) for p, n, k in session.exec(villages)}
    districts = session.exec(
        select(Region).where(Region.level == LEVEL_DISTRICT, Region.code.in_(list(counts))).order_by(Region.code)
    )
    return [DistrictSummary(d, *counts[d.code]) for d in districts]


def villages_in_scope(session: Session, user: object, district_code: str | None = None) -> list[Region]:
    """Villages the user may see, optionally only those of one district."""
    query = select(Region).where(Region.level == LEVEL_VILLAGE, scope_filter(user, Region.code))
    if district_code:
        query = query.where(Region.parent_code == district_code)
    return list(session.exec(query.order_by(Region.code)))


@reference_cache()
def _village_names(session: Session, region_code: str) -> tuple[tuple[str, str], ...]:
    inside = Scope(region_code).filter(Region.code)
    query = select(Region.code, Region.name).where(Region.level == LEVEL_VILLAGE, inside)
    return tuple(session.exec(query.order_by(Region.code)).all())


def village_names(session: Session, user: Any) -> tuple[tuple[str, str], ...]:
    """(code, name) of the villages the user may see, for list filters and exports (kept per process)."""
    return _village_names(session, user.region_code)


def get_district_in_scope(session: Session, user: object, code: str) -> Region:
    """One district the user's scope reaches into (a clerk reaches their own village's district only)."""
    district = session.get(Region, code)
    scope = scope_for(user)
    if (
        district is None
        or district.level != LEVEL_DISTRICT
        or not (scope.covers(code) or scope.region_code.startswith(code + "."))
    ):
        raise NotFoundException("Kecamatan tidak ditemukan.")
    return district


def get_village_in_scope(session: Session, user: object, code: str) -> Region:
    """One village inside the user's scope, or 404."""
    village = get_in_scope(session, Region, code, user, "code")
    if village.level != LEVEL_VILLAGE:
        raise NotFoundException("Desa tidak ditemukan.")
    return village


PROFILE_FIELDS = {
    "office_address": ("Alamat kantor", 200),
    "phone": ("Telepon", 30),
    "head_title": ("Jabatan kepala", 60),
    "head_name": ("Nama kepala", 100),
    "head_nip": ("NIP kepala (bila ada)", 30),
    "sign_as": ("Surat ditandatangani oleh", 4),
    "signer_title": ("Jabatan yang menandatangani a.n./Plt./Plh.", 60),
    "signer_name": ("Nama yang menandatangani a.n./Plt./Plh.", 100),
    "signer_nip": ("NIP yang menandatangani (bila ada)", 30),
}
SIGN_AS = ("a.n.", "Plt.", "Plh.")


def validate_profile(form: dict[str, str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Clean the village profile form; returns (values, errors by field) with Indonesian messages."""
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name, (label, limit) in PROFILE_FIELDS.items():
        value = " ".join((form.get(name) or "").split())
        if len(value) > limit:
            errors[name] = f"{label} paling banyak {limit} karakter."
        values[name] = value or None
    phone = values.get("phone")
    if phone and not all(ch.isdigit() or ch in "+-() " for ch in phone):
        errors["phone"] = "Telepon hanya boleh berisi angka, spasi, +, - dan tanda kurung."
    sign_as = values.get("sign_as")
    if sign_as:
        match = next((s for s in SIGN_AS if s.casefold() == sign_as.casefold().rstrip(".") + "."), None)
        if match is None:
            errors["sign_as"] = "Isi a.n., Plt. atau Plh., atau kosongkan bila kepala sendiri yang menandatangani."
        else:
            values["sign_as"] = match
            if not values.get("signer_name"):
                errors["signer_name"] = f"Isi nama pejabat yang menandatangani ({match})."
    for key in ("head_nip", "signer_nip"):
        nip = (values.get(key) or "").replace(" ", "")
        if nip and not (nip.isdigit() and len(nip) == 18):
            errors[key] = "NIP terdiri dari 18 angka."
        values[key] = nip or None
    return values, errors


def update_profile(
    session: Session, village: Region, values: dict[str, str | None], *, actor: object, ip: str | None
) -> dict[str, list[str | None]]:
    """Save a village's (or a district's) profile; the audit entry lists what changed (old and new)."""
    changes = {k: [getattr(village, k), v] for k, v in values.items() if getattr(village, k) != v}
    if changes:
        for key, (_, new) in changes.items():
            setattr(village, key, new)
        village.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action=f"{'village' if village.level == LEVEL_VILLAGE else 'district'}.profile.update",
            object_type="region",
            object_id=village.code,
            region_code=village.code,
            changes=changes,
            ip=ip,
        )
        session.commit()
    return changes


def clerks_by_village(session: Session, user: object, district_code: str) -> dict[str, list[str]]:
    """Names of the active clerks of each village in a district (within the user's scope)."""
    rows = session.exec(
        select(User.region_code, User.full_name)
        .where(
            User.role == Role.CLERK.value,
            User.is_active,
            scope_filter(user, User.region_code, include_self=True),
            User.region_code.startswith(district_code + "."),
        )
        .order_by(User.full_name)
    )
    result: dict[str, list[str]] = {}
    for code, name in rows:
        result.setdefault(code, []).append(name)
    return result
