"""Letter pages: issue what a request's or batch's stage calls for, download a letter within scope, and
the public verification page the QR code opens (no login, rate-limited)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from app.attachments.controllers import file_store
from app.batches.service import get_batch
from app.config import PortalConfig
from app.letters import service
from app.letters.models import KIND_LABELS, STATUS_LABELS, Letter, LetterKind
from app.ratelimit import hit
from app.regions.models import Region
from app.requests.service import get_request
from app.web import DbSession, Pages, Settings, client_ip, flash, redirect

VERIFY_LIMIT, VERIFY_WINDOW = 30, 600  # verifications per address per 10 minutes
PDF_LIMIT = 12 * 1024 * 1024


def _today(config: PortalConfig):
    return datetime.now(config.tz).date()


@post("/permohonan/{request_id:int}/surat", sync_to_thread=True)
def issue_request_letters(
    request: Request, request_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[Any]:
    user = request.scope["user"]
    item = get_request(db_session, user, request_id)
    letters = service.issue_due(
        db_session, config, file_store(config), request=item, actor=user, today=_today(config), ip=client_ip(request)
    )
    flash(request, f"Surat siap diunduh ({len([x for x in letters if x.status == 'valid'])}).")
    return redirect(config, f"/permohonan/{request_id}#surat")


@post("/kiriman/{batch_id:int}/surat", sync_to_thread=True)
def issue_batch_letters(
    request: Request, batch_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[Any]:
    user = request.scope["user"]
    batch = get_batch(db_session, user, batch_id)
    letters = service.issue_due(
        db_session, config, file_store(config), batch=batch, actor=user, today=_today(config), ip=client_ip(request)
    )
    flash(request, f"Surat siap diunduh ({len([x for x in letters if x.status == 'valid'])}).")
    return redirect(config, f"/kiriman/{batch_id}#surat")


@get("/surat/{letter_id:int}", sync_to_thread=True)
def download_letter(
    request: Request, letter_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[bytes]:
    letter = service.get_letter(db_session, request.scope["user"], letter_id)
    body = file_store(config).get(letter.sha256)
    name = service.download_name(letter, service.subject_number(db_session, letter))
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "private, no-store"},
    )


def _verify_context(db_session: Any, letter: Letter, config: PortalConfig) -> dict[str, Any]:
    office = db_session.get(Region, letter.office_code)
    return {
        "letter": letter,
        "kind": KIND_LABELS[LetterKind(letter.kind)],
        "status": STATUS_LABELS[letter.status],
        "office": f"{office.kind.capitalize()} {office.name}" if office else letter.office_code,
        "check": None,
        "error": None,
    }


@get("/verify/{token:str}", opt={"public": True}, sync_to_thread=True)
def verify_page(
    request: Request, token: FromPath[str], db_session: DbSession, renderer: Pages, config: Settings
) -> Response[Any]:
    if not hit(db_session, f"verify-ip:{client_ip(request)}", limit=VERIFY_LIMIT, window_seconds=VERIFY_WINDOW):
        return renderer.page(
            request,
            "letters/verify.html",
            {"letter": None, "error": "Terlalu banyak pemeriksaan. Coba lagi beberapa menit lagi."},
            status_code=429,
        )
    letter = service.by_token(db_session, token)
    return renderer.page(request, "letters/verify.html", _verify_context(db_session, letter, config))


@post("/verify/{token:str}", opt={"public": True}, request_max_body_size=PDF_LIMIT)
async def verify_upload(
    request: Request, token: FromPath[str], db_session: DbSession, renderer: Pages, config: Settings
) -> Response[Any]:
    form = await request.form()
    upload = form.get("file")
    data = await upload.read(PDF_LIMIT) if isinstance(upload, UploadFile) else None

    def work() -> Response[Any]:
        if not hit(db_session, f"verify-ip:{client_ip(request)}", limit=VERIFY_LIMIT, window_seconds=VERIFY_WINDOW):
            return renderer.page(
                request,
                "letters/verify.html",
                {"letter": None, "error": "Terlalu banyak pemeriksaan. Coba lagi beberapa menit lagi."},
                status_code=429,
            )
        letter = service.by_token(db_session, token)
        context = _verify_context(db_session, letter, config)
        if not data:
            context["error"] = "Pilih berkas PDF surat yang akan dicocokkan."
            return renderer.page(request, "letters/verify.html", context, status_code=400)
        context["check"] = hashlib.sha256(data).hexdigest() == letter.sha256
        return renderer.page(request, "letters/verify.html", context)

    return await to_thread.run_sync(work)
