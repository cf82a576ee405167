"""The home page: one per role."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from app.accounts.models import ROLE_LABELS, Role
from app.batches.models import BatchStatus
from app.batches.service import batches_in_scope
from app.dashboard import service
from app.db import utcnow
from app.regions.service import get_region, villages_in_scope
from app.requests.models import STATUS_LABELS
from app.requests.service import counts_by_status
from app.web import DbSession, Pages

TEMPLATES = {
    Role.CLERK: "dashboard/clerk.html",
    Role.DISTRICT: "dashboard/district.html",
    Role.DINAS: "dashboard/dinas.html",
    Role.ADMIN: "dashboard/admin.html",
}


@get("/", sync_to_thread=True)
def home(request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
    user = request.scope["user"]
    context: dict[str, Any] = {
        "role_labels": ROLE_LABELS,
        "counts": counts_by_status(db_session, user),
        "status_labels": STATUS_LABELS,
        "waiting": batches_in_scope(db_session, user, BatchStatus.SUBMITTED.value) if user.role != Role.DINAS else [],
        "now": utcnow(),
    }
    if user.role == Role.CLERK:
        context["village"] = get_region(db_session, user.region_code)
    elif user.role == Role.DISTRICT:
        context["villages"] = villages_in_scope(db_session, user)
        context["staffing"] = service.staffing(db_session, user)
    else:
        context["staffing"] = service.staffing(db_session, user)
        context["districts"] = service.staffing_by_district(db_session, user)
    return renderer.page(request, TEMPLATES[user.role], context)
