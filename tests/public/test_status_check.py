"""Residents check their request's stage with its public number and PIN: no login, nothing more shown."""

from __future__ import annotations

from tests.conftest import add_request, csrf_from


def _check(client, number, pin):
    token = csrf_from(client.get("/cek-status").text)
    return client.post("/cek-status", data={"number": number, "pin": pin, "_csrf_token": token})


def test_the_right_number_and_pin_show_the_stage_and_a_masked_name(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="approved", name="SITI RAHMAWATI")
    response = _check(client, item.number.lower(), item.status_pin)
    assert response.status_code == 200
    assert "Disetujui kecamatan" in response.text and "S*** R***" in response.text
    assert "SITI RAHMAWATI" not in response.text and item.nik not in response.text
    assert "Kenanten" not in response.text.split("<main")[1]  # no address, no village


def test_a_wrong_pin_says_only_that_it_does_not_match(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    wrong = "000000" if item.status_pin != "000000" else "111111"
    response = _check(client, item.number, wrong)
    assert response.status_code == 404
    assert "Nomor permohonan atau PIN tidak cocok" in response.text
    assert _check(client, "PPD-0000000000-2026-000001", "123456").text.count("tidak cocok") == 1


def test_guessing_pins_is_stopped_after_five_misses(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    wrong = "000000" if item.status_pin != "000000" else "111111"
    for _ in range(5):
        assert _check(client, item.number, wrong).status_code == 404
    blocked = _check(client, item.number, item.status_pin)
    assert blocked.status_code == 429 and "Terlalu banyak percobaan" in blocked.text


def test_one_address_is_limited_across_numbers(client, db):
    for n in range(20):
        _check(client, f"PPD-3516112017-2026-{n:06d}", "123456")
    assert _check(client, "PPD-3516112017-2026-999999", "123456").status_code == 429


def test_the_page_needs_no_login_and_the_pin_stays_out_of_the_url(client):
    page = client.get("/cek-status")
    assert page.status_code == 200 and 'method="post"' in page.text
