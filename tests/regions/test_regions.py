"""Regions: the complete Mojokerto list from the migration, loading another regency, importing a file."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from app.regions import service
from app.regions.models import Region
from app.regions.reference import CODE_RE, regency_tree

MOJOKERTO_DISTRICTS = [
    "Jatirejo",
    "Gondang",
    "Pacet",
    "Trawas",
    "Ngoro",
    "Pungging",
    "Kutorejo",
    "Mojosari",
    "Dlanggu",
    "Bangsal",
    "Puri",
    "Trowulan",
    "Sooko",
    "Gedeg",
    "Kemlagi",
    "Jetis",
    "Dawarblandong",
    "Mojoanyar",
]


def test_mojokerto_is_complete_with_18_districts_and_304_villages(db):
    districts = db.exec(select(Region).where(Region.parent_code == "35.16").order_by(Region.code)).all()
    assert [d.name for d in districts] == MOJOKERTO_DISTRICTS
    assert [d.code for d in districts] == [f"35.16.{n:02d}" for n in range(1, 19)]
    villages = db.exec(select(Region).where(Region.level == 4, Region.code.startswith("35.16."))).all()
    assert len(villages) == 304
    assert sum(v.kind == "desa" for v in villages) == 299
    kelurahan = [v for v in villages if v.kind == "kelurahan"]
    assert len(kelurahan) == 5 and all(v.parent_code == "35.16.08" for v in kelurahan)  # all in Mojosari
    assert all(CODE_RE.match(v.code) and v.parent_code == v.code.rsplit(".", 1)[0] for v in villages)
    assert db.get(Region, "35.16.11.2017").name == "Kenanten"
    assert db.get(Region, "35.16").name == "Kabupaten Mojokerto"


def test_loading_another_regency_adds_it_whole_and_again_changes_nothing(db):
    expected = list(regency_tree("35.15"))
    first = service.load_regency(db, "35.15")
    assert first.inserted == len(expected) - 1  # the province was already there
    again = service.load_regency(db, "35.15")
    assert (again.inserted, again.updated) == (0, 0)
    districts = db.exec(select(func.count()).where(Region.parent_code == "35.15")).one()
    assert districts == sum(r.level == 3 for r in expected)


def test_loading_an_unknown_regency_is_refused(db):
    import pytest

    with pytest.raises(LookupError):
        service.load_regency(db, "35.99")
    with pytest.raises(LookupError):
        service.load_regency(db, "3516")


def test_importing_a_csv_of_codes_and_names(db):
    data = (
        "kode;nama\n35.15;Kabupaten Sidoarjo\n35.15.01;Sidoarjo\n35.15.01.1001;Sekardangan\n35.15.01.2002;Desa Contoh\n"
    ).encode("cp1252")
    result = service.import_csv(db, data)
    assert result.errors == []
    assert result.inserted == 4
    assert db.get(Region, "35.15.01.1001").kind == "kelurahan"
    assert db.get(Region, "35.15.01.2002").kind == "desa"
    assert db.get(Region, "35.15").kind == "kabupaten"


def test_a_csv_with_bad_rows_reports_every_row_and_writes_nothing(db):
    data = (
        b"35.15,Kabupaten Sidoarjo\n"
        b"3515012001,Tanpa Titik\n"
        b"35.15.01,\n"
        b"35.15,Dua Kali\n"
        b"35.77.01,Induk Tidak Ada\n"
        b"35.15.01.9,Kode Pendek\n"
    )
    result = service.import_csv(db, data)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "code"),
        (3, "name"),
        (4, "code"),
        (5, "code"),
        (6, "code"),
    ]
    assert "dengan titik" in result.errors[0].message
    assert "sudah ada di baris 1" in result.errors[2].message
    assert "induk 35.77 tidak dikenal" in result.errors[3].message
    assert db.get(Region, "35.15") is None
