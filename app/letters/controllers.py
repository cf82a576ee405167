"""Letter pages: issue what a request's or batch's stage calls for, download a letter within scope, and
the public verification page the QR code opens (no login, rate-limited)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from anyio import to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlmodel import select

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.accounts.scope import scope_filter
from app.attachments.controllers import file_store
from app.attachments.storage import StorageUnavailable, sniff
from app.batches.service import get_batch
from app.config import PortalConfig
from app.letters import service
from app.letters.models import KIND_LABELS, STATUS_LABELS, Letter, LetterKind
from app.ratelimit import hit
from app.regions.models import LEVEL_VILLAGE, Region
from app.requests.service import get_request
from app.web import DbSession, FormData, Pages, Settings, client_ip, flash, redirect

VERIFY_LIMIT, VERIFY_WINDOW = 30, 600  # verifications per address per 10 minutes
TOO_MANY = "Terlalu banyak pemeriksaan. Coba lagi beberapa menit lagi."
PDF_LIMIT = 12 * 1024 * 1024


def _today(config: PortalConfig):
    return datetime.now(config.tz).date()


def _issue(http: Request, db_session: Any, config: PortalConfig, back: str, **subject: Any) -> Response[Any]:
    """Issue what the request's or batch's stage calls for, then back to its page."""
    letters = issue_letters(http, db_session, config, **subject)
    flash(http, f"Surat siap diunduh ({sum(1 for x in letters if x.status == 'valid')}).")
    return redirect(config, f"{back}#surat")


@post("/permohonan/{request_id:int}/surat", sync_to_thread=True)
def issue_request_letters(
    request: Request, request_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[Any]:
    item = get_request(db_session, request.scope["user"], request_id)
    return _issue(request, db_session, config, f"/permohonan/{request_id}", request=item)


@post("/kiriman/{batch_id:int}/surat", sync_to_thread=True)
def issue_batch_letters(
    request: Request, batch_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[Any]:
    batch = get_batch(db_session, request.scope["user"], batch_id)
    return _issue(request, db_session, config, f"/kiriman/{batch_id}", batch=batch)


@get("/surat/{letter_id:int}", sync_to_thread=True)
def download_letter(
    request: Request, letter_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[bytes]:
    return letter_file(db_session, config, service.get_letter(db_session, request.scope["user"], letter_id))


def letter_file(db_session: Any, config: PortalConfig, letter: Letter) -> Response[bytes]:
    """The letter's stored bytes, under a name built from its subject's public number (pages and API)."""
    name = service.download_name(letter, service.subject_number(db_session, letter))
    return Response(
        file_store(config).get(letter.sha256),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "private, no-store"},
    )


def issue_letters(http: Request, db_session: Any, config: PortalConfig, **subject: Any) -> list[Letter]:
    """Issue what a request's or batch's stage calls for (``request=`` or ``batch=``); all its letters."""
    return service.issue_due(
        db_session,
        config,
        file_store(config),
        actor=http.scope["user"],
        today=_today(config),
        ip=client_ip(http),
        **subject,
    )


@post("/surat/{letter_id:int}/cabut", sync_to_thread=True)
def revoke_letter(
    request: Request, letter_id: FromPath[int], data: FormData, db_session: DbSession, config: Settings
) -> Response[Any]:
    letter = service.get_letter(db_session, request.scope["user"], letter_id)
    service.revoke(
        db_session, letter, actor=request.scope["user"], reason=data.get("reason", ""), ip=client_ip(request)
    )
    flash(request, f"Surat {letter.number} dicabut. Buat surat baru bila diperlukan.")
    target = f"/permohonan/{letter.request_id}#surat" if letter.request_id else f"/kiriman/{letter.batch_id}#surat"
    return redirect(config, target)


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


def _too_many(request: Request, renderer: Any) -> Response[Any]:
    return renderer.page(request, "letters/verify.html", {"letter": None, "error": TOO_MANY}, status_code=429)


def _allowed(request: Request, db_session: Any) -> bool:
    """Counts this check against the address's limit (the public page is rate-limited)."""
    return hit(db_session, f"verify-ip:{client_ip(request)}", limit=VERIFY_LIMIT, window_seconds=VERIFY_WINDOW)


