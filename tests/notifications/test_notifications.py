"""Clerks hear when a batch is reviewed or a request completes; district operators when a batch arrives."""

from __future__ import annotations

import re

from sqlmodel import select

from app.notifications.models import Notification
from tests.conftest import add_batch, add_request, csrf_from, login


def _counter(client):
    match = re.search(r'class="counter"[^>]*>(\d+)<', client.get("/").text)
    return int(match.group(1)) if match else 0


def test_the_district_hears_of_an_arriving_batch_and_the_clerk_of_its_review(app, client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    batch = add_batch(db, item, "alice")
    login(client, "alice")
    client.post(f"/kiriman/{batch.id}/kirim", data={"_csrf_token": csrf_from(client.get("/").text)})
    client.cookies.clear()
    login(client, "dave")
    assert _counter(client) == 1
    page = client.get("/notifikasi").text
    assert f"Kiriman {batch.number} dari Desa Kenanten masuk: 1 permohonan menunggu verifikasi." in page
    assert _counter(client) == 0  # read once seen
    client.post(
        f"/kiriman/{batch.id}/putusan",
        data={"request_id": item.id, "decision": "return", "reason": "KK buram", "_csrf_token": csrf_from(page)},
    )
    client.cookies.clear()
    login(client, "alice")
    assert _counter(client) == 1
    assert "selesai diverifikasi kecamatan: 1 dikembalikan" in client.get("/notifikasi").text
    # Erin (Trowulan) and Bob (another village) heard nothing.
    names = {n.user_id for n in db.exec(select(Notification))}
    from app.accounts.models import User

    assert {db.get(User, i).username for i in names} == {"dave", "alice"}


def test_the_clerk_hears_when_dukcapil_completes(client, db):
    item = add_request(db, "35.16.11.2017", "alice", status="processing")
    login(client, "frank")
    client.post(
        f"/permohonan/{item.id}/status",
        data={"to": "completed", "output_number": "3516-LU-01", "_csrf_token": csrf_from(client.get("/").text)},
    )
    client.cookies.clear()
    login(client, "alice")
    assert f"Permohonan {item.number} selesai, dokumen 3516-LU-01." in client.get("/notifikasi").text


def test_notifications_never_carry_a_nik(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    batch = add_batch(db, item, "alice")
    login(client, "alice")
    client.post(f"/kiriman/{batch.id}/kirim", data={"_csrf_token": csrf_from(client.get("/").text)})
    assert all(item.nik not in n.text for n in db.exec(select(Notification)))
