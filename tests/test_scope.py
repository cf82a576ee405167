"""Scoping is security: nobody sees or changes anything outside their village, district or regency.

Every route of the portal with a path parameter must be listed in SCOPE_CASES below, with who may use it,
an object inside their scope and one outside. The last test fails when a new route is added without
a case, so each later feature joins the same check.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from app.accounts.models import Role, User
from app.attachments.models import Attachment
from app.batches.models import Batch
from app.catalog.models import Service
from app.catalog.service import ensure_catalog
from app.imports.models import Import
from app.jobs.models import Job
from app.letters.models import Letter
from app.regions.models import Region
from app.requests.models import Request
from tests.conftest import (
    PEOPLE,
    add_batch,
    add_file,
    add_import,
    add_job,
    add_letter,
    add_request,
    csrf_from,
    login,
)


@dataclass(frozen=True)
class Case:
    actor: str
    own: str
    """A value for the path parameter that names an object inside the actor's scope."""
    foreign: str
    """One that names an object outside it (another village, district or regency)."""


# Path template → the cases it must pass. Values starting with "user:" name a user whose id is used.
SCOPE_CASES: dict[str, list[Case]] = {
    "/wilayah/desa/{code:str}": [
        Case("alice", own="35.16.11.2017", foreign="35.16.11.2009"),  # same district, other village
        Case("alice", own="35.16.11.2017", foreign="35.16.12.2007"),  # other district
        Case("dave", own="35.16.11.2009", foreign="35.16.12.2007"),
        Case("frank", own="35.16.12.2007", foreign="35.15.01.2001"),  # other regency
    ],
    "/wilayah/desa/{code:str}/pratinjau-surat.pdf": [
        Case("alice", own="35.16.11.2017", foreign="35.16.11.2009"),
        Case("grace", own="35.16.12.2007", foreign="35.15.01.2001"),
    ],
    "/wilayah/kecamatan/{code:str}/pratinjau-surat.pdf": [
        Case("dave", own="35.16.11", foreign="35.16.12"),
        Case("frank", own="35.16.12", foreign="35.15.01"),
    ],
    "/wilayah/kecamatan/{code:str}": [
        Case("alice", own="35.16.11", foreign="35.16.12"),
        Case("dave", own="35.16.11", foreign="35.16.12"),
        Case("frank", own="35.16.12", foreign="35.15.01"),
    ],
    "/permohonan/{request_id:int}": [
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.11.2009"),
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.12.2007"),
        Case("dave", own="request:35.16.11.2009", foreign="request:35.16.12.2007"),
        Case("frank", own="request:35.16.12.2007", foreign="request:35.15.01.2001"),
    ],
    "/permohonan/{request_id:int}/ubah": [
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.11.2009"),
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.12.2007"),
    ],
    "/permohonan/{request_id:int}/buka-kunci-cek-status": [
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.11.2009"),
        Case("carol", own="request:35.16.12.2007", foreign="request:35.16.11.2017"),
    ],
    "/permohonan/{request_id:int}/status": [
        Case("frank", own="request:35.16.12.2007", foreign="request:35.15.01.2001"),
    ],
    "/kiriman/{batch_id:int}": [
        Case("alice", own="batch:35.16.11.2017", foreign="batch:35.16.11.2009"),
        Case("dave", own="batch:35.16.11.2009", foreign="batch:35.16.12.2007"),
        Case("frank", own="batch:35.16.12.2007", foreign="batch:35.15.01.2001"),
    ],
    "/kiriman/{batch_id:int}/kirim": [
        Case("alice", own="batch:35.16.11.2017", foreign="batch:35.16.11.2009"),
        Case("carol", own="batch:35.16.12.2007", foreign="batch:35.16.11.2017"),
    ],
    "/kiriman/{batch_id:int}/keluarkan": [Case("alice", own="batch:35.16.11.2017", foreign="batch:35.16.11.2009")],
    "/kiriman/{batch_id:int}/putusan": [
        Case("dave", own="batch:35.16.11.2009", foreign="batch:35.16.12.2007"),
        Case("erin", own="batch:35.16.12.2007", foreign="batch:35.16.11.2009"),
    ],
    "/kiriman/{batch_id:int}/setujui-semua": [
        Case("dave", own="batch:35.16.11.2009", foreign="batch:35.16.12.2007"),
    ],
    "/permohonan/{request_id:int}/lampiran": [
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.11.2009"),
    ],
    "/permohonan/{request_id:int}/dokumen": [
        Case("frank", own="request:35.16.12.2007", foreign="request:35.15.01.2001"),
    ],
    "/lampiran/{attachment_id:int}": [
        Case("alice", own="file:35.16.11.2017", foreign="file:35.16.11.2009"),
        Case("dave", own="file:35.16.11.2009", foreign="file:35.16.12.2007"),
        Case("frank", own="file:35.16.12.2007", foreign="file:35.15.01.2001"),
    ],
    "/lampiran/{attachment_id:int}/hapus": [Case("alice", own="file:35.16.11.2017", foreign="file:35.16.11.2009")],
    "/permohonan/{request_id:int}/surat": [
        Case("alice", own="request:35.16.11.2017", foreign="request:35.16.11.2009"),
        Case("dave", own="request:35.16.11.2009", foreign="request:35.16.12.2007"),
    ],
    "/kiriman/{batch_id:int}/surat": [
        Case("bob", own="batch:35.16.11.2009", foreign="batch:35.16.11.2017"),
        Case("frank", own="batch:35.16.12.2007", foreign="batch:35.15.01.2001"),
    ],
    "/kiriman/{batch_id:int}/bundel": [
        Case("bob", own="batch:35.16.11.2009", foreign="batch:35.16.11.2017"),
        Case("dave", own="batch:35.16.11.2009", foreign="batch:35.16.12.2007"),
    ],
    "/tugas/{job_id:int}": [
        Case("bob", own="job:35.16.11.2009", foreign="job:35.16.11.2017"),
        Case("frank", own="job:35.16.12.2007", foreign="job:35.15.01.2001"),
    ],
    "/tugas/{job_id:int}/unduh": [
        Case("dave", own="job:35.16.11.2009", foreign="job:35.16.12.2007"),
    ],
    "/surat/{letter_id:int}/cabut": [
        Case("alice", own="letter:35.16.11.2017", foreign="letter:35.16.11.2009"),
        Case("grace", own="letter:35.16.12.2007", foreign="letter:35.15.01.2001"),
    ],
    "/surat/{letter_id:int}": [
        Case("alice", own="letter:35.16.11.2017", foreign="letter:35.16.11.2009"),
        Case("dave", own="letter:35.16.11.2009", foreign="letter:35.16.12.2007"),
        Case("frank", own="letter:35.16.12.2007", foreign="letter:35.15.01.2001"),
    ],
    "/impor/{import_id:int}": [
        Case("alice", own="import:35.16.11.2017", foreign="import:35.16.11.2009"),
        Case("carol", own="import:35.16.12.2007", foreign="import:35.16.11.2017"),
    ],
    "/impor/{import_id:int}/kesalahan.xlsx": [
        Case("alice", own="import:35.16.11.2017", foreign="import:35.16.11.2009")
    ],
    "/impor/{import_id:int}/simpan": [Case("alice", own="import:35.16.11.2017", foreign="import:35.15.01.2001")],
    "/admin/layanan/{service_id:int}": [Case("grace", own="service:35.16", foreign="service:35.15")],
    "/admin/pengguna/{user_id:int}": [Case("grace", own="user:alice", foreign="user:sidoarjo")],
    "/admin/pengguna/{user_id:int}/aktif": [Case("grace", own="user:alice", foreign="user:sidoarjo")],
    "/admin/pengguna/{user_id:int}/kata-sandi": [Case("grace", own="user:alice", foreign="user:sidoarjo")],
    "/admin/pengguna/{user_id:int}/wilayah": [Case("grace", own="user:alice", foreign="user:sidoarjo")],
    "/admin/pengguna/{user_id:int}/buka-kunci": [Case("grace", own="user:alice", foreign="user:sidoarjo")],
}

