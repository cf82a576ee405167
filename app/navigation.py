"""The navigation each role sees, in one place (the base template draws it)."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str


def nav_for(user: object | None) -> list[NavItem]:
    if user is None:
        return []
    role = user.role  # type: ignore[attr-defined]
    items = [NavItem("Beranda", "/"), NavItem("Permohonan", "/permohonan/")]
    if role != Role.DINAS:
        items.append(NavItem("Kiriman", "/kiriman/"))
    if role == Role.CLERK:
        items.append(NavItem("Impor Excel", "/impor/"))
    if role == Role.CLERK:
        items.append(NavItem("Profil desa", f"/wilayah/desa/{user.region_code}"))  # type: ignore[attr-defined]
    elif role == Role.DISTRICT:
        items.append(NavItem("Desa/kelurahan", f"/wilayah/kecamatan/{user.region_code}"))  # type: ignore[attr-defined]
    else:
        items.append(NavItem("Wilayah", "/wilayah/"))
    if role == Role.ADMIN:
        items.append(NavItem("Pengguna", "/admin/pengguna/"))
        items.append(NavItem("Layanan", "/admin/layanan/"))
        items.append(NavItem("Surat", "/admin/surat/"))
    items.append(NavItem("Kata sandi", "/akun/kata-sandi"))
    return items
