"""The admin edits the regency's catalogue; clerks see the result when they record a request."""

from __future__ import annotations

from sqlmodel import select

from app.audit.models import AuditEntry
from app.catalog.models import Service
from tests.conftest import csrf_from


def _service(db, code):
    db.expire_all()
    return db.exec(select(Service).where(Service.regency_code == "35.16", Service.code == code)).one()


def test_every_regency_starts_with_the_13_services(as_user):
    page = as_user("grace").get("/admin/layanan/").text
    assert page.count("<code>") == 13
    assert "Akta kematian" in page and "1 hari" in page


def test_switching_a_service_off_hides_it_from_clerks(as_user, db, app):
    from litestar.testing import TestClient

    from tests.conftest import login

    admin = as_user("grace")
    kia = _service(db, "KIA")
    token = csrf_from(admin.get(f"/admin/layanan/{kia.id}").text)
    admin.post(
        f"/admin/layanan/{kia.id}",
        data={"_csrf_token": token, "target_days": "7", "requirements": "\n".join(kia.requirements)},
    )
    assert _service(db, "KIA").active is False
    with TestClient(app, base_url="http://testserver.local") as clerk:
        login(clerk, "alice")
        assert "Kartu Identitas Anak" not in clerk.get("/permohonan/baru").text
        direct = clerk.get("/permohonan/baru?layanan=KIA").text
        assert "pilih layanan" in direct and "Kartu Identitas Anak" not in direct


def test_editing_requirements_and_target_is_audited(as_user, db):
    admin = as_user("grace")
    mati = _service(db, "AKTA_MATI")
    token = csrf_from(admin.get(f"/admin/layanan/{mati.id}").text)
    admin.post(
        f"/admin/layanan/{mati.id}",
        data={
            "_csrf_token": token,
            "active": "1",
            "target_days": "2",
            "requirements": "Surat keterangan kematian\n\n  Kartu Keluarga  ",
        },
    )
    saved = _service(db, "AKTA_MATI")
    assert (saved.target_days, saved.requirements) == (2, ["Surat keterangan kematian", "Kartu Keluarga"])
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "service.update")).one()
    assert entry.changes["target_days"] == [1, 2]


def test_bad_values_keep_the_form_and_change_nothing(as_user, db):
    admin = as_user("grace")
    mati = _service(db, "AKTA_MATI")
    token = csrf_from(admin.get(f"/admin/layanan/{mati.id}").text)
    response = admin.post(
        f"/admin/layanan/{mati.id}",
        data={"_csrf_token": token, "active": "1", "target_days": "seratus", "requirements": ""},
    )
    assert response.status_code == 400
    assert "Target layanan diisi angka hari kerja" in response.text
    assert "minimal satu persyaratan" in response.text
    assert 'value="seratus"' in response.text
    assert _service(db, "AKTA_MATI").target_days == 1


def test_only_the_admin_edits_the_catalogue(as_user):
    assert as_user("frank").get("/admin/layanan/").status_code == 403