# Routes with parameters that carry no villager data.
NOT_SCOPED = {"/static/{file_path:path}", "/verify/{token:str}"}  # the public check: a random token, no data


@pytest.fixture
def other_regency(db):
    """Kabupaten Sidoarjo (35.15) with one district, one village and one clerk: outside everyone's scope."""
    for code, name, level, kind in [
        ("35.15", "Kabupaten Sidoarjo", 2, "kabupaten"),
        ("35.15.01", "Sidoarjo", 3, "kecamatan"),
        ("35.15.01.2001", "Desa Uji", 4, "desa"),
    ]:
        db.add(Region(code=code, name=name, level=level, kind=kind, parent_code=code.rsplit(".", 1)[0]))
        db.flush()
    alice = db.exec(select(User).where(User.username == "alice")).one()
    db.add(
        User(
            username="sidoarjo",
            full_name="Clerk Sidoarjo",
            role=Role.CLERK.value,
            region_code="35.15.01.2001",
            password_hash=alice.password_hash,
        )
    )
    db.commit()
    # One request in each clerk's village and one in the other regency. Alice's is in her draft batch;
    # the others were sent to their districts. Sidoarjo has its own service catalogue.
    ensure_catalog(db, "35.15")
    owners = [
        ("35.16.11.2017", "alice"),
        ("35.16.11.2009", "bob"),
        ("35.16.12.2007", "carol"),
        ("35.15.01.2001", "sidoarjo"),
    ]
    for serial, (village, creator) in enumerate(owners, 1):
        request = add_request(db, village, creator, serial=serial)
        request_batch = add_batch(db, request, creator, submitted=creator != "alice")
        add_file(db, request, creator)
        add_import(db, village, creator)
        add_letter(db, request)
        add_job(db, request_batch)


