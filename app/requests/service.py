"""Rules for requests: create and correct them, find them within the user's scope, list and search."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from litestar.exceptions import ValidationException
from sqlalchemy import false, func
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.scope import get_in_scope, scope_filter
from app.audit.models import AuditEntry
from app.audit.service import record
from app.catalog.models import Service
from app.db import bulk_insert, utcnow
from app.notifications.service import notify
from app.requests.models import OPEN_STATUSES, Request, Status, StatusChange
from app.requests.status import transition
from app.requests.validation import Checked, digits_of, mask_number, parse_date
from app.sequences import next_value

PER_PAGE = 50


def request_number(session: Session, village_code: str, year: int) -> str:
    """``PPD-3516112017-2026-000123``: the village, the year, a sequence per village and year."""
    return request_numbers(session, village_code, year, 1)[0]


def request_numbers(session: Session, village_code: str, year: int, count: int) -> list[str]:
    """``count`` consecutive public numbers, reserved with one counter update."""
    last = next_value(session, f"request:{village_code}:{year}", count)
    prefix = f"PPD-{village_code.replace('.', '')}-{year}-"
    return [f"{prefix}{seq:06d}" for seq in range(last - count + 1, last + 1)]


def open_duplicates(session: Session, nik: str, service_code: str, exclude_id: int | None = None) -> list[str]:
    """Numbers of open requests for the same NIK and service (anywhere: a resident may ask twice)."""
    query = select(Request.number).where(
        Request.nik == nik, Request.service_code == service_code, Request.status.in_([s.value for s in OPEN_STATUSES])
    )
    if exclude_id is not None:
        query = query.where(Request.id != exclude_id)
    return list(session.exec(query))


def create_request(
    session: Session,
    *,
    actor: Any,
    village_code: str,
    service: Service,
    checked: Checked,
    ip: str | None = None,
    today: date,
) -> Request:
    """Save a checked request as a draft of ``village_code`` (the clerk's own village)."""
    values = checked.values
    request = Request(
        number=request_number(session, village_code, today.year),
        village_code=village_code,
        service_code=service.code,
        created_by=actor.id,
        **{k: values[k] for k in REQUEST_VALUES},
    )
    session.add(request)
    session.flush()
    session.add(
        StatusChange(
            request_id=request.id,
            actor_id=actor.id,
            actor_name=actor.full_name,
            from_status=None,
            to_status=Status.DRAFT.value,
            note="Permohonan dicatat",
        )
    )
    record(
        session,
        actor=actor,
        action="request.create",
        object_type="request",
        object_id=request.id,
        region_code=village_code,
        changes={"number": request.number, "service": service.code},
        ip=ip,
    )
    return request


REQUEST_VALUES = (
    "nik",
    "kk_number",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "rt",
    "rw",
    "dusun",
    "phone",
    "fields",
)


def create_requests_bulk(
    session: Session,
    *,
    actor: Any,
    village_code: str,
    items: list[tuple[str, dict[str, Any]]],
    today: date,
    note: str,
    batch_id: int | None = None,
    source: dict[str, Any] | None = None,
) -> list[int]:
    """Many checked requests (``(service code, checked values)``) saved as drafts at once, for imports:
    the same rows, history and audit entries as :func:`create_request`, written with one statement each."""
    if not items:
        return []
    now = utcnow()
    numbers = request_numbers(session, village_code, today.year, len(items))
    rows = [
        {
            **{k: values[k] for k in REQUEST_VALUES},
            "number": number,
            "village_code": village_code,
            "service_code": service_code,
            "status": Status.DRAFT.value,
            "batch_id": batch_id,
            "status_pin": f"{secrets.randbelow(10**6):06d}",
            "created_by": actor.id,
            "created_at": now,
            "updated_at": now,
            "status_changed_at": now,
        }
        for number, (service_code, values) in zip(numbers, items, strict=True)
    ]
    ids = bulk_insert(session, Request.__table__, rows, return_ids=True)
    history = [
        {
            "request_id": i,
            "at": now,
            "actor_id": actor.id,
            "actor_name": actor.full_name,
            "from_status": None,
            "to_status": Status.DRAFT.value,
            "note": note,
        }
        for i in ids
    ]
    bulk_insert(session, StatusChange.__table__, history)
    audit = [
        {
            "at": now,
            "actor_id": actor.id,
            "actor_username": actor.username,
            "action": "request.create",
            "object_type": "request",
            "object_id": str(i),
            "region_code": village_code,
            "changes": {"number": row["number"], "service": row["service_code"], **(source or {})},
            "ip": None,
        }
        for i, row in zip(ids, rows, strict=True)
    ]
    bulk_insert(session, AuditEntry.__table__, audit)
    return ids


EDITABLE = (Status.DRAFT.value, Status.RETURNED.value)


def update_request(session: Session, request: Request, *, actor: Any, checked: Checked, ip: str | None = None) -> None:
    """Correct a draft or a returned request; a returned one goes back to draft, ready for a new batch."""
    changed = sorted(k for k, v in checked.values.items() if getattr(request, k) != v)
    for key in changed:
        setattr(request, key, checked.values[key])
    request.updated_at = utcnow()
    record(
        session,
        actor=actor,
        action="request.update",
        object_type="request",
        object_id=request.id,
        region_code=request.village_code,
        changes={"fields": changed},
        ip=ip,
    )
    if request.status == Status.RETURNED.value:
        transition(session, request, Status.DRAFT, actor=actor, note="Diperbaiki oleh petugas desa", ip=ip)


def get_request(session: Session, user: Any, request_id: int) -> Request:
    """One request inside the user's scope, or 404."""
    return get_in_scope(session, Request, request_id, user, "village_code")


def open_full_record(session: Session, user: Any, request_id: int, *, ip: str | None) -> Request:
    """A request with its full NIK and KK, for the request page or the API: every such access is logged
    (UU PDP: who saw which record, when), and committed at once."""
    item = get_request(session, user, request_id)
    record(
        session,
        actor=user,
        action="request.view",
        object_type="request",
        object_id=item.id,
        region_code=item.village_code,
        ip=ip,
    )
    session.commit()
    return item


def history(session: Session, request_id: int) -> list[StatusChange]:
    return list(
        session.exec(
            select(StatusChange).where(StatusChange.request_id == request_id).order_by(StatusChange.at, StatusChange.id)
        )
    )


FILTER_YEARS = (1900, 2100)
"""Dates a list filter accepts (a year like 0001 or 9999 is a typing slip, and beyond what dates can add)."""


@dataclass
class Filters:
    """What a list page was asked for; every field optional. ``q`` is a name, a public number or a full
    16-digit NIK (never a part of one: a NIK is searched only as an exact match)."""

    status: str = ""
    service: str = ""
    village: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    sort: str = "newest"
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    SORTS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "newest": (Request.created_at.desc(), Request.id.desc()),
        "oldest": (Request.created_at.asc(), Request.id.asc()),
        "name": (Request.name.asc(), Request.id.asc()),
        "status": (Request.status_changed_at.asc(), Request.id.asc()),
    }

    search_id: str = ""
    """When ``q`` is a whole NIK: the short-lived id under which the user's session keeps it, used in links
    instead of the number (see ``app.requests.search``)."""

    @classmethod
    def from_query(cls, params: dict[str, str], recall: Callable[[str], str | None] | None = None) -> Filters:
        """Filters from a query string or form; ``recall`` turns a ``cari`` search id back into its NIK."""
        f = cls(
            status=params.get("status", ""),
            service=params.get("service", ""),
            village=params.get("village", ""),
            q=" ".join(params.get("q", "").split())[:100],
            sort=params.get("sort", "newest") if params.get("sort") in cls.SORTS else "newest",
        )
        search_id = params.get("cari", "")[:64]
        if search_id and not f.q:
            remembered = recall(search_id) if recall else None
            if remembered:
                f.q, f.search_id = remembered, search_id
            else:
                f.errors["q"] = "Pencarian NIK ini sudah kedaluwarsa. Ketik ulang NIK-nya di kotak Cari."
        for key, label in (("date_from", "Dari tanggal"), ("date_to", "Sampai tanggal")):
            raw = params.get(key, "")
            if raw:
                value = parse_date(raw)
                if value is None:
                    f.errors[key] = f"{label}: tanggal tidak dikenali; tulis seperti 31-12-2026. Filter ini diabaikan."
                elif not FILTER_YEARS[0] <= value.year <= FILTER_YEARS[1]:
                    f.errors[key] = (
                        f"{label}: {value.day:02d}-{value.month:02d}-{value.year:04d} di luar rentang "
                        f"{FILTER_YEARS[0]}–{FILTER_YEARS[1]}. Filter ini diabaikan."
                    )
                    value = None
                setattr(f, key, value)
        try:
            f.page = max(1, min(int(params.get("page", "1")), 100_000))
        except ValueError:
            f.page = 1
        if f.status and f.status not in {s.value for s in Status}:
            f.status = ""
        return f

    @property
    def searches_whole_number(self) -> bool:
        """``q`` is a whole 16-digit NIK (which never goes into a link, a log or the audit log)."""
        digits = digits_of(self.q)
        return digits.isdigit() and len(digits) == 16

    def _values(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "service": self.service,
            "village": self.village,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "q": self.q,
            "sort": self.sort,
            "page": self.page,
        }

    def query_string(self, **override: Any) -> str:
        """For links: a whole NIK is replaced by its search id."""
        values = self._values()
        if self.searches_whole_number:
            values["q"], values["cari"] = "", self.search_id
        values.update(override)
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def described(self) -> str:
        """For the audit log: the filter with a whole NIK masked."""
        values = self._values()
        if self.searches_whole_number:
            values["q"] = mask_number(digits_of(self.q))
        del values["page"]
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _search(q: str) -> Any:
    digits = digits_of(q)
    if digits.isdigit() and len(digits) == 16:
        return Request.nik == digits
    if q.upper().startswith("PPD-"):
        return Request.number == q.upper()
    if digits.isdigit():
        return false()  # a partial NIK never searches
    return Request.name.like(f"%{q.upper()}%")


