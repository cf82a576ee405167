"""The status machine: legal moves by the right role in scope, with history and audit; everything else refused."""

from __future__ import annotations

import pytest
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from sqlmodel import Session, select

from app.accounts.service import load_current_user
from app.audit.models import AuditEntry
from app.requests.models import Request, Status, StatusChange
from app.requests.status import IllegalTransition, allowed_moves, transition
from tests.conftest import add_request


def _actor(db, username):
    from app.accounts.models import User

    user = db.exec(select(User).where(User.username == username)).one()
    return load_current_user(db, user.id, user.session_epoch)


def test_the_whole_path_is_recorded_in_the_history_and_the_audit_log(db):
    item = add_request(db, "35.16.11.2017", "alice")
    alice, dave, frank = _actor(db, "alice"), _actor(db, "dave"), _actor(db, "frank")
    for actor, to, note in [
        (alice, Status.SUBMITTED, None),
        (dave, Status.RETURNED, "Foto KK buram"),
        (alice, Status.DRAFT, None),
        (alice, Status.SUBMITTED, None),
        (dave, Status.APPROVED, None),
        (frank, Status.PROCESSING, None),
        (frank, Status.COMPLETED, "Akta 3516-LT-23112026-0001"),
    ]:
        transition(db, item, to, actor=actor, note=note, ip="10.0.0.1")
        db.commit()
    db.expire_all()
    assert db.get(Request, item.id).status == "completed"
    steps = [
        (h.from_status, h.to_status, h.actor_name)
        for h in db.exec(select(StatusChange).where(StatusChange.request_id == item.id).order_by(StatusChange.id))
    ][1:]
    assert steps[1] == ("submitted", "returned", "Dave Puri")
    assert steps[-1] == ("processing", "completed", "Frank Dinas")
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "request.returned")).one()
    assert audit.changes == {"status": ["submitted", "returned"], "note": "Foto KK buram"}
    assert audit.ip == "10.0.0.1" and audit.actor_username == "dave"


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "approved"),
        ("completed", "processing"),
        ("rejected", "draft"),
        ("submitted", "completed"),
        ("approved", "submitted"),
    ],
)
def test_moves_the_machine_does_not_have_answer_409(db, start, to):
    item = add_request(db, "35.16.11.2017", "alice", status=start)
    for who in ("alice", "dave", "frank"):
        with pytest.raises(IllegalTransition) as refused:
            transition(db, item, Status(to), actor=_actor(db, who))
        assert refused.value.status_code == 409
        assert "tidak dapat diubah menjadi" in refused.value.detail


def test_a_role_that_may_not_act_is_refused(db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    with pytest.raises(PermissionDeniedException, match="Petugas desa/kelurahan tidak dapat"):
        transition(db, item, Status.APPROVED, actor=_actor(db, "alice"))
    with pytest.raises(PermissionDeniedException):
        transition(db, item, Status.APPROVED, actor=_actor(db, "frank"))


def test_another_districts_operator_gets_404(db):
    item = add_request(db, "35.16.12.2007", "carol", status="submitted")
    with pytest.raises(NotFoundException):
        transition(db, item, Status.APPROVED, actor=_actor(db, "dave"))


def test_rejections_and_returns_need_a_reason(db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    for to in (Status.REJECTED, Status.RETURNED):
        with pytest.raises(ValidationException, match="Alasan wajib diisi"):
            transition(db, item, to, actor=_actor(db, "dave"), note="   ")
    assert db.get(Request, item.id).status == "submitted"


def test_of_two_reviewers_acting_on_one_request_exactly_one_wins(app, db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    engine = app.plugins.get("PortalPlugin").db.engine
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get(Request, item.id), second.get(Request, item.id)  # both read "submitted"
        transition(first, mine, Status.APPROVED, actor=_actor(db, "dave"))
        first.commit()
        with pytest.raises(IllegalTransition, match="baru saja diubah oleh pengguna lain"):
            transition(second, theirs, Status.REJECTED, actor=_actor(db, "dave"), note="Ganda")
        second.rollback()
    db.expire_all()
    assert db.get(Request, item.id).status == "approved"
    assert len(db.exec(select(StatusChange).where(StatusChange.request_id == item.id)).all()) == 2


def test_allowed_moves_drive_the_buttons():
    from app.accounts.models import Role

    assert allowed_moves("submitted", Role.DISTRICT) == [Status.APPROVED, Status.REJECTED, Status.RETURNED]
    assert allowed_moves("submitted", Role.CLERK) == []
    assert allowed_moves("processing", Role.DINAS) == [Status.COMPLETED, Status.REJECTED]
