"""Signing in and out: success, every failure with its Indonesian message, lock-out, revocation, CSRF."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.accounts.models import LoginThrottle, User
from app.accounts.service import MSG_INACTIVE, MSG_WRONG
from app.db import utcnow
from tests.conftest import PASSWORD, csrf_from, login, post_form


def test_it_shows_the_login_form_with_a_csrf_field(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="_csrf_token"' in page.text
    assert "Masuk ke Pelaku Para Dewi" in page.text


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_it_logs_in_and_shows_the_users_name_and_scope(client):
    response = login(client, "alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = client.get("/")
    assert "Alice Kenanten" in home.text
    assert "Petugas Desa Kenanten, Kec. Puri" in home.text


def test_it_accepts_the_username_in_any_case_and_with_spaces(client):
    assert login(client, "  ALICE ").status_code == 303


def test_it_rejects_a_wrong_password_with_the_same_message_as_an_unknown_user(client):
    wrong = login(client, "alice", "salah-sekali-123")
    unknown = login(client, "nobody-here", "salah-sekali-123")
    assert wrong.status_code == unknown.status_code == 400
    assert MSG_WRONG in wrong.text and MSG_WRONG in unknown.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_it_keeps_the_typed_username_after_a_failed_login(client):
    response = login(client, "alice", "salah-sekali-123")
    assert 'value="alice"' in response.text


def test_it_locks_a_username_after_five_failures_even_for_the_right_password(client, db):
    for _ in range(4):
        assert MSG_WRONG in login(client, "alice", "bukan-sandinya-1").text
    fifth = login(client, "alice", "bukan-sandinya-1")
    assert "Terlalu banyak percobaan" in fifth.text
    locked = login(client, "alice", PASSWORD)
    assert locked.status_code == 400
    assert "Silakan coba lagi dalam 15 menit" in locked.text


def test_it_locks_unknown_usernames_the_same_way(client):
    for _ in range(5):
        login(client, "ghost", "bukan-sandinya-1")
    assert "Terlalu banyak percobaan" in login(client, "ghost", "bukan-sandinya-1").text


def test_a_lock_does_not_touch_other_usernames(client):
    for _ in range(5):
        login(client, "alice", "bukan-sandinya-1")
    assert login(client, "bob").status_code == 303


def test_the_lock_ends_after_fifteen_minutes(client, db):
    for _ in range(5):
        login(client, "alice", "bukan-sandinya-1")
    throttle = db.get(LoginThrottle, "alice")
    assert throttle.locked_until is not None
    assert timedelta(minutes=14) < throttle.locked_until - utcnow() <= timedelta(minutes=15)
    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.commit()
    assert login(client, "alice").status_code == 303


def test_a_successful_login_clears_earlier_failures(client, db):
    for _ in range(4):
        login(client, "alice", "bukan-sandinya-1")
    assert login(client, "alice").status_code == 303
    db.expire_all()
    assert db.get(LoginThrottle, "alice") is None


def test_a_deactivated_user_cannot_log_in(client, db):
    user = db.exec(select(User).where(User.username == "alice")).one()
    user.is_active = False
    db.commit()
    response = login(client, "alice")
    assert response.status_code == 400
    assert MSG_INACTIVE in response.text


def test_deactivating_a_user_ends_their_running_session(app, client, db):
    from litestar.testing import TestClient

    from tests.conftest import login as do_login

    assert do_login(client, "alice").status_code == 303
    assert client.get("/").status_code == 200
    with TestClient(app, base_url="http://testserver.local") as admin:
        assert do_login(admin, "grace").status_code == 303
        alice = db.exec(select(User).where(User.username == "alice")).one()
        page = admin.get(f"/admin/pengguna/{alice.id}")
        response = admin.post(
            f"/admin/pengguna/{alice.id}/aktif",
            data={"active": "0", "_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
    after = client.get("/", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"] == "/login"


def test_logout_ends_the_session(client):
    login(client, "alice")
    response = post_form(client, "/logout", {}, page="/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_an_old_session_cookie_is_useless_after_logout(client):
    login(client, "alice")
    cookie = client.cookies.get("portal_session")
    post_form(client, "/logout", {}, page="/")
    client.cookies.set("portal_session", cookie, domain="testserver.local")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_issues_a_new_session_id_so_a_planted_one_never_gets_signed_in(client):
    planted = "a" * 64
    client.get("/login")
    client.cookies.set("portal_session", planted, domain="testserver.local")
    response = login(client, "alice")
    issued = [c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session=")]
    assert issued and planted not in issued[0]
    assert client.get("/").status_code == 200
    client.cookies.set("portal_session", planted, domain="testserver.local")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(client):
    page = client.get("/login")
    csrf_cookie = page.headers.get_list("set-cookie")
    assert any(
        "portal_csrftoken=" in c and "HttpOnly" in c and "SameSite=lax" in c.replace("Lax", "lax") for c in csrf_cookie
    )
    response = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    session_cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session=")]
    assert session_cookie
    assert "HttpOnly" in session_cookie[0]
    assert "samesite=lax" in session_cookie[0].lower()
    assert "Secure" not in session_cookie[0]


def test_a_form_post_without_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "Formulir ini sudah kedaluwarsa" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_form_post_with_a_forged_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "_csrf_token": "forged-token"})
    assert response.status_code == 403


def test_htmx_requests_pass_csrf_with_the_header_from_the_page(client):
    login(client, "alice")
    home = client.get("/")
    token = csrf_from(home.text)
    assert f'"x-csrftoken": "{token}"' in home.text  # the body's hx-headers carries it
    response = client.post("/logout", headers={"x-csrftoken": token, "hx-request": "true"}, follow_redirects=False)
    assert response.status_code == 303
    refused = client.post("/login", headers={"hx-request": "true"}, data={})
    assert refused.status_code == 403


def test_the_next_parameter_only_redirects_inside_the_portal(client):
    page = client.get("/login?next=/wilayah/desa/35.16.11.2017")
    assert 'value="/wilayah/desa/35.16.11.2017"' in page.text
    token = csrf_from(page.text)
    ok = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "_csrf_token": token, "next": "/wilayah/desa/35.16.11.2017"},
        follow_redirects=False,
    )
    assert ok.headers["location"] == "/wilayah/desa/35.16.11.2017"
    post_form(client, "/logout", {}, page="/")
    token = csrf_from(client.get("/login").text)
    evil = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "_csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/"


def test_login_attempts_are_audited_without_passwords(client, db):
    from app.audit.models import AuditEntry

    login(client, "alice", "bukan-sandinya-1")
    login(client, "alice")
    actions = [e.action for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["login.failed", "login.success"]
    assert all(PASSWORD not in str(e.changes) for e in db.exec(select(AuditEntry)))


def test_a_session_works_on_every_worker_process(app, portal_config, client):
    """Two app instances over one database stand for two worker processes (or servers)."""
    from litestar.testing import TestClient

    from app.main import create_app

    login(client, "alice")
    cookie = client.cookies.get("portal_session")
    other_worker = create_app(portal_config)
    with TestClient(other_worker, base_url="http://testserver.local") as second:
        second.cookies.set("portal_session", cookie, domain="testserver.local")
        page = second.get("/", follow_redirects=False)
        assert page.status_code == 200
        assert "Petugas Desa Kenanten, Kec. Puri" in page.text


def test_anonymous_page_views_store_no_session(client, db):
    from app.accounts.models import SessionRecord

    for _ in range(3):
        assert client.get("/login").status_code == 200
        assert client.get("/cek-status").status_code == 200
    assert db.exec(select(SessionRecord)).all() == []
    login(client, "alice")
    assert len(db.exec(select(SessionRecord)).all()) == 1


def test_spraying_one_password_over_30_usernames_from_one_address_gets_refused(client, db):
    from app.ratelimit import RateLimit

    responses = [login(client, f"warga{n:02d}", "Sandi-Tebakan-2026") for n in range(30)]
    assert [r.status_code for r in responses[:20]] == [400] * 20
    assert all(MSG_WRONG in r.text for r in responses[:20])
    assert [r.status_code for r in responses[20:]] == [429] * 10
    assert "Terlalu banyak percobaan masuk yang gagal dari jaringan ini" in responses[-1].text
    refused = login(client, "bob")  # even the right password, while the address is held back
    assert refused.status_code == 429
    row = db.get(RateLimit, "login-ip:testclient")
    row.window_start -= timedelta(minutes=16)
    db.commit()
    assert login(client, "bob").status_code == 303


def test_a_csrf_token_taken_from_another_session_is_refused_with_403(app, client):
    from litestar.testing import TestClient

    login(client, "alice")
    with TestClient(app, base_url="http://testserver.local") as attacker:
        login(attacker, "bob")
        token = csrf_from(attacker.get("/").text)
        cookie = attacker.cookies.get("portal_csrftoken")
    # Bob's valid pair, planted in Alice's browser (a cookie set from a sibling subdomain, say).
    client.cookies.set("portal_csrftoken", cookie, domain="testserver.local")
    refused = client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403 and "Formulir ini sudah kedaluwarsa" in refused.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_login_issues_a_fresh_csrf_token_and_the_one_from_before_stops_working(client):
    page = client.get("/login")
    before_token, before_cookie = csrf_from(page.text), client.cookies.get("portal_csrftoken")
    client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "_csrf_token": before_token},
        follow_redirects=False,
    )
    home = client.get("/")
    assert home.status_code == 200
    assert csrf_from(home.text) != before_token
    assert client.cookies.get("portal_csrftoken") != before_cookie
    assert post_form(client, "/akun/kata-sandi", {"current": "x"}).status_code == 400  # the new one works
    client.cookies.set("portal_csrftoken", before_cookie, domain="testserver.local")
    assert client.post("/logout", data={"_csrf_token": before_token}).status_code == 403


def test_after_a_password_change_the_next_page_load_carries_a_new_token_that_works(client):
    login(client, "alice")
    page = client.get("/akun/kata-sandi")
    old = csrf_from(page.text)
    assert 'hx-boost="false"' in page.text.split('action="/akun/kata-sandi"')[1].split(">")[0]
    changed = client.post(
        "/akun/kata-sandi",
        data={"_csrf_token": old, "current": PASSWORD, "new": "Sandi-Baru-2027", "repeat": "Sandi-Baru-2027"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    home = client.get("/")  # a full page load: a new <body hx-headers> with the new session's token
    new = csrf_from(home.text)
    assert new != old and f'"x-csrftoken": "{new}"' in home.text
    assert client.post("/logout", headers={"x-csrftoken": old, "hx-request": "true"}).status_code == 403
    assert (
        client.post("/logout", headers={"x-csrftoken": new, "hx-request": "true"}, follow_redirects=False).status_code
        == 303
    )


def test_a_form_sent_after_the_session_expired_leads_to_the_login_page_and_changes_nothing(client, db):
    from sqlalchemy import delete

    from app.accounts.models import SessionRecord

    login(client, "alice")
    form = client.get("/wilayah/desa/35.16.11.2017")
    token = csrf_from(form.text)
    db.execute(delete(SessionRecord))  # the working day ended while the form stayed open
    db.commit()
    response = client.post(
        "/wilayah/desa/35.16.11.2017", data={"_csrf_token": token, "phone": "0321-999"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    from app.regions.models import Region

    db.expire_all()
    assert db.get(Region, "35.16.11.2017").phone is None
