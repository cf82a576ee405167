"""Rules for batches: a clerk gathers draft requests and submits them once; the district operator decides
on each request. Every status change goes through the status machine (app/requests/status.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.scope import get_in_scope, scope_filter
from app.audit.service import record
from app.batches.models import Batch, BatchItem, BatchStatus
from app.db import utcnow
from app.notifications.service import district_of, notify
from app.regions.models import Region
from app.requests.models import Request, Status
from app.requests.status import IllegalTransition, transition
from app.sequences import next_value

DECISIONS = {"approve": Status.APPROVED, "reject": Status.REJECTED, "return": Status.RETURNED}
DECISION_LABELS = {"approved": "Disetujui", "rejected": "Ditolak", "returned": "Dikembalikan"}


def batch_number(session: Session, village_code: str, year: int) -> str:
    seq = next_value(session, f"batch:{village_code}:{year}")
    return f"KRM-{village_code.replace('.', '')}-{year}-{seq:04d}"


def _hides_drafts(user: Any) -> bool:
    """A draft batch is the clerk's own business: the district, Dukcapil and the admin see it once sent."""
    return user.role != Role.CLERK


def get_batch(session: Session, user: Any, batch_id: int) -> Batch:
    """One batch the user may see (inside their scope, and sent unless they are its village's clerk), or 404.
    The page, the API and the letters all load batches here."""
    batch = get_in_scope(session, Batch, batch_id, user, "village_code")
    if batch.status == BatchStatus.DRAFT and _hides_drafts(user):
        raise NotFoundException("Kiriman tidak ditemukan.")
    return batch


