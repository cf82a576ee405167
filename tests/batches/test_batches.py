"""Batches: the clerk sends, the district decides, Dukcapil completes; repeats and races change nothing twice."""

from __future__ import annotations

import re
import threading

import pytest
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.service import load_current_user
from app.batches import service
from app.batches.models import Batch, BatchItem
from app.requests.models import Request, StatusChange
from tests.conftest import add_batch, add_request, csrf_from, login, make_nik

FORM = {
    "service": "KTP_BARU",
    "kk_number": "3516110101090001",
    "birth_place": "Mojokerto",
    "birth_date": "1990-08-12",
    "sex": "L",
    "address": "Jl. Mawar 1",
    "rt": "1",
    "rw": "2",
}


def _token(client, page="/"):
    return csrf_from(client.get(page).text)


def _statuses(db):
    db.expire_all()
    return {r.name: r.status for r in db.exec(select(Request))}


def _actor(db, username):
    user = db.exec(select(User).where(User.username == username)).one()
    return load_current_user(db, user.id, user.session_epoch)


def test_the_whole_flow_through_the_pages(app, client, db):
    # The clerk records three requests and sends them in one batch.
    login(client, "alice")
    token = _token(client)
    for serial, name in enumerate(["ANI", "BUDI", "CITRA"], 1):
        response = client.post(
            "/permohonan/baru",
            data={**FORM, "nik": make_nik(serial=serial), "name": name, "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
    listing = client.get("/permohonan/?status=draft")
    form_key = re.search(r'name="form_key" value="([^"]+)"', listing.text).group(1)
    ids = [str(r.id) for r in db.exec(select(Request))]
    created = client.post(
        "/kiriman/baru", data={"request_id": ids, "form_key": form_key, "_csrf_token": token}, follow_redirects=False
    )
    assert created.status_code == 303
    batch_url = created.headers["location"]
    assert "Kirim ke kecamatan (3 permohonan)" in client.get(batch_url).text
    client.post(f"{batch_url}/kirim", data={"_csrf_token": token})
    assert set(_statuses(db).values()) == {"submitted"}

    # The district operator sees it waiting and decides on each request.
    client.cookies.clear()
    login(client, "dave")
    token = _token(client)
    waiting = client.get("/kiriman/")
    assert "Menunggu verifikasi kecamatan" in waiting.text and "Kenanten" in waiting.text
    by_name = {r.name: r.id for r in db.exec(select(Request))}
    client.post(
        f"{batch_url}/putusan", data={"request_id": by_name["ANI"], "decision": "approve", "_csrf_token": token}
    )
    client.post(
        f"{batch_url}/putusan",
        data={
            "request_id": by_name["BUDI"],
            "decision": "reject",
            "reason": "Bukan warga desa ini",
            "_csrf_token": token,
        },
    )
    client.post(
        f"{batch_url}/putusan",
        data={
            "request_id": by_name["CITRA"],
            "decision": "return",
            "reason": "Scan KK tidak terbaca",
            "_csrf_token": token,
        },
    )
    assert _statuses(db) == {"ANI": "approved", "BUDI": "rejected", "CITRA": "returned"}
    assert db.exec(select(Batch)).one().status == "reviewed"

    # Dukcapil processes and completes the approved one.
    client.cookies.clear()
    login(client, "frank")
    token = _token(client)
    client.post(f"/permohonan/{by_name['ANI']}/status", data={"to": "processing", "_csrf_token": token})
    client.post(
        f"/permohonan/{by_name['ANI']}/status",
        data={"to": "completed", "output_number": "3516-KTP-0001", "_csrf_token": token},
    )
    assert _statuses(db)["ANI"] == "completed"

    # The clerk sees every status, the reasons and the timeline.
    client.cookies.clear()
    login(client, "alice")
    listing = client.get("/permohonan/").text
    for label in ("Selesai", "Ditolak", "Dikembalikan untuk perbaikan"):
        assert label in listing
    ani = client.get(f"/permohonan/{by_name['ANI']}").text
    for step in ("Draf", "Diajukan", "Disetujui kecamatan", "Diproses Dukcapil", "Selesai", "3516-KTP-0001"):
        assert step in ani
    assert "Scan KK tidak terbaca" in client.get(f"/permohonan/{by_name['CITRA']}").text

    # The returned request is fixed and goes into a new batch.
    token = _token(client)
    fixed = client.post(
        f"/permohonan/{by_name['CITRA']}/ubah",
        data={**FORM, "nik": make_nik(serial=3), "name": "CITRA", "_csrf_token": token},
        follow_redirects=False,
    )
    assert fixed.status_code == 303
    assert _statuses(db)["CITRA"] == "draft"
    again = client.post(
        "/kiriman/baru",
        data={"request_id": [str(by_name["CITRA"])], "form_key": "kedua", "_csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 303 and again.headers["location"] != batch_url


def test_a_repeated_create_finds_the_same_batch(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    token = _token(client)
    data = {"request_id": [str(item.id)], "form_key": "sekali-saja", "_csrf_token": token}
    first = client.post("/kiriman/baru", data=data, follow_redirects=False)
    second = client.post("/kiriman/baru", data=data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]
    assert len(db.exec(select(Batch)).all()) == 1


def test_select_all_on_the_filter_takes_every_matching_draft(client, db):
    for serial in range(1, 56):  # more than one page
        add_request(db, "35.16.11.2017", "alice", serial=serial, service="KTP_BARU" if serial % 5 else "KIA")
    login(client, "alice")
    token = _token(client)
    client.post(
        "/kiriman/baru", data={"all_matching": "1", "service": "KTP_BARU", "form_key": "semua", "_csrf_token": token}
    )
    assert len(db.exec(select(BatchItem)).all()) == 44


def test_submitting_twice_changes_nothing_the_second_time(client, db):
    batch = add_batch(db, add_request(db, "35.16.11.2017", "alice"), "alice")
    login(client, "alice")
    token = _token(client)
    client.post(f"/kiriman/{batch.id}/kirim", data={"_csrf_token": token})
    again = client.post(f"/kiriman/{batch.id}/kirim", data={"_csrf_token": token})
    assert "sudah terkirim sebelumnya" in again.text
    changes = db.exec(select(StatusChange).where(StatusChange.to_status == "submitted")).all()
    assert len(changes) == 1


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(client, db):
    batch = add_batch(db, add_request(db, "35.16.11.2017", "alice"), "alice", submitted=True)
    request_id = db.exec(select(BatchItem)).one().request_id
    login(client, "dave")
    response = client.post(
        f"/kiriman/{batch.id}/putusan",
        data={"request_id": request_id, "decision": "reject", "reason": " ", "_csrf_token": _token(client)},
    )
    assert response.status_code == 400
    assert "Tuliskan alasannya" in response.text
    assert set(_statuses(db).values()) == {"submitted"}


def test_approve_all_remaining_leaves_earlier_decisions_alone(client, db):
    first = add_request(db, "35.16.11.2017", "alice", name="SATU", serial=1)
    batch = add_batch(db, first, "alice", submitted=True)
    for serial, name in [(2, "DUA"), (3, "TIGA")]:
        extra = add_request(db, "35.16.11.2017", "alice", name=name, serial=serial, status="submitted")
        db.add(BatchItem(batch_id=batch.id, request_id=extra.id))
        extra.batch_id = batch.id
    db.commit()
    login(client, "dave")
    token = _token(client)
    client.post(
        f"/kiriman/{batch.id}/putusan",
        data={"request_id": first.id, "decision": "return", "reason": "Foto buram", "_csrf_token": token},
    )
    client.post(f"/kiriman/{batch.id}/setujui-semua", data={"_csrf_token": token})
    assert _statuses(db) == {"SATU": "returned", "DUA": "approved", "TIGA": "approved"}


def test_only_clerks_send_and_only_district_operators_decide(client, db):
    batch = add_batch(db, add_request(db, "35.16.11.2017", "alice"), "alice", submitted=True)
    login(client, "alice")
    token = _token(client)
    assert client.post(f"/kiriman/{batch.id}/setujui-semua", data={"_csrf_token": token}).status_code == 403
    client.cookies.clear()
    login(client, "dave")
    assert client.post(f"/kiriman/{batch.id}/kirim", data={"_csrf_token": _token(client)}).status_code == 403


def test_a_draft_batch_is_the_clerks_own_business(client, db):
    batch = add_batch(db, add_request(db, "35.16.11.2017", "alice"), "alice")
    login(client, "dave")
    assert client.get(f"/kiriman/{batch.id}").status_code == 404


def test_a_sent_batch_cannot_lose_requests(client, db):
    item = add_request(db, "35.16.11.2017", "alice")
    batch = add_batch(db, item, "alice", submitted=True)
    login(client, "alice")
    response = client.post(
        f"/kiriman/{batch.id}/keluarkan", data={"request_id": item.id, "_csrf_token": _token(client)}
    )
    assert response.status_code == 409


def _race(app, work_a, work_b):
    """Run two pieces of work at the same moment, each in its own database session."""
    engine = app.plugins.get("PortalPlugin").db.engine
    barrier, outcomes = threading.Barrier(2), []

    def run(work):
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                work(session)
                session.commit()
                outcomes.append("ok")
            except Exception as exc:
                session.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(w,)) for w in (work_a, work_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


@pytest.mark.parametrize("attempt", range(3))
def test_two_submits_of_one_batch_at_once_submit_it_once(app, db, attempt):
    batch = add_batch(db, add_request(db, "35.16.11.2017", "alice"), "alice")
    alice = _actor(db, "alice")

    def submit(session):
        service.submit_batch(session, session.get(Batch, batch.id), actor=alice)

    outcomes = _race(app, submit, submit)
    assert "ok" in outcomes
    db.expire_all()
    assert db.get(Batch, batch.id).status == "submitted"
    assert len(db.exec(select(StatusChange).where(StatusChange.to_status == "submitted")).all()) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_on_one_batch_never_apply_a_decision_twice(app, db, attempt):
    items = [add_request(db, "35.16.11.2017", "alice", name=f"W{n}", serial=n) for n in range(1, 4)]
    batch = add_batch(db, items[0], "alice", submitted=True)
    for extra in items[1:]:
        db.add(BatchItem(batch_id=batch.id, request_id=extra.id))
        extra.batch_id, extra.status = batch.id, "submitted"
    db.commit()
    dave = _actor(db, "dave")

    def approve_all(session):
        service.approve_remaining(session, session.get(Batch, batch.id), actor=dave)

    def return_one(session):
        service.decide(session, session.get(Batch, batch.id), items[1].id, "return", "Data kurang", actor=dave)

    outcomes = _race(app, approve_all, return_one)
    db.expire_all()
    decided = db.exec(select(BatchItem).where(BatchItem.batch_id == batch.id)).all()
    changes = db.exec(select(StatusChange).where(StatusChange.from_status == "submitted")).all()
    # No decision is applied twice: each one is recorded once and the request's status agrees with it.
    assert len(changes) == len([i for i in decided if i.decision]), outcomes
    assert all(db.get(Request, i.request_id).status == (i.decision or "submitted") for i in decided)
    assert db.get(Request, items[1].id).status in ("returned", "approved")
    # Whoever came second was refused with a clear 409 (already decided) or, on SQLite with its single
    # writer, had the whole transaction refused; never half-applied. Approve-all skips a request that the
    # other reviewer decided meanwhile, so when both succeed all three are decided.
    losers = {"IllegalTransition"} | ({"OperationalError"} if db.bind.dialect.name == "sqlite" else set())
    assert "ok" in outcomes and set(outcomes) <= {"ok"} | losers, outcomes
    if outcomes == ["ok", "ok"]:
        assert len(changes) == 3
