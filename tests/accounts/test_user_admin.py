"""The regency admin manages users in the UI: create, deactivate, reset password, assign scope."""

from __future__ import annotations

from sqlmodel import select

from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.conftest import csrf_from, login


def _user(db, username):
    db.expire_all()
    return db.exec(select(User).where(User.username == username)).first()


def _form(client, url):
    return csrf_from(client.get(url).text)


def test_the_admin_sees_every_user_of_the_regency(as_user):
    client = as_user("grace")
    page = client.get("/admin/pengguna/")
    assert page.status_code == 200
    for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace"):
        assert f">{name}</a>" in page.text


def test_the_admin_creates_a_clerk_who_can_then_log_in(as_user, db, app):
    client = as_user("grace")
    token = _form(client, "/admin/pengguna/baru")
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "_csrf_token": token,
            "username": "Desa.Brayung",
            "full_name": "Wati Brayung",
            "role": "clerk",
            "region_code": "35.16.11.2004",
            "password": "Sandi-Brayung-2026",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    created = _user(db, "desa.brayung")
    assert created.region_code == "35.16.11.2004" and created.is_active
    assert response.headers["location"] == f"/admin/pengguna/{created.id}"
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert audit.actor_username == "grace" and audit.object_id == str(created.id)
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as other:
        assert login(other, "desa.brayung", "Sandi-Brayung-2026").status_code == 303
        assert "Petugas Desa Brayung, Kec. Puri" in other.get("/").text


def test_a_bad_user_form_keeps_what_was_typed_and_explains_each_field(as_user, db):
    client = as_user("grace")
    token = _form(client, "/admin/pengguna/baru")
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "_csrf_token": token,
            "username": "alice",
            "full_name": "Nama Yang Diketik",
            "role": "district",
            "region_code": "35.16.11.2004",
            "password": "pendek",
        },
    )
    assert response.status_code == 400
    assert "Nama pengguna ini sudah dipakai." in response.text
    assert "harus ditugaskan ke satu kecamatan" in response.text
    assert "Kata sandi minimal 10 karakter." in response.text
    assert 'value="Nama Yang Diketik"' in response.text
    assert '<option value="district" selected>' in response.text
    assert 'value="35.16.11.2004" selected' in response.text
    assert "pendek" not in response.text  # a password is never echoed back
    assert len(db.exec(select(User)).all()) == 7


def test_the_admin_cannot_assign_a_region_outside_the_regency(as_user, db):
    from app.regions.service import load_regency

    load_regency(db, "35.15")
    client = as_user("grace")
    token = _form(client, "/admin/pengguna/baru")
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "_csrf_token": token,
            "username": "luar",
            "full_name": "Luar Wilayah",
            "role": "clerk",
            "region_code": "35.15.01.2001",
            "password": "Sandi-Luar-2026",
        },
    )
    assert response.status_code == 400
    assert "Pilih wilayah tugas yang ada di kabupaten Anda." in response.text
    assert _user(db, "luar") is None


