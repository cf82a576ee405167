"""JSON API v1: the same rules as the pages, for village systems, with bearer tokens."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from litestar.cli.main import litestar_group
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from tests.conftest import PDF_BYTES, add_batch, add_file, add_import, add_job, add_letter, add_request, make_nik

BODY = {
    "service": "KTP_BARU",
    "kk_number": "3516110101090001",
    "name": "Budi Santoso",
    "birth_place": "Mojokerto",
    "birth_date": "1990-08-12",
    "sex": "L",
    "address": "Jl. Mawar 1",
    "rt": "1",
    "rw": "2",
}


@pytest.fixture
def token(db):
    def make(username: str) -> dict[str, str]:
        user = db.exec(select(User).where(User.username == username)).one()
        _, plain = create_token(db, user, "uji")
        return {"Authorization": f"Bearer {plain}"}

    return make


def test_the_whole_flow_through_the_api(client, token):
    alice, dave, frank = token("alice"), token("dave"), token("frank")
    services = client.get("/api/v1/services", headers=alice).json()
    assert len(services) == 13 and services[0]["requirements"]
    ids = []
    for serial, name in enumerate(["Ani", "Budi", "Citra"], 1):
        created = client.post(
            "/api/v1/requests", json={**BODY, "nik": make_nik(serial=serial), "name": name}, headers=alice
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "draft" and created.json()["number"].startswith("PPD-3516112017-")
        ids.append(created.json()["id"])
    batch = client.post("/api/v1/batches", json={"request_ids": ids}, headers={**alice, "Idempotency-Key": "k1"})
    assert batch.status_code == 201 and batch.json()["status"] == "draft"
    again = client.post("/api/v1/batches", json={"request_ids": ids}, headers={**alice, "Idempotency-Key": "k1"})
    assert again.json()["id"] == batch.json()["id"]
    batch_id = batch.json()["id"]
    sent = client.post(f"/api/v1/batches/{batch_id}/submit", headers=alice).json()
    assert sent["submitted_now"] is True and sent["status"] == "submitted"
    assert client.post(f"/api/v1/batches/{batch_id}/submit", headers=alice).json()["submitted_now"] is False

    review = client.post(
        f"/api/v1/batches/{batch_id}/review",
        headers=dave,
        json={
            "decisions": [
                {"request_id": ids[0], "decision": "approve"},
                {"request_id": ids[1], "decision": "reject", "reason": "Bukan warga"},
                {"request_id": ids[2], "decision": "return", "reason": "KK buram"},
            ]
        },
    )
    assert review.status_code == 200
    assert [r["decision"] for r in review.json()["requests"]] == ["approved", "rejected", "returned"]

    for body in ({"to": "processing"}, {"to": "completed", "output_number": "3516-KTP-9"}):
        assert client.post(f"/api/v1/requests/{ids[0]}/transition", json=body, headers=frank).status_code == 200
    uploaded = client.post(
        f"/api/v1/requests/{ids[0]}/documents",
        headers=frank,
        files={"file": ("x.pdf", PDF_BYTES, "application/pdf")},
        data={"label": "KTP-el"},
    )
    assert uploaded.status_code == 201 and len(uploaded.json()["sha256"]) == 64

    detail = client.get(f"/api/v1/requests/{ids[0]}", headers=alice).json()
    assert detail["status"] == "completed" and detail["nik"] == make_nik(serial=1)
    assert [h["to"] for h in detail["history"]] == ["draft", "submitted", "approved", "processing", "completed"]
    listing = client.get("/api/v1/requests?status=returned", headers=alice).json()
    assert listing["total"] == 1 and listing["items"][0]["nik"] == "3516••••••••0003"


def test_bad_input_answers_422_with_every_field(client, token):
    response = client.post(
        "/api/v1/requests", json={**BODY, "nik": "123", "birth_date": "kemarin"}, headers=token("alice")
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"nik", "birth_date"} <= fields
    assert response.json()["detail"] == "Data tidak valid."
    malformed = client.post("/api/v1/requests", json={"service": "KTP_BARU"}, headers=token("alice"))
    assert malformed.status_code == 400 and malformed.json()["errors"]


def test_no_or_revoked_token_answers_401(client, db, token):
    assert client.get("/api/v1/services").status_code == 401
    assert client.get("/api/v1/services", headers={"Authorization": "Bearer ppd_salah"}).status_code == 401
    headers = token("alice")
    from app.accounts.tokens import ApiToken, revoke

    revoke(db, db.exec(select(ApiToken)).one().id)
    response = client.get("/api/v1/services", headers=headers)
    assert response.status_code == 401 and "dicabut" in response.json()["detail"]


def test_after_a_password_reset_the_users_api_token_answers_401(app, client, db, token):
    from litestar.testing import TestClient

    from app.audit.models import AuditEntry
    from tests.conftest import csrf_from, login

    headers = token("alice")
    assert client.get("/api/v1/services", headers=headers).status_code == 200
    alice = db.exec(select(User).where(User.username == "alice")).one()
    with TestClient(app, base_url="http://testserver.local") as admin:
        login(admin, "grace")
        page = admin.get(f"/admin/pengguna/{alice.id}")
        assert "token API-nya dicabut" in page.text
        admin.post(
            f"/admin/pengguna/{alice.id}/kata-sandi",
            data={"_csrf_token": csrf_from(page.text), "password": "Sandi-Baru-Alice-1"},
        )
    response = client.get("/api/v1/services", headers=headers)
    assert response.status_code == 401 and "dicabut" in response.json()["detail"]
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "token.revoke")).one()
    assert audit.actor_username == "grace" and audit.changes["reason"] == "password_reset"


def test_district_dinas_and_admin_get_404_for_a_clerks_draft_batch_via_the_api(client, db, token):
    batch = add_batch(db, add_request(db, "35.16.11.2017", "alice"), "alice")
    assert client.get(f"/api/v1/batches/{batch.id}", headers=token("alice")).status_code == 200
    for name in ("dave", "frank", "grace"):
        headers = token(name)
        assert client.get(f"/api/v1/batches/{batch.id}", headers=headers).status_code == 404, name
        assert client.get(f"/api/v1/batches/{batch.id}/letters", headers=headers).status_code == 404, name
    batch.status = "submitted"
    db.commit()
    assert client.get(f"/api/v1/batches/{batch.id}", headers=token("dave")).status_code == 200


def test_the_api_needs_no_csrf_token_inside_a_host_app_with_csrf(portal_config, db):
    from litestar import Litestar
    from litestar.config.csrf import CSRFConfig
    from litestar.testing import TestClient

    from app import PortalPlugin

    host = Litestar(csrf_config=CSRFConfig(secret="host-secret"), plugins=[PortalPlugin(portal_config)])
    alice = db.exec(select(User).where(User.username == "alice")).one()
    _, plain = create_token(db, alice, "uji")
    with TestClient(host) as client:
        response = client.post(
            "/api/v1/batches",
            json={"request_ids": [add_request(db, "35.16.11.2017", "alice").id]},
            headers={"Authorization": f"Bearer {plain}", "Idempotency-Key": "host-1"},
        )
    assert response.status_code == 201, response.text


def test_roles_scopes_and_transitions_are_enforced(client, db, token):
    mine = add_request(db, "35.16.11.2017", "alice", serial=1)
    theirs = add_request(db, "35.16.12.2007", "carol", serial=2)
    batch = add_batch(db, mine, "alice", submitted=True)
    alice, dave, erin = token("alice"), token("dave"), token("erin")
    assert client.get(f"/api/v1/requests/{theirs.id}", headers=alice).status_code == 404
    assert client.post("/api/v1/requests", json=BODY, headers=dave).status_code == 403
    assert (
        client.post(
            f"/api/v1/batches/{batch.id}/review",
            headers=alice,
            json={"decisions": [{"request_id": mine.id, "decision": "approve"}]},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/batches/{batch.id}/review",
            headers=erin,
            json={"decisions": [{"request_id": mine.id, "decision": "approve"}]},
        ).status_code
        == 404
    )
    illegal = client.post(
        f"/api/v1/requests/{mine.id}/transition", json={"to": "completed", "output_number": "x"}, headers=token("frank")
    )
    assert illegal.status_code == 409 and "tidak dapat diubah menjadi" in illegal.json()["detail"]


# Every API route with a path parameter: who may use it, an object in scope and one outside it.
API_CASES = {
    "/api/v1/requests/{request_id:int}": ("GET", "alice", "35.16.11.2017", "35.16.11.2009"),
    "/api/v1/requests/{request_id:int}/transition": ("POST", "frank", None, "35.15.01.2001"),
    "/api/v1/requests/{request_id:int}/documents": ("POST", "frank", None, "35.15.01.2001"),
    "/api/v1/batches/{batch_id:int}": ("GET", "dave", "35.16.11.2009", "35.16.12.2007"),
    "/api/v1/batches/{batch_id:int}/submit": ("POST", "alice", None, "35.16.11.2009"),
    "/api/v1/batches/{batch_id:int}/review": ("POST", "dave", None, "35.16.12.2007"),
    "/api/v1/imports/{import_id:int}": ("GET", "alice", "35.16.11.2017", "35.16.11.2009"),
    "/api/v1/requests/{request_id:int}/letters": ("GET", "dave", "35.16.11.2009", "35.16.12.2007"),
    "/api/v1/batches/{batch_id:int}/letters": ("GET", "frank", "35.16.12.2007", "35.15.01.2001"),
    "/api/v1/letters/{letter_id:int}/pdf": ("GET", "alice", "35.16.11.2017", "35.16.11.2009"),
    "/api/v1/batches/{batch_id:int}/bundle": ("POST", "dave", None, "35.16.12.2007"),
    "/api/v1/jobs/{job_id:int}": ("GET", "dave", "35.16.11.2009", "35.16.12.2007"),
    "/api/v1/jobs/{job_id:int}/download": ("GET", "frank", "35.16.12.2007", "35.15.01.2001"),
    "/api/v1/imports/{import_id:int}/commit": ("POST", "alice", None, "35.16.11.2009"),
}


def test_every_parameterised_api_route_answers_404_outside_the_scope(app, client, db, token):
    templates = {r.path for r in app.routes if "{" in r.path and r.path.startswith("/api/")}
    assert templates == set(API_CASES), "add the new API route to API_CASES"
    from app.regions.models import Region

    for code, name, level, kind in [
        ("35.15", "Sidoarjo", 2, "kabupaten"),
        ("35.15.01", "Sidoarjo", 3, "kecamatan"),
        ("35.15.01.2001", "Uji", 4, "desa"),
    ]:
        db.add(Region(code=code, name=name, level=level, kind=kind, parent_code=code.rsplit(".", 1)[0]))
        db.flush()
    db.commit()
    objects = {}
    for serial, (village, creator) in enumerate(
        [("35.16.11.2017", "alice"), ("35.16.11.2009", "bob"), ("35.16.12.2007", "carol"), ("35.15.01.2001", "frank")],
        1,
    ):
        request = add_request(db, village, creator, serial=serial)
        batch = add_batch(db, request, creator, submitted=creator != "alice")
        add_file(db, request, creator)
        letter = add_letter(db, request)
        job = add_job(db, batch)
        objects[village] = (request.id, batch.id, add_import(db, village, creator).id, letter.id, job.id)
    for template, (method, who, own, foreign) in API_CASES.items():
        index = (
            1
            if "batch" in template
            else 2
            if "import" in template
            else 3
            if "/letters/" in template
            else 4
            if "jobs" in template
            else 0
        )
        url = template.split("{")[0] + str(objects[foreign][index]) + template.split("}")[1]
        headers = token(who)
        if own:
            own_url = template.split("{")[0] + str(objects[own][index]) + template.split("}")[1]
            assert client.request(method, own_url, headers=headers).status_code == 200, own_url
        payload = {
            "json": {"to": "processing", "decisions": [], "request_ids": [], "create_batch": True, "format": "pdf"}
        }
        if "documents" in template:
            payload = {"files": {"file": ("x.pdf", PDF_BYTES, "application/pdf")}}
        response = client.request(method, url, headers=headers, **payload)
        assert response.status_code == 404, (template, response.status_code, response.text)


def test_the_cli_prints_the_token_alone_on_the_last_line(portal_config, client):
    env = {
        "PORTAL_DATABASE_URL": portal_config.database_url,
        "PORTAL_DATA_DIR": str(portal_config.data_dir),
        "PORTAL_SECRET_KEY": "x",
        "COLUMNS": "300",
    }
    result = CliRunner().invoke(
        litestar_group,
        ["--app", "app.main:create_app", "portal", "token", "create", "alice", "--name", "OpenSID Kenanten"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1]
    assert plain.startswith("ppd_") and " " not in plain
    assert client.get("/api/v1/services", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    listed = CliRunner().invoke(litestar_group, ["--app", "app.main:create_app", "portal", "token", "list"], env=env)
    assert "OpenSID Kenanten" in listed.output and plain not in listed.output
    token_id = listed.output.strip().splitlines()[-1].split()[0]
    CliRunner().invoke(litestar_group, ["--app", "app.main:create_app", "portal", "token", "revoke", token_id], env=env)
    assert client.get("/api/v1/services", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_the_api_is_documented_in_the_openapi_schema(client):
    schema = client.get("/schema/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/requests", "/api/v1/batches/{batch_id}/review", "/api/v1/services"} <= paths
    assert not any(p.startswith("/permohonan") for p in paths)  # pages are not API