def create_batch(
    session: Session, *, actor: Any, request_ids: list[int], form_key: str, year: int, ip: str | None = None
) -> tuple[Batch, bool]:
    """Put the clerk's draft requests into a new draft batch; returns (batch, created).

    The form's key makes the POST idempotent: a double click, a second tab or a retried request finds
    the batch the first one made. A request already in another batch is left where it is."""
    if actor.role != Role.CLERK:
        raise PermissionDeniedException("Hanya petugas desa yang membuat kiriman.")
    if not form_key or len(form_key) > 64:
        raise ValidationException("Formulir kiriman tidak lengkap. Muat ulang halaman lalu coba lagi.")
    existing = session.exec(select(Batch).where(Batch.form_key == form_key)).first()
    if existing is not None:
        return get_batch(session, actor, existing.id), False  # type: ignore[arg-type]
    candidates = session.exec(
        select(Request.id).where(
            Request.id.in_(request_ids[:5000]),
            scope_filter(actor, Request.village_code),
            Request.status == Status.DRAFT.value,
            Request.batch_id.is_(None),
        )
    ).all()
    if not candidates:
        raise ValidationException("Pilih minimal satu permohonan berstatus draf yang belum masuk kiriman.")
    batch = Batch(
        number=batch_number(session, actor.region_code, year),
        village_code=actor.region_code,
        form_key=form_key,
        created_by=actor.id,
    )
    session.add(batch)
    try:
        session.flush()
    except IntegrityError:  # the same form, posted twice at the same moment: the other one won
        session.rollback()
        existing = session.exec(select(Batch).where(Batch.form_key == form_key)).one()
        return get_batch(session, actor, existing.id), False  # type: ignore[arg-type]
    taken = 0
    for request_id in candidates:
        # Claim each request only if no other batch claimed it in the meantime.
        claimed = session.execute(
            update(Request)
            .where(Request.id == request_id, Request.batch_id.is_(None), Request.status == Status.DRAFT.value)
            .values(batch_id=batch.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            session.add(BatchItem(batch_id=batch.id, request_id=request_id))
            taken += 1
    if not taken:
        session.rollback()
        raise ValidationException("Permohonan yang dipilih sudah masuk kiriman lain.")
    record(
        session,
        actor=actor,
        action="batch.create",
        object_type="batch",
        object_id=batch.id,
        region_code=batch.village_code,
        changes={"number": batch.number, "requests": taken},
        ip=ip,
    )
    return batch, True


def items_of(session: Session, batch_id: int) -> list[tuple[BatchItem, Request]]:
    rows = session.exec(
        select(BatchItem, Request)
        .join(Request, Request.id == BatchItem.request_id)
        .where(BatchItem.batch_id == batch_id)
        .order_by(Request.number)
    )
    return list(rows.all())


def remove_item(session: Session, batch: Batch, request_id: int, *, actor: Any, ip: str | None = None) -> None:
    """Take a request out of a draft batch (it stays a draft, free for another batch)."""
    if batch.status != BatchStatus.DRAFT or actor.role != Role.CLERK:
        raise IllegalTransition(f"Kiriman {batch.number} sudah dikirim; isinya tidak dapat diubah lagi.")
    item = session.exec(
        select(BatchItem).where(BatchItem.batch_id == batch.id, BatchItem.request_id == request_id)
    ).first()
    if item is None:
        return
    session.delete(item)
    session.execute(
        update(Request)
        .where(Request.id == request_id, Request.batch_id == batch.id)
        .values(batch_id=None)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor=actor,
        action="batch.remove_request",
        object_type="batch",
        object_id=batch.id,
        region_code=batch.village_code,
        changes={"request_id": request_id},
        ip=ip,
    )


def submit_batch(session: Session, batch: Batch, *, actor: Any, ip: str | None = None) -> bool:
    """Send a draft batch to the district. Returns False when it was already sent (a repeated submit
    changes nothing: no second batch, no second status change)."""
    if actor.role != Role.CLERK:
        raise PermissionDeniedException("Hanya petugas desa yang mengirim kiriman.")
    items = items_of(session, batch.id)  # type: ignore[arg-type]
    if batch.status == BatchStatus.DRAFT and not items:
        raise ValidationException("Kiriman ini kosong. Tambahkan permohonan terlebih dahulu.")
    now = utcnow()
    moved = session.execute(
        update(Batch)
        .where(Batch.id == batch.id, Batch.status == BatchStatus.DRAFT.value)
        .values(status=BatchStatus.SUBMITTED.value, submitted_at=now, submitted_by=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        return False
    batch.status, batch.submitted_at, batch.submitted_by = BatchStatus.SUBMITTED.value, now, actor.id
    for _, request in items:
        transition(session, request, Status.SUBMITTED, actor=actor, note=f"Dikirim dalam {batch.number}", ip=ip)
    village = session.get(Region, batch.village_code)
    notify(
        session,
        role=Role.DISTRICT,
        region_code=district_of(batch.village_code),
        link=f"/kiriman/{batch.id}",
        text=f"Kiriman {batch.number} dari {village.kind.capitalize()} {village.name} masuk: "  # type: ignore[union-attr]
        f"{len(items)} permohonan menunggu verifikasi.",
    )
    record(
        session,
        actor=actor,
        action="batch.submit",
        object_type="batch",
        object_id=batch.id,
        region_code=batch.village_code,
        changes={"requests": len(items)},
        ip=ip,
    )
    return True


def decide(
    session: Session,
    batch: Batch,
    request_id: int,
    decision: str,
    reason: str | None,
    *,
    actor: Any,
    ip: str | None = None,
) -> BatchItem:
    """The district's decision on one request of a submitted batch (approve, reject or return)."""
    if decision not in DECISIONS:
        raise ValidationException("Pilih keputusan: setujui, tolak, atau kembalikan.")
    if batch.status != BatchStatus.SUBMITTED:
        raise IllegalTransition(f"Kiriman {batch.number} tidak sedang menunggu verifikasi.")
    row = session.exec(
        select(BatchItem, Request)
        .join(Request, Request.id == BatchItem.request_id)
        .where(BatchItem.batch_id == batch.id, BatchItem.request_id == request_id)
    ).first()
    if row is None:
        raise NotFoundException("Permohonan ini tidak ada dalam kiriman.")
    item, request = row
    if item.decision is not None:
        raise IllegalTransition(f"Permohonan {request.number} sudah diputuskan: {DECISION_LABELS[item.decision]}.")
    to = DECISIONS[decision]
    transition(session, request, to, actor=actor, note=reason, ip=ip)
    item.decision, item.reason = to.value, request.status_note
    item.decided_by, item.decided_at = actor.id, utcnow()
    if to == Status.RETURNED:
        request.batch_id = None  # back with the clerk, who fixes it and sends it in a new batch
    session.flush()
    _close_if_done(session, batch)
    return item


def approve_remaining(session: Session, batch: Batch, *, actor: Any, ip: str | None = None) -> int:
    """Approve every request of the batch that has no decision yet; returns how many."""
    pending = [item.request_id for item, _ in items_of(session, batch.id) if item.decision is None]  # type: ignore[arg-type]
    approved = 0
    for request_id in pending:
        # Another operator may decide one of these meanwhile: theirs stands, the rest are still approved.
        savepoint = session.begin_nested()
        try:
            decide(session, batch, request_id, "approve", None, actor=actor, ip=ip)
        except IllegalTransition:
            savepoint.rollback()
            continue
        savepoint.commit()
        approved += 1
    return approved


def _close_if_done(session: Session, batch: Batch) -> None:
    open_items = session.exec(
        select(func.count()).select_from(BatchItem).where(BatchItem.batch_id == batch.id, BatchItem.decision.is_(None))
    ).one()
    if open_items == 0:
        now = utcnow()
        moved = session.execute(
            update(Batch)
            .where(Batch.id == batch.id, Batch.status == BatchStatus.SUBMITTED.value)
            .values(status=BatchStatus.REVIEWED.value, reviewed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved:
            batch.status, batch.reviewed_at = BatchStatus.REVIEWED.value, now
            decisions = list(session.exec(select(BatchItem.decision).where(BatchItem.batch_id == batch.id)))
            summary = ", ".join(
                f"{decisions.count(k)} {label.lower()}" for k, label in DECISION_LABELS.items() if decisions.count(k)
            )
            notify(
                session,
                role=Role.CLERK,
                region_code=batch.village_code,
                link=f"/kiriman/{batch.id}",
                text=f"Kiriman {batch.number} selesai diverifikasi kecamatan: {summary}.",
            )


@dataclass(frozen=True)
class BatchRow:
    batch: Batch
    village_name: str
    requests: int
    undecided: int

    def age_days(self, now: datetime) -> int:
        start = self.batch.submitted_at or self.batch.created_at
        return max(0, (now - start).days)


def batches_in_scope(session: Session, user: Any, status: str = "") -> list[BatchRow]:
    """Batches the user may see. Waiting batches come oldest first, so the district works in order."""
    counts = (
        select(
            BatchItem.batch_id,
            func.count().label("n"),
            func.sum(case((BatchItem.decision.is_(None), 1), else_=0)).label("open"),
        )
        .group_by(BatchItem.batch_id)
        .subquery()
    )
    query = (
        select(Batch, Region.name, counts.c.n, counts.c.open)
        .join(Region, Region.code == Batch.village_code)
        .join(counts, counts.c.batch_id == Batch.id, isouter=True)
        .where(scope_filter(user, Batch.village_code))
    )
    if _hides_drafts(user):
        query = query.where(Batch.status != BatchStatus.DRAFT.value)
    if status:
        query = query.where(Batch.status == status)
    if status == BatchStatus.SUBMITTED:
        query = query.order_by(Batch.submitted_at.asc())
    else:
        query = query.order_by(Batch.created_at.desc())
    return [BatchRow(b, name, n or 0, int(o or 0)) for b, name, n, o in session.exec(query.limit(500)).all()]
