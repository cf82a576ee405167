"""The public status check: a resident types the request's public number and the PIN from the receipt
and sees the current stage and its date, a masked name, and nothing else. No login; rate-limited."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post

from app.catalog.service import get_service
from app.db import utcnow
from app.public.service import StatusCheckRefused, check_status
from app.requests.models import STATUS_LABELS
from app.requests.validation import mask_name
from app.web import DbSession, FormData, Pages, Settings, client_ip

NOT_FOUND = "Nomor permohonan atau PIN tidak cocok. Periksa kembali tanda terima Anda."


def try_again_at(until: datetime, tz: ZoneInfo) -> str:
    """'pukul 14.35 WIB (sekitar 42 menit lagi)', in the portal's time zone."""
    local = until.astimezone(tz)
    minutes = max(1, -(-int((until - utcnow()).total_seconds()) // 60))
    return f"pukul {local.hour:02d}.{local.minute:02d} {local.tzname()} (sekitar {minutes} menit lagi)"


def refused_message(refused: StatusCheckRefused, tz: ZoneInfo) -> str:
    when = try_again_at(refused.retry_at, tz)
    if refused.by_address:
        return f"Terlalu banyak percobaan dari jaringan Anda. Silakan coba lagi {when}."
    return (
        "Terlalu banyak percobaan PIN yang salah untuk nomor permohonan ini, jadi pengecekannya dikunci sementara. "
        f"Silakan coba lagi {when}, atau minta petugas desa/kelurahan tempat Anda mengajukan permohonan "
        "membuka kuncinya."
    )


@get("/cek-status", opt={"public": True}, sync_to_thread=False)
def status_form(request: Request, renderer: Pages) -> Response[Any]:
    return renderer.page(request, "public/status.html", {"result": None, "error": None, "number": ""})


@post("/cek-status", opt={"public": True}, sync_to_thread=True)
def status_check(
    request: Request, data: FormData, db_session: DbSession, renderer: Pages, config: Settings
) -> Response[Any]:
    number = " ".join(data.get("number", "").split()).upper()[:40]
    pin = "".join(data.get("pin", "").split())[:12]

    def page(error: str | None, result: dict | None = None, status: int = 200) -> Response[Any]:
        return renderer.page(
            request, "public/status.html", {"result": result, "error": error, "number": number}, status_code=status
        )

    if not number or not pin:
        return page("Isi nomor permohonan dan PIN dari tanda terima.", status=400)
    try:
        found = check_status(db_session, number, pin, ip=client_ip(request))
    except StatusCheckRefused as refused:
        return page(refused_message(refused, config.tz), status=429)
    if found is None:
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
