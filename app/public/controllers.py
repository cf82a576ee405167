"""The public status check: a resident types the request's public number and the PIN from the receipt
and sees the current stage and its date, a masked name, and nothing else. No login; rate-limited."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from sqlmodel import select

from app.catalog.service import get_service
from app.ratelimit import hit, is_blocked
from app.requests.models import STATUS_LABELS
from app.requests.models import Request as ResidentRequest
from app.requests.validation import mask_name
from app.web import DbSession, FormData, Pages, client_ip

IP_LIMIT, IP_WINDOW = 20, 600  # attempts per address per 10 minutes
NUMBER_LIMIT, NUMBER_WINDOW = 5, 3600  # wrong PINs per request number per hour
NOT_FOUND = "Nomor permohonan atau PIN tidak cocok. Periksa kembali tanda terima Anda."
TOO_MANY = "Terlalu banyak percobaan. Silakan coba lagi beberapa menit lagi."


@get("/cek-status", opt={"public": True}, sync_to_thread=False)
def status_form(request: Request, renderer: Pages) -> Response[Any]:
    return renderer.page(request, "public/status.html", {"result": None, "error": None, "number": ""})


@post("/cek-status", opt={"public": True}, sync_to_thread=True)
def status_check(request: Request, data: FormData, db_session: DbSession, renderer: Pages) -> Response[Any]:
    number = " ".join(data.get("number", "").split()).upper()[:40]
    pin = "".join(data.get("pin", "").split())[:12]

    def page(error: str | None, result: dict | None = None, status: int = 200) -> Response[Any]:
        return renderer.page(
            request, "public/status.html", {"result": result, "error": error, "number": number}, status_code=status
        )

    if not number or not pin:
        return page("Isi nomor permohonan dan PIN dari tanda terima.", status=400)
    number_key = f"status-number:{number}"
    if not hit(db_session, f"status-ip:{client_ip(request)}", limit=IP_LIMIT, window_seconds=IP_WINDOW) or is_blocked(
        db_session, number_key, limit=NUMBER_LIMIT, window_seconds=NUMBER_WINDOW
    ):
        return page(TOO_MANY, status=429)
    found = db_session.exec(select(ResidentRequest).where(ResidentRequest.number == number)).first()
    if found is None or found.status_pin != pin:
        hit(db_session, number_key, limit=NUMBER_LIMIT, window_seconds=NUMBER_WINDOW)
        return page(NOT_FOUND, status=404)
    service = get_service(db_session, found.village_code, found.service_code, only_active=False)
    return page(
        None,
        {
            "number": found.number,
            "service": service.name if service else found.service_code,
            "stage": STATUS_LABELS[found.status],
            "since": found.status_changed_at,
            "name": mask_name(found.name),
        },
    )
