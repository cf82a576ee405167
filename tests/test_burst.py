"""A burst of letter issues never stops the portal: every request gets its answer (the letter, or 503 with
Retry-After when a bounded wait ran out), connections go back to the pool, and ordinary pages stay fast.

Before the threads and the pool were sized together and sessions were closed off the handler threads, 60
simultaneous letter requests on PostgreSQL gave 12 × 500 (`QueuePool limit of size 10 overflow 10 reached`),
39 client time-outs and 20 connections "idle in transaction" for about 70 s."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from app.letters.models import Letter
from tests.conftest import add_request

CALLERS = 60
DRAFTS = 20


def test_sixty_simultaneous_letter_requests_leave_the_portal_answering(app, client, db):
    alice = db.exec(select(User).where(User.username == "alice")).one()
    _, plain = create_token(db, alice, "uji")
    db.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    drafts = [add_request(db, "35.16.11.2017", "alice", serial=n).id for n in range(1, DRAFTS + 1)]
    barrier = threading.Barrier(CALLERS)
    answers: list[tuple[int, str | None]] = []

    def ask(request_id: int) -> None:
        barrier.wait()
        response = client.get(f"/api/v1/requests/{request_id}/letters", headers=headers)
        answers.append((response.status_code, response.headers.get("retry-after")))

    callers = [threading.Thread(target=ask, args=(drafts[n % DRAFTS],)) for n in range(CALLERS)]
    started = time.monotonic()
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(120)
    assert not any(c.is_alive() for c in callers), "a request hung"
    took = time.monotonic() - started

    assert len(answers) == CALLERS
    assert {status for status, _ in answers} <= {200, 503}, answers
    assert all(retry for status, retry in answers if status == 503)
    assert sum(1 for status, _ in answers if status == 200) >= CALLERS // 2, answers

    # Connections went back: none is left inside a transaction, and an ordinary call is quick.
    engine = app.plugins.get("PortalPlugin").db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            stuck = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%'"
                )
            ).scalar_one()
        assert stuck == 0
    page_started = time.monotonic()
    assert client.get("/api/v1/services", headers=headers).status_code == 200
    assert time.monotonic() - page_started < 1.0

    # Each draft holds exactly one receipt, whoever of its three callers issued it.
    db.expire_all()
    letters = db.exec(select(Letter)).all()
    assert sorted(letter.request_id for letter in letters) == sorted(drafts)
    print(f"{CALLERS} callers in {took:.1f} s: {sorted(s for s, _ in answers)}")


def test_a_request_waiting_too_long_for_a_lock_answers_503_with_retry_after(app, client, db):
    engine = app.plugins.get("PortalPlugin").db.engine
    if engine.dialect.name != "postgresql":
        return  # SQLite has one writer and no row locks: its busy timeout is the same bounded wait (30 s)
    alice = db.exec(select(User).where(User.username == "alice")).one()
    _, plain = create_token(db, alice, "uji")
    db.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    draft = add_request(db, "35.16.11.2017", "alice", serial=1)
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE portal_counter IN EXCLUSIVE MODE"))  # another issuer, stuck
        started = time.monotonic()
        response = client.get(f"/api/v1/requests/{draft.id}/letters", headers=headers)
        waited = time.monotonic() - started
        holder.rollback()
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "Coba lagi" in response.json()["detail"]
    assert 9 < waited < 20  # the 10-second lock_timeout, not a hang
    assert client.get(f"/api/v1/requests/{draft.id}/letters", headers=headers).status_code == 200
