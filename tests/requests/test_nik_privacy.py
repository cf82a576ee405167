"""A whole NIK searched for never appears in an address, a link, a log line or the audit log: the search form
travels as a POST body and links carry a short-lived search id; log lines and database errors are masked."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from app.audit.models import AuditEntry
from tests.conftest import add_request, csrf_from, login

LINK = re.compile(r'(?:href|hx-get|hx-post|action)="([^"]+)"')


def _links(html: str) -> list[str]:
    return LINK.findall(html)


def test_a_nik_search_never_reaches_an_address_a_link_a_log_or_the_audit_log(app, client, db, caplog):
    caplog.set_level(logging.DEBUG)
    item = add_request(db, "35.16.11.2017", "alice", status="submitted", serial=7)
    nik = item.nik
    login(client, "dave")
    token = csrf_from(client.get("/permohonan/").text)

    found = client.post("/permohonan/cari", data={"_csrf_token": token, "q": nik}, headers={"HX-Request": "true"})
    assert found.status_code == 200 and item.number in found.text
    address = found.headers["hx-push-url"]
    assert "cari=" in address and nik not in address
    assert not [link for link in _links(found.text) if nik in link]

    listing = client.get(address)  # the address bar's URL, opened again (a reload)
    assert listing.status_code == 200 and item.number in listing.text
    assert not [link for link in _links(listing.text) if nik in link]
    export = next(link for link in _links(listing.text) if "ekspor.csv" in link)
    assert nik not in export
    csv = client.get(export.replace("&amp;", "&"))
    assert csv.status_code == 200 and item.number in csv.text

    # Without JavaScript the form posts and is sent on to the list's address; an old bookmark is moved too.
    posted = client.post("/permohonan/cari", data={"_csrf_token": token, "q": nik}, follow_redirects=False)
    bookmark = client.get(f"/permohonan/?q={nik}", follow_redirects=False)
    for moved in (posted, bookmark):
        assert moved.status_code == 303 and "cari=" in moved.headers["location"]
        assert nik not in moved.headers["location"]

    # A database error raised with the number as a parameter, and logged as the portal logs failures.
    engine = app.plugins.get("PortalPlugin").db.engine
    with pytest.raises(Exception) as failure, engine.connect() as conn:
        conn.execute(text("SELECT CAST(:nik AS INTEGER) / 0 FROM portal_request WHERE nik = :nik"), {"nik": nik})
        conn.execute(text("SELECT no_such_column FROM portal_request WHERE nik = :nik"), {"nik": nik})
    assert nik not in str(failure.value)
    logging.getLogger("app.test").exception("lookup of %s failed", nik, exc_info=failure.value)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", f"/permohonan?q={nik}", "1.1", 200
    )

    lines = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any("lookup of 3516" in line for line in lines)
    assert not [line for line in lines if nik in line]
    db.expire_all()
    audit = [json.dumps(e.changes) for e in db.exec(select(AuditEntry))]
    assert any(e.action == "request.export" for e in db.exec(select(AuditEntry)))
    assert not [entry for entry in audit if nik in entry]


def test_the_api_searches_a_whole_nik_only_from_the_body(client, db):
    item = add_request(db, "35.16.11.2017", "alice", serial=8)
    alice = db.exec(select(User).where(User.username == "alice")).one()
    _, plain = create_token(db, alice, "uji")
    db.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    refused = client.get(f"/api/v1/requests?q={item.nik}", headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "q"
    found = client.post("/api/v1/requests/search", json={"q": item.nik}, headers=headers)
    assert found.status_code == 200 and [i["number"] for i in found.json()["items"]] == [item.number]
    assert item.nik not in found.text  # listed masked
    by_name = client.get("/api/v1/requests?q=WARGA", headers=headers)
    assert by_name.status_code == 200 and by_name.json()["total"] == 1


def test_an_expired_or_foreign_search_id_says_so_instead_of_listing_everything(client, db):
    add_request(db, "35.16.11.2017", "alice", status="submitted", serial=9)
    login(client, "dave")
    page = client.get("/permohonan/?cari=bukan-milik-anda")
    assert page.status_code == 200 and "Pencarian NIK ini sudah kedaluwarsa" in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_to=9999-12-31", "Sampai tanggal: 31-12-9999 di luar rentang"),
        ("date_from=01-01-0001", "Dari tanggal: 01-01-0001 di luar rentang"),
        ("date_from=31-02-2026", "Dari tanggal: tanggal tidak dikenali"),
    ],
)
def test_an_impossible_date_filter_is_named_not_a_500_and_not_silently_dropped(client, db, query, message):
    login(client, "dave")
    page = client.get(f"/permohonan/?{query}")
    assert page.status_code == 200 and message in page.text
