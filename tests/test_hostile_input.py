"""Hostile input answers a clear 4xx (in Indonesian, with the documented JSON body on the API), never a 500."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from tests.conftest import add_batch, add_request, csrf_from, login

HUGE = 2**63
BEYOND_INTEGER = 2**31


@pytest.fixture
def api(db):
    alice = db.exec(select(User).where(User.username == "alice")).one()
    _, plain = create_token(db, alice, "uji")
    db.commit()
    return {"Authorization": f"Bearer {plain}"}


def _api_error(response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert set(body) >= {"detail", "errors"}
    return body


@pytest.mark.parametrize("number", [HUGE, BEYOND_INTEGER])
def test_ids_beyond_the_database_answer_404_on_pages_and_the_api(client, db, api, number):
    login(client, "alice")
    for path in (f"/permohonan/{number}", f"/kiriman/{number}"):
        page = client.get(path)
        assert page.status_code == 404 and "Halaman tidak ditemukan" in page.text
    _api_error(client.get(f"/api/v1/requests/{number}", headers=api), 404)
    _api_error(client.get(f"/api/v1/batches/{number}", headers=api), 404)
    created = client.post("/api/v1/batches", json={"request_ids": [number]}, headers=api)
    assert created.status_code in (400, 404, 422), created.text[:300]
    assert set(created.json()) >= {"detail", "errors"}


def test_api_404s_are_json_inside_and_outside_the_scope(client, db, api):
    other = add_request(db, "35.16.12.2007", "carol", serial=3)
    for path in ("/api/v1/requests/999999", f"/api/v1/requests/{other.id}", "/api/v1/tidak-ada"):
        response = client.get(path, headers=api)
        assert response.headers["content-type"].startswith("application/json"), path
        assert "Not Found" not in _api_error(response, 404)["detail"]


def test_a_wrong_method_on_the_api_is_a_json_405_in_indonesian(client, db, api):
    body = _api_error(client.delete("/api/v1/requests", headers=api), 405)
    assert body["detail"] == "Metode HTTP ini tidak didukung untuk alamat API ini."


def test_a_plain_text_body_is_refused_with_415(client, db, api):
    response = client.post(
        "/api/v1/batches", content=b'{"request_ids": [1]}', headers={**api, "content-type": "text/plain"}
    )
    _api_error(response, 415)


def test_json_nested_fifty_thousand_deep_is_refused(client, db, api):
    body = b'{"request_ids": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = client.post("/api/v1/batches", content=body, headers={**api, "content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert set(response.json()) >= {"detail", "errors"}


@pytest.mark.parametrize("value", ["abc", "1e5", "-1", str(HUGE), ""])
def test_a_malformed_request_id_in_a_page_form_is_a_clear_4xx_and_changes_nothing(client, db, value):
    item = add_request(db, "35.16.11.2017", "alice", serial=4)
    batch = add_batch(db, item, "alice", submitted=True)
    login(client, "dave")
    token = csrf_from(client.get(f"/kiriman/{batch.id}").text)
    response = client.post(
        f"/kiriman/{batch.id}/putusan", data={"_csrf_token": token, "request_id": value, "decision": "approve"}
    )
    assert 400 <= response.status_code < 500 and "Permohonan" in response.text
    db.expire_all()
    assert db.get(type(item), item.id).status == "submitted"


NUL = "Jl.\u0000Mawar"


def test_nul_characters_are_refused_wherever_text_enters(client, db, api):
    item = add_request(db, "35.16.11.2017", "alice", serial=5)
    login_page = client.get("/login")
    refused = client.post(
        "/login", data={"_csrf_token": csrf_from(login_page.text), "username": "alice\u0000", "password": "x"}
    )
    assert refused.status_code == 422 and "karakter kosong (NUL)" in refused.text
    status_page = client.get("/cek-status")
    refused = client.post(
        "/cek-status", data={"_csrf_token": csrf_from(status_page.text), "number": "PPD\u0000", "pin": "123456"}
    )
    assert refused.status_code == 422 and "karakter kosong (NUL)" in refused.text
    assert client.get("/cek-status?nomor=PPD%00").status_code == 422
    body = _api_error(
        client.post(
            "/api/v1/requests",
            json={"service": "KTP_BARU", "nik": item.nik, "name": "WARGA", "address": NUL},
            headers=api,
        ),
        422,
    )
    assert "NUL" in body["detail"]
    login(client, "alice")
    edit = client.get(f"/permohonan/{item.id}/ubah")
    response = client.post(
        f"/permohonan/{item.id}/ubah", data={"_csrf_token": csrf_from(edit.text), "address": NUL, "name": "X"}
    )
    assert response.status_code == 422 and "karakter kosong (NUL)" in response.text


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=01-01-0001", "date_from=kemarin"])
def test_an_impossible_date_filter_on_the_api_is_a_422_naming_the_field(client, db, api, query):
    body = _api_error(client.get(f"/api/v1/requests?{query}", headers=api), 422)
    assert body["errors"][0]["field"] == query.split("=")[0]
