"""Letters issued at the same moment by several workers: every number is used once, none is skipped, and
one request never gets two valid letters of a kind (PostgreSQL: row lock on the counter; SQLite: one writer)."""

from __future__ import annotations

import threading
from datetime import date

from sqlmodel import Session, select

from app.attachments.storage import FileStore
from app.letters import service
from app.letters.models import Letter, LetterKind
from app.requests.models import Request
from tests.conftest import add_request


def _together(app, works):
    engine = app.plugins.get("PortalPlugin").db.engine
    config = app.plugins.get("PortalPlugin").config
    store = FileStore(config.data_dir / "files")
    barrier, outcomes = threading.Barrier(len(works)), []

    def run(request_id):
        with Session(engine, expire_on_commit=False) as session:
            item = session.get(Request, request_id)
            barrier.wait()
            try:
                letter = service.issue(
                    session, config, store, LetterKind.RECEIPT, request=item, actor=None, today=date(2026, 11, 23)
                )
                outcomes.append(letter.number)
            except Exception as exc:  # reported, then asserted on
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_parallel_issuers_get_consecutive_unique_numbers(app, db):
    items = [add_request(db, "35.16.11.2017", "alice", serial=n) for n in range(1, 7)]
    numbers = _together(app, [i.id for i in items])
    assert sorted(numbers) == [f"400.12/{n:03d}/TTP/35.16.11.2017/XI/2026" for n in range(1, 7)], numbers


def test_the_same_letter_asked_twice_at_once_is_issued_once(app, db):
    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    numbers = _together(app, [item.id, item.id])
    assert numbers == ["400.12/001/TTP/35.16.11.2017/XI/2026"] * 2, numbers
    db.expire_all()
    assert len(db.exec(select(Letter)).all()) == 1
    other = add_request(db, "35.16.11.2017", "alice", serial=2)
    # The loser's number was rolled back with its transaction: the next letter takes 002.
    assert _together(app, [other.id]) == ["400.12/002/TTP/35.16.11.2017/XI/2026"]