def test_resetting_a_password_signs_the_user_out_everywhere(as_user, app, db):
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as alice:
        assert login(alice, "alice").status_code == 303
        admin = as_user("grace")
        alice_id = _user(db, "alice").id
        token = _form(admin, f"/admin/pengguna/{alice_id}")
        response = admin.post(
            f"/admin/pengguna/{alice_id}/kata-sandi",
            data={"_csrf_token": token, "password": "Sandi-Baru-Alice-1"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert alice.get("/", follow_redirects=False).status_code == 303  # signed out
        assert login(alice, "alice", "Sandi-Baru-Alice-1").status_code == 303


def test_a_too_short_reset_password_is_refused_with_a_message(as_user, db):
    client = as_user("grace")
    alice_id = _user(db, "alice").id
    token = _form(client, f"/admin/pengguna/{alice_id}")
    response = client.post(f"/admin/pengguna/{alice_id}/kata-sandi", data={"_csrf_token": token, "password": "123"})
    assert response.status_code == 400
    assert "Kata sandi minimal 10 karakter." in response.text
    assert _user(db, "alice").session_epoch == 0


def test_assigning_a_new_scope_moves_what_the_user_sees(as_user, app, db):
    from litestar.testing import TestClient

    client = as_user("grace")
    alice_id = _user(db, "alice").id
    token = _form(client, f"/admin/pengguna/{alice_id}")
    response = client.post(
        f"/admin/pengguna/{alice_id}/wilayah",
        data={"_csrf_token": token, "role": "district", "region_code": "35.16.12"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert (_user(db, "alice").role, _user(db, "alice").region_code) == ("district", "35.16.12")
    with TestClient(app, base_url="http://testserver.local") as alice:
        login(alice, "alice")
        assert "Operator Kecamatan Trowulan" in alice.get("/").text
        assert alice.get("/wilayah/desa/35.16.12.2007").status_code == 200
        assert alice.get("/wilayah/desa/35.16.11.2017").status_code == 404


def test_deactivating_and_reactivating_an_account(as_user, db):
    client = as_user("grace")
    bob_id = _user(db, "bob").id
    token = _form(client, f"/admin/pengguna/{bob_id}")
    client.post(f"/admin/pengguna/{bob_id}/aktif", data={"_csrf_token": token, "active": "0"})
    assert _user(db, "bob").is_active is False
    page = client.get(f"/admin/pengguna/{bob_id}")
    assert "Aktifkan kembali" in page.text
    client.post(f"/admin/pengguna/{bob_id}/aktif", data={"_csrf_token": token, "active": "1"})
    assert _user(db, "bob").is_active is True


def test_the_admin_cannot_lock_themself_out(as_user, db):
    client = as_user("grace")
    grace_id = _user(db, "grace").id
    token = _form(client, f"/admin/pengguna/{grace_id}")
    deactivate = client.post(f"/admin/pengguna/{grace_id}/aktif", data={"_csrf_token": token, "active": "0"})
    assert "Anda tidak dapat menonaktifkan akun Anda sendiri." in deactivate.text
    demote = client.post(
        f"/admin/pengguna/{grace_id}/wilayah",
        data={"_csrf_token": token, "role": "clerk", "region_code": "35.16.11.2017"},
    )
    assert "Anda tidak dapat mencabut peran admin dari akun Anda sendiri." in demote.text
    grace = _user(db, "grace")
    assert grace.is_active and grace.role == "admin"


def test_a_user_changes_their_own_password(as_user, db):
    client = as_user("alice")
    token = _form(client, "/akun/kata-sandi")
    wrong = client.post(
        "/akun/kata-sandi",
        data={"_csrf_token": token, "current": "salah-sandi-1", "new": "Sandi-Baru-2027", "repeat": "Sandi-Baru-2027"},
    )
    assert wrong.status_code == 400 and "Kata sandi saat ini salah." in wrong.text
    mismatch = client.post(
        "/akun/kata-sandi",
        data={"_csrf_token": token, "current": "Sandi-Uji-2026", "new": "Sandi-Baru-2027", "repeat": "Sandi-Lain-2027"},
    )
    assert "Ulangi kata sandi baru dengan sama persis." in mismatch.text
    ok = client.post(
        "/akun/kata-sandi",
        data={"_csrf_token": token, "current": "Sandi-Uji-2026", "new": "Sandi-Baru-2027", "repeat": "Sandi-Baru-2027"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert client.get("/").status_code == 200  # this session carries on
    client.cookies.clear()
    assert login(client, "alice", "Sandi-Baru-2027").status_code == 303


def test_a_clerk_edits_their_village_profile_and_a_bad_phone_keeps_the_form(as_user, db):
    from app.regions.models import Region

    client = as_user("alice")
    token = _form(client, "/wilayah/desa/35.16.11.2017")
    bad = client.post(
        "/wilayah/desa/35.16.11.2017",
        data={
            "_csrf_token": token,
            "office_address": "Jl. Raya Kenanten No. 1",
            "phone": "telp kantor",
            "head_title": "Kepala Desa",
            "head_name": "H. Sutrisno",
        },
    )
    assert bad.status_code == 400
    assert "Telepon hanya boleh berisi angka" in bad.text
    assert 'value="Jl. Raya Kenanten No. 1"' in bad.text
    db.expire_all()
    assert db.get(Region, "35.16.11.2017").office_address is None
    good = client.post(
        "/wilayah/desa/35.16.11.2017",
        data={
            "_csrf_token": token,
            "office_address": "Jl. Raya Kenanten No. 1",
            "phone": "(0321) 123456",
            "head_title": "Kepala Desa",
            "head_name": "H. Sutrisno",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    db.expire_all()
    village = db.get(Region, "35.16.11.2017")
    assert (village.office_address, village.head_name) == ("Jl. Raya Kenanten No. 1", "H. Sutrisno")
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "village.profile.update")).one()
    assert entry.changes["head_name"] == [None, "H. Sutrisno"] and entry.region_code == "35.16.11.2017"


def test_the_admin_unlocks_a_locked_user_who_can_then_log_in(as_user, app, db):
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as alice:
        for _ in range(5):
            login(alice, "alice", "bukan-sandinya-1")
        assert login(alice, "alice").status_code == 400  # locked for 15 minutes
        admin = as_user("grace")
        alice_id = _user(db, "alice").id
        listing = admin.get("/admin/pengguna/").text  # the list says who is locked, without opening each
        assert listing.count("Terkunci") == 1
        page = admin.get(f"/admin/pengguna/{alice_id}")
        assert "Akun terkunci" in page.text and "Buka kunci akun" in page.text
        response = admin.post(
            f"/admin/pengguna/{alice_id}/buka-kunci", data={"_csrf_token": csrf_from(page.text)}, follow_redirects=False
        )
        assert response.status_code == 303
        after = admin.get(f"/admin/pengguna/{alice_id}").text
        assert "Kunci akun alice sudah dibuka" in after and "Buka kunci akun" not in after
        assert "Terkunci" not in admin.get("/admin/pengguna/").text
        assert login(alice, "alice").status_code == 303
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "user.unlock")).one()
    assert audit.actor_username == "grace" and audit.object_id == str(alice_id)


def test_an_unlocked_users_page_offers_no_unlock_and_other_roles_may_not_unlock(as_user, db):
    alice_id = _user(db, "alice").id
    admin = as_user("grace")
    assert "Buka kunci akun" not in admin.get(f"/admin/pengguna/{alice_id}").text
    admin.cookies.clear()
    district = as_user("dave")
    token = csrf_from(district.get("/").text)
    assert district.post(f"/admin/pengguna/{alice_id}/buka-kunci", data={"_csrf_token": token}).status_code == 403