@get("/verify/{token:str}", opt={"public": True}, sync_to_thread=True)
def verify_page(
    request: Request, token: FromPath[str], db_session: DbSession, renderer: Pages, config: Settings
) -> Response[Any]:
    if not _allowed(request, db_session):
        return renderer.page(request, "letters/verify.html", {"letter": None, "error": TOO_MANY}, status_code=429)
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
        if not _allowed(request, db_session):
            return renderer.page(request, "letters/verify.html", {"letter": None, "error": TOO_MANY}, status_code=429)
        letter = service.by_token(db_session, token)
        context = _verify_context(db_session, letter, config)
        if not data:
            context["error"] = "Pilih berkas PDF surat yang akan dicocokkan."
            return renderer.page(request, "letters/verify.html", context, status_code=400)
        context["check"] = hashlib.sha256(data).hexdigest() == letter.sha256
        return renderer.page(request, "letters/verify.html", context)

    return await to_thread.run_sync(work)


class LetterSettingsController(Controller):
    """The regency admin's letter settings: number format, archive classification, paper size, emblem."""

    path = "/admin/surat"
    guards = [require_role(Role.ADMIN)]

    def _context(self, db_session: Any, user: Any, **extra: Any) -> dict[str, Any]:
        settings = service.settings_for(db_session, user.region_code)
        today = datetime.now().date()
        try:
            example = service.format_number(
                settings, LetterKind.RECEIPT, sequence=7, office_code="35.16.11.2017", on=today
            )
            stored_problem = None
        except service.NumberFormatBroken:  # saved before formats were checked: shown, never a 500
            example, stored_problem = None, service.number_format_problem(settings.number_format)
        return {
            "settings": settings,
            "form": None,
            "errors": {},
            "example": example,
            "stored_problem": stored_problem,
            "placeholders": service.PLACEHOLDERS,
            **extra,
        }

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        return renderer.page(request, "letters/settings.html", self._context(db_session, request.scope["user"]))

    @post("/", request_max_body_size=2 * 1024 * 1024)
    async def save(self, request: Request, db_session: DbSession, renderer: Pages, config: Settings) -> Response[Any]:
        user = request.scope["user"]
        form = await request.form()
        upload = form.get("logo")
        logo = await upload.read(service.LOGO_LIMIT + 1) if isinstance(upload, UploadFile) else None
        fields = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}

        def work() -> Response[Any]:
            values, errors = service.check_settings(fields)
            status = 400
            if logo and (len(logo) > service.LOGO_LIMIT or sniff(logo) not in ("image/png", "image/jpeg")):
                errors["logo"] = "Lambang daerah berupa berkas PNG atau JPG, paling besar 512 KB."
            if not errors:
                try:
                    service.save_settings(
                        db_session,
                        file_store(config),
                        user.region_code,
                        values,
                        logo=logo or None,
                        remove_logo=fields.get("remove_logo") == "1",
                        actor=user,
                        ip=client_ip(request),
                    )
                except service.LogoRefused as exc:
                    errors["logo"] = str(exc)
                except StorageUnavailable as exc:
                    db_session.rollback()
                    errors["logo"], status = exc.detail, exc.status_code
            if errors:
                context = self._context(db_session, user, form=fields, errors=errors)
                return renderer.page(request, "letters/settings.html", context, status_code=status)
            flash(request, "Pengaturan surat tersimpan. Surat baru memakai pengaturan ini.")
            return redirect(config, "/admin/surat/")

        return await to_thread.run_sync(work)

    @get("/pratinjau.pdf", sync_to_thread=True)
    def preview(self, request: Request, db_session: DbSession, config: Settings) -> Response[bytes]:
        """A sample receipt of the regency's first village with the saved settings."""
        user = request.scope["user"]
        village = db_session.exec(
            select(Region.code)
            .where(Region.level == LEVEL_VILLAGE, scope_filter(user, Region.code))
            .order_by(Region.code)
        ).first()
        if village is None:
            raise NotFoundException("Belum ada desa di kabupaten ini.")
        body = service.preview_receipt(db_session, config, village, today=_today(config))
        return Response(
            body, media_type="application/pdf", headers={"content-disposition": 'inline; filename="contoh-surat.pdf"'}
        )