# What lists, exports and the API list show: plain rows, cheaper to load than whole ORM objects.
LIST_COLUMNS = (
    Request.id,
    Request.number,
    Request.village_code,
    Request.service_code,
    Request.status,
    Request.nik,
    Request.name,
    Request.created_at,
    Request.status_changed_at,
    Request.status_note,
    Request.output_number,
    Request.batch_id,
)


def list_requests(
    session: Session, user: Any, filters: Filters, *, tz: Any, per_page: int = PER_PAGE
) -> tuple[list[Any], int]:
    """One page of the requests the user may see (rows with ``LIST_COLUMNS``), with the total for the pager."""
    conditions = [scope_filter(user, Request.village_code)]
    if filters.status:
        conditions.append(Request.status == filters.status)
    if filters.service:
        conditions.append(Request.service_code == filters.service)
    if filters.village:
        conditions.append(Request.village_code == filters.village)
    if filters.date_from:
        conditions.append(Request.created_at >= datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
        conditions.append(Request.created_at < end)
    if filters.q:
        conditions.append(_search(filters.q))
    total = session.exec(select(func.count()).select_from(Request).where(*conditions)).one()
    order = Filters.SORTS[filters.sort]
    # Deferred join: pick the page's ids from the index alone (status, village, created, id), then read only
    # those 50 rows, instead of reading every matching row to sort it.
    page_ids = select(Request.id).where(*conditions).order_by(*order)
    page_ids = page_ids.offset((filters.page - 1) * per_page).limit(per_page)
    rows = session.exec(select(*LIST_COLUMNS).where(Request.id.in_(page_ids.scalar_subquery())).order_by(*order))
    return list(rows.all()), total


def counts_by_status(session: Session, user: Any) -> dict[str, int]:
    rows = session.exec(
        select(Request.status, func.count()).where(scope_filter(user, Request.village_code)).group_by(Request.status)
    )
    counts = {s.value: 0 for s in Status}
    counts.update(dict(rows.all()))
    return counts


def dinas_transition(
    session: Session,
    request: Request,
    to: Status,
    *,
    actor: Any,
    note: str | None,
    output_number: str | None,
    ip: str | None = None,
) -> None:
    """Dukcapil's moves; completing needs the number of the document issued (e.g. the akta number)."""
    if to == Status.COMPLETED:
        number = " ".join((output_number or "").split())
        if not number:
            raise ValidationException("Isi nomor dokumen yang diterbitkan (mis. nomor akta) untuk menyelesaikan.")
        if len(number) > 100:
            raise ValidationException("Nomor dokumen paling banyak 100 karakter.")
        request.output_number = number
        note = note or f"Dokumen terbit: {number}"
    transition(session, request, to, actor=actor, note=note, ip=ip)
    if to in (Status.COMPLETED, Status.REJECTED):
        outcome = f"selesai, dokumen {request.output_number}" if to == Status.COMPLETED else "ditolak Dukcapil"
        notify(
            session,
            role=Role.CLERK,
            region_code=request.village_code,
            link=f"/permohonan/{request.id}",
            text=f"Permohonan {request.number} {outcome}.",
        )


def bulk_processing(session: Session, request_ids: list[int], *, actor: Any, ip: str | None = None) -> int:
    """Move every approved request among ``request_ids`` (within scope) to processing; returns how many."""
    rows = session.exec(
        select(Request).where(
            Request.id.in_(request_ids),
            scope_filter(actor, Request.village_code),
            Request.status == Status.APPROVED.value,
        )
    ).all()
    for request in rows:
        transition(session, request, Status.PROCESSING, actor=actor, ip=ip)
    return len(rows)
