"""NIK, KK and request checks: the one validator the form, the import and the API share."""

from __future__ import annotations

from datetime import date

import pytest

from app.catalog.definitions import BY_CODE
from app.requests.validation import check_kk, check_nik, check_request, mask_name, mask_number, parse_date
from tests.conftest import make_nik

BORN = date(1990, 8, 12)


def test_a_good_nik_passes_and_agrees_with_birth_date_and_sex():
    nik, error, warning = check_nik("3516111208900001", birth_date=BORN, sex="L")
    assert (nik, error, warning) == ("3516111208900001", None, None)


def test_spaces_and_dots_typed_into_a_nik_are_ignored():
    assert check_nik("3516 1112 0890 0001")[0] == "3516111208900001"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("351611120890001", "harus 16 digit; yang diisi 15 digit"),
        ("35161112089000012", "harus 16 digit; yang diisi 17 digit"),
        ("3516111208900O01", "hanya boleh berisi angka"),
        ("3.51611120890001E+15", "angka ilmiah"),
        ("", "wajib diisi"),
        ("9916111208900001", "Kode provinsi 99"),
        ("3570111208900001", "Kode kabupaten/kota 35.70"),
        ("3599111208900001", "Kode kabupaten/kota 35.99"),
        ("3516113208900001", "tidak mungkin"),
        ("3516111213900001", "tidak mungkin"),
        ("3516113102900001", "tidak ada di kalender"),
        ("3516111208900000", "Nomor urut"),
    ],
)
def test_bad_niks_are_refused_with_the_reason(raw, message):
    nik, error, _ = check_nik(raw)
    assert nik is None
    assert message in error


def test_a_womans_nik_has_forty_added_to_the_day():
    nik = make_nik("1990-08-12", "P")
    assert nik[6:8] == "52"
    assert check_nik(nik, birth_date=BORN, sex="P")[1] is None
    error = check_nik(nik, birth_date=BORN, sex="L")[1]
    assert error == "NIK menunjukkan jenis kelamin perempuan (tanggal lahir +40), tetapi yang dipilih laki-laki."


def test_a_nik_whose_date_differs_from_the_form_is_refused():
    error = check_nik("3516111208900001", birth_date=date(1990, 8, 13), sex="L")[1]
    assert error == "Tanggal lahir pada NIK (12-08-90) tidak sama dengan tanggal lahir yang diisi (13-08-1990)."
    assert "tidak sama" in check_nik("3516111208900001", birth_date=date(1991, 8, 12), sex="L")[1]


def test_an_unknown_district_is_only_a_warning():
    nik, error, warning = check_nik("3516991208900001", birth_date=BORN, sex="L")
    assert nik == "3516991208900001" and error is None
    assert "35.16.99" in warning and "pemekaran" in warning


def test_a_nik_from_another_province_is_fine():
    assert check_nik("3171011208900001", birth_date=BORN, sex="L")[1] is None  # Jakarta Selatan


def test_29_february_is_settled_by_the_stated_birth_year():
    assert check_nik("3516112902000001", birth_date=date(2000, 2, 29), sex="L")[1] is None
    assert "tidak ada di kalender" in check_nik("3516112902010001")[1]


def test_kk_numbers_are_16_digits_from_a_known_province():
    assert check_kk("3516110101090001") == ("3516110101090001", None)
    assert "16 digit" in check_kk("35161101010900")[1]
    assert "provinsi 99" in check_kk("9916110101090001")[1]


@pytest.mark.parametrize("text", ["12-08-1990", "12/08/1990", "1990-08-12", "12.08.1990"])
def test_dates_in_the_formats_clerks_type(text):
    assert parse_date(text) == BORN


def test_masking_keeps_four_digits_on_each_side():
    assert mask_number("3516111208900001") == "3516••••••••0001"
    assert mask_name("Siti Rahmawati") == "S*** R***"


def _good(**over):
    data = {
        "nik": "3516111208900001",
        "kk_number": "3516110101090001",
        "name": "Budi Santoso",
        "birth_place": "Mojokerto",
        "birth_date": "1990-08-12",
        "sex": "L",
        "address": "Jl. Mawar 1",
        "rt": "1",
        "rw": "2",
        "phone": "0812 3456 7890",
        "fields": {},
    }
    data.update(over)
    return data


def test_a_complete_request_is_cleaned():
    checked = check_request(_good(), BY_CODE["KTP_BARU"], today=date(2026, 11, 23))
    assert checked.ok, checked.errors
    v = checked.values
    assert (v["name"], v["rt"], v["rw"], v["phone"], v["birth_date"]) == (
        "BUDI SANTOSO",
        "001",
        "002",
        "081234567890",
        BORN,
    )


def test_a_birth_certificate_needs_the_childs_data_and_the_mothers_nik():
    checked = check_request(_good(), BY_CODE["AKTA_LAHIR"], today=date(2026, 11, 23))
    assert set(checked.errors) == {
        "fields.child_name",
        "fields.child_sex",
        "fields.child_birth_place",
        "fields.child_birth_date",
        "fields.mother_nik",
    }
    assert checked.errors["fields.mother_nik"] == "NIK ibu wajib diisi untuk layanan ini."
    fields = {
        "child_name": "Ani",
        "child_sex": "P",
        "child_birth_place": "Mojokerto",
        "child_birth_date": "01-11-2026",
        "mother_nik": make_nik("1992-03-04", "P"),
        "father_nik": "123",
    }
    checked = check_request(_good(fields=fields), BY_CODE["AKTA_LAHIR"], today=date(2026, 11, 23))
    assert set(checked.errors) == {"fields.father_nik"}  # optional, but checked when given
    assert "NIK ayah harus 16 digit" in checked.errors["fields.father_nik"]


def test_every_identity_problem_is_reported_at_once():
    checked = check_request(
        _good(nik="123", kk_number="", name="", birth_date="32-13-1990", sex="X", rt="A", phone="12345"),
        BY_CODE["KTP_BARU"],
        today=date(2026, 11, 23),
    )
    assert set(checked.errors) == {"nik", "kk_number", "name", "birth_date", "sex", "rt", "phone"}