def _resolve(db, value: str) -> str:
    if value.startswith("user:"):
        return str(db.exec(select(User.id).where(User.username == value[5:])).one())
    if value.startswith("file:"):
        return str(db.exec(select(Attachment.id).where(Attachment.village_code == value[5:])).first())
    if value.startswith("service:"):
        return str(db.exec(select(Service.id).where(Service.regency_code == value[8:])).first())
    if value.startswith("job:"):
        return str(db.exec(select(Job.id).where(Job.village_code == value[4:])).first())
    if value.startswith("letter:"):
        return str(db.exec(select(Letter.id).where(Letter.village_code == value[7:])).first())
    if value.startswith("import:"):
        return str(db.exec(select(Import.id).where(Import.village_code == value[7:])).first())
    if value.startswith("batch:"):
        return str(db.exec(select(Batch.id).where(Batch.village_code == value[6:])).first())
    if value.startswith("request:"):
        return str(db.exec(select(Request.id).where(Request.village_code == value[8:])).first())
    return value


def _url(template: str, value: str) -> str:
    start, end = template.index("{"), template.index("}")
    return template[:start] + value + template[end + 1 :]


def _methods(app, template: str) -> set[str]:
    route = next(r for r in app.routes if r.path == template)
    return {m for h in route.route_handlers for m in h.http_methods} - {"OPTIONS", "HEAD"}


@pytest.mark.parametrize("template", sorted(SCOPE_CASES))
def test_another_scopes_objects_answer_404_and_stay_unchanged(app, client, db, other_regency, template):
    for case in SCOPE_CASES[template]:
        client.cookies.clear()
        assert login(client, case.actor).status_code == 303
        token = csrf_from(client.get("/").text)
        own_url = _url(template, _resolve(db, case.own))
        foreign_url = _url(template, _resolve(db, case.foreign))
        for method in _methods(app, template):
            if method == "GET":
                assert client.get(own_url).status_code == 200, (case, own_url)
                response = client.get(foreign_url)
            else:
                response = client.request(
                    method,
                    foreign_url,
                    data={
                        "_csrf_token": token,
                        "active": "0",
                        "password": "Sandi-Baru-Sekali-1",
                        "role": "clerk",
                        "head_name": "X",
                    },
                    follow_redirects=False,
                )
            assert response.status_code == 404, (case, method, foreign_url, response.status_code)
            assert "Halaman tidak ditemukan" in response.text
    # Nothing outside the scope changed: the foreign user is still active with the same password.
    db.expire_all()
    foreign_user = db.exec(select(User).where(User.username == "sidoarjo")).one()
    assert foreign_user.is_active and foreign_user.session_epoch == 0
    assert db.get(Region, "35.16.11.2009").head_name is None
    assert db.get(Region, "35.16.12.2007").head_name is None
    statuses = {r.village_code: r.status for r in db.exec(select(Request))}
    assert statuses == {
        "35.16.11.2017": "draft",
        "35.16.11.2009": "submitted",
        "35.16.12.2007": "submitted",
        "35.15.01.2001": "submitted",
    }
    assert {b.village_code: b.status for b in db.exec(select(Batch))}["35.16.11.2017"] == "draft"
    assert len(db.exec(select(Attachment)).all()) == 4
    assert {i.status for i in db.exec(select(Import))} == {"checked"}  # no foreign import was committed


