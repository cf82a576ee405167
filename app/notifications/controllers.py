"""The user's notifications: opening the list marks them read."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from app.notifications import service
from app.web import DbSession, Pages


@get("/notifikasi", sync_to_thread=True)
def notifications(request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
    user = request.scope["user"]
    items = service.latest(db_session, user)
    service.mark_all_read(db_session, user)
    db_session.commit()
    return renderer.page(request, "notifications/list.html", {"items": items})
