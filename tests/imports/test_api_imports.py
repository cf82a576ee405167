"""The import through the JSON API (template → upload → report → commit), with the pages' rules."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from app.requests.models import Request
from tests.imports.helpers import fill, person


@pytest.fixture
def bearer(db):
    def make(username: str) -> dict[str, str]:
        user = db.exec(select(User).where(User.username == username)).one()
        _, plain = create_token(db, user, "opensid")
        return {"Authorization": f"Bearer {plain}"}

    return make


def test_import_through_the_api(client, db, bearer):
    alice = bearer("alice")
    template = client.get("/api/v1/imports/template.xlsx?service=KIA", headers=alice)
    assert template.status_code == 200 and "templat-impor-kia.xlsx" in template.headers["content-disposition"]
    assert client.get("/api/v1/imports/template.xlsx", headers=alice).status_code == 200  # the mixed one
    bad = {**person(3), "NIK": "12345"}
    data = fill(template.content, [person(1), person(2), bad])
    created = client.post("/api/v1/imports", files={"file": ("kia.xlsx", data)}, headers=alice)
    assert created.status_code == 201, created.text
    report = created.json()
    assert {k: report[k] for k in ("status", "rows", "valid", "invalid", "warnings")} == {
        "status": "checked",
        "rows": 3,
        "valid": 2,
        "invalid": 1,
        "warnings": 0,
    }
    assert report["errors"] == [{"row": 4, "column": "NIK", "message": "NIK harus 16 digit; yang diisi 5 digit."}]
    assert client.get(f"/api/v1/imports/{report['id']}", headers=alice).json()["errors"] == report["errors"]

    committed = client.post(f"/api/v1/imports/{report['id']}/commit", json={"create_batch": True}, headers=alice)
    assert committed.status_code == 200, committed.text
    assert committed.json()["created"] == 2 and committed.json()["batch_id"]
    batch = client.get(f"/api/v1/batches/{committed.json()['batch_id']}", headers=alice).json()
    assert batch["status"] == "draft" and len(batch["requests"]) == 2
    again = client.post(f"/api/v1/imports/{report['id']}/commit", json={"create_batch": True}, headers=alice)
    assert again.status_code == 409 and "tidak dibuat dua kali" in again.json()["detail"]
    assert len(db.exec(select(Request)).all()) == 2


def test_unusable_file_and_wrong_roles(client, db, bearer):
    refused = client.post("/api/v1/imports", files={"file": ("x.pdf", b"%PDF-1.4")}, headers=bearer("alice"))
    assert refused.status_code == 422
    body = refused.json()
    assert "Jenis berkas tidak didukung" in body["detail"] and body["errors"][0]["field"] == "file" and body["id"]
    missing = client.post("/api/v1/imports", data={"service": "KIA"}, headers=bearer("alice"))
    assert missing.status_code == 415  # a form without a file is not multipart: the API says how to send it
    for who in ("dave", "frank"):
        assert client.post("/api/v1/imports", files={"file": ("a.csv", b"x")}, headers=bearer(who)).status_code == 403
        assert client.get("/api/v1/imports/template.xlsx", headers=bearer(who)).status_code == 403
