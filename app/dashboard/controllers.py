"""The home page: one per role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, get

from app.accounts.models import ROLE_LABELS, Role
from app.batches.models import BatchStatus
from app.batches.service import batches_in_scope
from app.catalog.service import services_for
from app.dashboard import service
from app.db import utcnow
from app.regions.service import get_region, villages_in_scope
from app.requests.models import STATUS_LABELS
from app.requests.service import counts_by_status
from app.web import DbSession, Pages, Settings

TEMPLATES = {
    Role.CLERK: "dashboard/clerk.html",
    Role.DISTRICT: "dashboard/district.html",
    Role.DINAS: "dashboard/dinas.html",
    Role.ADMIN: "dashboard/admin.html",
}


@get("/", sync_to_thread=True)
def home(request: Request, db_session: DbSession, renderer: Pages, config: Settings) -> Response[Any]:
    user = request.scope["user"]
    today = datetime.now(config.tz).date()
    context: dict[str, Any] = {
        "today": today,
        "stages": service.waiting(db_session, user),
        "overdue": service.overdue_count(
            db_session, user, services_for(db_session, user.region_code, only_active=False), today=today, tz=config.tz
        ),
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
        context["breakdown"] = service.breakdown(db_session, user, by_district=False)
    else:
        context["staffing"] = service.staffing(db_session, user)
        context["districts"] = service.staffing_by_district(db_session, user)
        context["breakdown"] = service.breakdown(db_session, user, by_district=True)
    return renderer.page(request, TEMPLATES[user.role], context)
