"""Residents check their request's stage with its public number and PIN: no login, nothing more shown."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import uvicorn
from litestar.testing import TestClient
from sqlmodel import select

from app import ratelimit
from app.audit.models import AuditEntry
from app.db import utcnow
from app.main import create_app
from app.ratelimit import RateLimit
from tests.conftest import add_request, csrf_from, login


def _check(client, number, pin, forwarded_for=None):
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    token = csrf_from(client.get("/cek-status", headers=headers).text)
    return client.post("/cek-status", data={"number": number, "pin": pin, "_csrf_token": token}, headers=headers)


def _wrong_pin(item):
    return "000000" if item.status_pin != "000000" else "111111"


def connecting_from(asgi_app, host):
    """The ASGI app as a server hands it a connection from ``host`` (the test client has no address)."""

    async def app(scope, receive, send):
        if scope["type"] == "http":
            scope["client"] = (host, 40000)
        await asgi_app(scope, receive, send)

    return app


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
    for _ in range(5):
        assert _check(client, item.number, _wrong_pin(item)).status_code == 404
    blocked = _check(client, item.number, item.status_pin)
    assert blocked.status_code == 429 and "Terlalu banyak percobaan" in blocked.text


def test_one_address_is_limited_across_numbers(client, db):
    for n in range(20):
        _check(client, f"PPD-3516112017-2026-{n:06d}", "123456")
    assert _check(client, "PPD-3516112017-2026-999999", "123456").status_code == 429


def test_the_page_needs_no_login_and_the_pin_stays_out_of_the_url(client):
    page = client.get("/cek-status")
    assert page.status_code == 200 and 'method="post"' in page.text


def test_sixty_checks_from_a_local_process_with_forged_addresses_get_limited(app, db):
    """The server as `litestar run` starts it (uvicorn), with a local process that writes a new address
    into X-Forwarded-For for every check."""
    server = uvicorn.Config(app, log_config=None)  # reads FORWARDED_ALLOW_IPS as the standalone app left it
    server.load()
    with TestClient(connecting_from(server.loaded_app, "127.0.0.1"), base_url="http://testserver.local") as local:
        codes = [
            _check(local, f"PPD-3516112017-2026-{n:06d}", "123456", forwarded_for=f"198.51.100.{n}").status_code
            for n in range(60)
        ]
    assert codes[:20] == [404] * 20
    assert codes[20:] == [429] * 40


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(app, db):
    with TestClient(connecting_from(app, "192.0.2.50"), base_url="http://testserver.local") as client:
        for n in range(20):
            _check(client, f"PPD-3516112017-2026-{n:06d}", "123456", forwarded_for=f"198.51.100.{n}")
        assert _check(client, "PPD-3516112017-2026-999999", "123456", forwarded_for="203.0.113.1").status_code == 429


def test_a_request_via_a_trusted_proxy_uses_the_forwarded_address(portal_config, db):
    behind_proxy = create_app(replace(portal_config, trusted_proxies=("10.0.0.0/24",)))
    with TestClient(connecting_from(behind_proxy, "10.0.0.5"), base_url="http://testserver.local") as proxy:
        for n in range(20):
            # Whatever a resident writes in front, the proxy appends the address it saw.
            forged = f"198.51.100.{n}, 203.0.113.7"
            assert _check(proxy, f"PPD-3516112017-2026-{n:06d}", "123456", forwarded_for=forged).status_code == 404
        assert _check(proxy, "PPD-3516112017-2026-999999", "123456", forwarded_for="203.0.113.7").status_code == 429
        assert _check(proxy, "PPD-3516112017-2026-999999", "123456", forwarded_for="203.0.113.8").status_code == 404
    assert db.get(RateLimit, "status-ip:203.0.113.7").count == 21
    assert db.get(RateLimit, "status-ip:10.0.0.5") is None


def test_a_locked_pin_says_when_to_try_again_in_the_portal_time_zone(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    for _ in range(5):
        _check(client, item.number, _wrong_pin(item))
    blocked = _check(client, item.number, item.status_pin)
    assert blocked.status_code == 429
    db.expire_all()
    until = db.get(RateLimit, f"status-number:{item.number}").window_start + timedelta(hours=1)
    local = until.astimezone(ZoneInfo("Asia/Jakarta"))
    assert f"Silakan coba lagi pukul {local:%H.%M} WIB (sekitar 60 menit lagi)" in blocked.text
    assert "minta petugas desa/kelurahan" in blocked.text


def test_the_clerk_lifts_the_pin_lock_and_the_resident_can_check_again(app, client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    for _ in range(6):
        _check(client, item.number, _wrong_pin(item))
    assert _check(client, item.number, item.status_pin).status_code == 429
    with TestClient(app, base_url="http://testserver.local") as clerk:
        assert login(clerk, "alice").status_code == 303
        page = clerk.get(f"/permohonan/{item.id}")
        assert "Cek status warga terkunci" in page.text and "Buka kunci cek status" in page.text
        unlocked = clerk.post(
            f"/permohonan/{item.id}/buka-kunci-cek-status",
            data={"_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert unlocked.status_code == 303
        after = clerk.get(f"/permohonan/{item.id}").text
        assert "dibuka kembali" in after and "Buka kunci cek status" not in after
    assert _check(client, item.number, item.status_pin).status_code == 200
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "request.status_check_unlock")).one()
    assert entry.actor_username == "alice" and entry.object_id == str(item.id)


def test_only_the_villages_clerk_may_lift_the_pin_lock(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    for _ in range(5):
        _check(client, item.number, _wrong_pin(item))
    login(client, "dave")
    page = client.get(f"/permohonan/{item.id}")
    assert "Buka kunci cek status" not in page.text
    refused = client.post(f"/permohonan/{item.id}/buka-kunci-cek-status", data={"_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
    client.cookies.clear()
    assert _check(client, item.number, item.status_pin).status_code == 429


def test_rate_limit_rows_of_long_past_windows_are_purged(client, db, monkeypatch):
    db.add(RateLimit(key="status-ip:198.51.100.77", window_start=utcnow() - timedelta(days=2), count=20))
    db.add(RateLimit(key="status-number:PPD-X", window_start=utcnow() - timedelta(minutes=30), count=5))
    db.commit()
    monkeypatch.setattr(ratelimit, "_next_purge", 0.0)
    _check(client, "PPD-3516112017-2026-000001", "123456")
    db.expire_all()
    assert db.get(RateLimit, "status-ip:198.51.100.77") is None
    assert db.get(RateLimit, "status-number:PPD-X") is not None  # still inside its window
