"""The status machine, in one place. Every change of a request's status goes through :func:`transition`.

draft → submitted → approved | rejected | returned
approved → processing → completed | rejected
returned → draft
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy import update
from sqlmodel import Session

from app.accounts.models import ROLE_LABELS, Role
from app.accounts.scope import scope_for
from app.audit.service import record
from app.db import utcnow
from app.requests.models import STATUS_LABELS, Request, Status, StatusChange

# (from, to) → the role that may make the move.
TRANSITIONS: dict[tuple[Status, Status], Role] = {
    (Status.DRAFT, Status.SUBMITTED): Role.CLERK,
    (Status.SUBMITTED, Status.APPROVED): Role.DISTRICT,
    (Status.SUBMITTED, Status.REJECTED): Role.DISTRICT,
    (Status.SUBMITTED, Status.RETURNED): Role.DISTRICT,
    (Status.APPROVED, Status.PROCESSING): Role.DINAS,
    (Status.PROCESSING, Status.COMPLETED): Role.DINAS,
    (Status.PROCESSING, Status.REJECTED): Role.DINAS,
    (Status.RETURNED, Status.DRAFT): Role.CLERK,
}
# Every rejection and return carries a reason the clerk can read.
NEEDS_REASON = {
    (Status.SUBMITTED, Status.REJECTED),
    (Status.SUBMITTED, Status.RETURNED),
    (Status.PROCESSING, Status.REJECTED),
}


class IllegalTransition(ClientException):
    status_code = HTTP_409_CONFLICT


def allowed_moves(status: str, role: Role) -> list[Status]:
    """Where a user of ``role`` may move a request that is in ``status`` (for buttons and checks)."""
    return [to for (frm, to), who in TRANSITIONS.items() if frm == status and who == role]


def transition(
    session: Session, request: Request, to: Status, *, actor: Any, note: str | None = None, ip: str | None = None
) -> StatusChange:
    """Move ``request`` to ``to`` on behalf of ``actor``, or refuse: 404 outside the actor's scope,
    409 for a move the machine does not have (or a request someone else moved first), 403 for a role
    that may not make it, 400 for a missing reason. Adds the history line and the audit entry to the
    caller's transaction; the caller commits."""
    if not scope_for(actor).covers(request.village_code):
        raise NotFoundException("Permohonan tidak ditemukan.")
    current = Status(request.status)
    key = (current, to)
    if key not in TRANSITIONS:
        raise IllegalTransition(
            f"Permohonan {request.number} berstatus {STATUS_LABELS[current]} dan tidak dapat diubah menjadi "
            f"{STATUS_LABELS[to]}."
        )
    if actor.role != TRANSITIONS[key]:
        raise PermissionDeniedException(
            f"{ROLE_LABELS[actor.role]} tidak dapat mengubah permohonan menjadi {STATUS_LABELS[to]}."
        )
    note = " ".join((note or "").split()) or None
    if key in NEEDS_REASON and not note:
        raise ValidationException("Alasan wajib diisi agar petugas desa tahu apa yang harus diperbaiki.")
    if note and len(note) > 500:
        raise ValidationException("Alasan paling banyak 500 karakter.")
    now = utcnow()
    # Compare-and-set on the status: of two reviewers acting at once, exactly one moves the request.
    moved = session.execute(
        update(Request)
        .where(Request.id == request.id, Request.status == current.value)
        .values(
            status=to.value, status_note=note if key in NEEDS_REASON else None, updated_at=now, status_changed_at=now
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise IllegalTransition(
            f"Permohonan {request.number} baru saja diubah oleh pengguna lain. Muat ulang halaman untuk "
            "melihat statusnya sekarang."
        )
    request.status, request.updated_at, request.status_changed_at = to.value, now, now
    request.status_note = note if key in NEEDS_REASON else None
    change = StatusChange(
        request_id=request.id,
        at=now,
        actor_id=actor.id,
        actor_name=actor.full_name,
        from_status=current.value,
        to_status=to.value,
        note=note,
    )
    session.add(change)
    record(
        session,
        actor=actor,
        action=f"request.{to.value}",
        object_type="request",
        object_id=request.id,
        region_code=request.village_code,
        changes={"status": [current.value, to.value], "note": note},
        ip=ip,
    )
    return change