def test_a_district_operator_sees_every_village_of_the_district_and_none_of_another(client, db):
    login(client, "dave")
    puri = db.exec(select(Region.code).where(Region.parent_code == "35.16.11")).all()
    trowulan = db.exec(select(Region.code).where(Region.parent_code == "35.16.12")).all()
    assert len(puri) == 16 and len(trowulan) == 16
    assert all(client.get(f"/wilayah/desa/{code}").status_code == 200 for code in puri)
    assert all(client.get(f"/wilayah/desa/{code}").status_code == 404 for code in trowulan)
    listing = client.get("/wilayah/kecamatan/35.16.11").text
    assert all(code in listing for code in puri)
    assert not any(code in listing for code in trowulan)


def test_a_clerk_sees_only_their_own_village_in_the_district_list(client):
    login(client, "alice")
    listing = client.get("/wilayah/kecamatan/35.16.11").text
    assert "35.16.11.2017" in listing
    assert "35.16.11.2009" not in listing


def test_dinas_staff_see_every_district_of_their_regency(client):
    login(client, "frank")
    page = client.get("/wilayah/")
    assert page.status_code == 200
    assert "18 kecamatan, 304 desa/kelurahan (5 kelurahan)" in page.text


@pytest.mark.parametrize(
    ("actor", "url", "status"),
    [
        ("alice", "/admin/pengguna/", 403),
        ("dave", "/admin/pengguna/", 403),
        ("frank", "/admin/pengguna/", 403),
        ("grace", "/admin/pengguna/", 200),
        ("alice", "/wilayah/", 403),
        ("frank", "/wilayah/", 200),
    ],
)
def test_pages_outside_a_role_are_refused(client, actor, url, status):
    login(client, actor)
    response = client.get(url)
    assert response.status_code == status
    if status == 403:
        assert "Akses ditolak" in response.text


def test_only_the_villages_own_clerk_or_the_admin_may_edit_its_profile(client, db):
    login(client, "dave")  # the district operator may look, not edit
    token = csrf_from(client.get("/wilayah/desa/35.16.11.2017").text)
    refused = client.post("/wilayah/desa/35.16.11.2017", data={"_csrf_token": token, "head_name": "Bukan Saya"})
    assert refused.status_code == 403
    db.expire_all()
    assert db.get(Region, "35.16.11.2017").head_name is None


def test_every_parameterised_route_is_in_the_scope_check(app):
    templates = {
        route.path
        for route in app.routes
        if "{" in route.path
        and any(h.opt.get("portal") and not h.opt.get("api") for h in getattr(route, "route_handlers", []))
    }
    missing = templates - set(SCOPE_CASES) - NOT_SCOPED
    assert not missing, f"add these routes to SCOPE_CASES in tests/test_scope.py: {sorted(missing)}"
    assert set(SCOPE_CASES) <= templates, "SCOPE_CASES names a route that no longer exists"


def test_the_people_cover_every_role():
    assert {p.role for p in PEOPLE.values()} == set(Role)


def test_a_signed_out_visitor_is_sent_to_login_from_every_page(app, client, db, other_regency):
    token = csrf_from(client.get("/login").text)
    for route in app.routes:
        handlers = [h for h in getattr(route, "route_handlers", []) if h.opt.get("portal") and not h.opt.get("api")]
        if not handlers or route.path in NOT_SCOPED or any(h.opt.get("public") for h in handlers):
            continue
        url = route.path
        if "{" in url:
            url = _url(url, _resolve(db, SCOPE_CASES[route.path][0].own))
        for method in _methods(app, route.path):
            data = None if method == "GET" else {"_csrf_token": token}
            response = client.request(method, url, data=data, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"] == "/login", (method, url)
