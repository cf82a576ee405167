"""JSON API v1: the same services, scoping and status rules as the pages, for village information systems.

Authentication is a per-user bearer token (``litestar portal token create USERNAME``). Errors answer
``{"detail": ..., "errors": [{"field", "message"}]}``: 400/422 bad input, 401 no valid token, 403 a role
that may not act, 404 outside the scope, 409 an illegal transition.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.params import Body, FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel import Session

from app.accounts.guards import require_login, require_role
from app.accounts.models import Role
from app.accounts.service import load_current_user
from app.accounts.tokens import user_for_token
from app.api.imports import ImportApiController
from app.api.letters import JobApiController, LetterApiController
from app.attachments import service as files
from app.attachments.controllers import file_store
from app.batches import service as batches
from app.batches.models import Batch
from app.catalog import service as catalog
from app.config import PortalConfig
from app.db import Database, is_busy_error, is_out_of_range_error
from app.requests import service as requests
from app.requests.models import Request as ResidentRequest
from app.requests.models import Status
from app.requests.validation import check_request, mask_number
from app.web import (
    ERROR_TEXTS,
    MAX_ID,
    RETRY_AFTER_SECONDS,
    TRUSTED_PROXIES_OPT,
    DbSession,
    Settings,
    check_input,
    client_ip,
)


class ApiValidationError(HTTPException):
    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            detail="Data tidak valid.", extra={"errors": [{"field": k, "message": v} for k, v in errors.items()]}
        )


class TokenAuthMiddleware(ASGIMiddleware):
    """``Authorization: Bearer <token>`` → ``scope['user']`` (or None: the guard then answers 401)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __deepcopy__(self, memo: dict) -> TokenAuthMiddleware:
        return self

    def _load(self, token: str) -> Any:
        with self.db.session() as session:
            user = user_for_token(session, token)
            return load_current_user(session, user.id, user.session_epoch) if user else None  # type: ignore[arg-type]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        scope["user"] = await anyio.to_thread.run_sync(self._load, token) if token else None
        await next_app(scope, receive, send)


FRAMEWORK_DETAILS = {
    "Not Found": "Alamat API ini tidak ada, atau datanya tidak ditemukan atau di luar wilayah tugas Anda.",
    "Method Not Allowed": "Metode HTTP ini tidak didukung untuk alamat API ini.",
}


def api_error(request: Request, exc: Exception) -> Response[Any]:
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
        extra = exc.extra if isinstance(exc.extra, dict) else {}
        errors = extra.get("errors", [])
        if status == 400 and isinstance(exc.extra, list):  # Litestar's own body validation
            errors = [{"field": e.get("key", ""), "message": e.get("message", "")} for e in exc.extra]
        if isinstance(exc, NotAuthorizedException):
            detail = "Token API tidak ada, tidak sah, atau sudah dicabut."
        elif detail in FRAMEWORK_DETAILS:  # Litestar's own English words for routing errors
            detail = FRAMEWORK_DETAILS[detail]
    elif is_out_of_range_error(exc):
        status, detail, errors = 404, "Data tidak ditemukan atau di luar wilayah tugas Anda.", []
    elif isinstance(exc, RecursionError):  # a JSON body nested thousands deep
        status, detail, errors = 400, "Badan JSON bersarang terlalu dalam; kirim data yang datar.", []
    elif is_busy_error(exc):
        request.logger.warning("busy: %s on %s", type(exc).__name__, request.url.path)
        status, detail, errors = 503, ERROR_TEXTS[503], []
        headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    else:
        request.logger.exception("unhandled API error on %s", request.url.path)
        status, detail, errors = 500, "Terjadi kesalahan pada sistem.", []
    others = {k: v for k, v in extra.items() if k != "errors"}
    return Response({"detail": detail, "errors": errors, **others}, status_code=status, headers=headers)


@dataclass
class RequestSearch:
    q: str = ""
    status: str = ""
    service: str = ""
    village: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = ""
    page: int = 1


def _list_page(session: Session, user: Any, filters: requests.Filters, config: PortalConfig) -> dict[str, Any]:
    if filters.errors:
        raise ApiValidationError(filters.errors)
    rows, total = requests.list_requests(session, user, filters, tz=config.tz)
    return {
        "items": [_request_out(r) for r in rows],
        "total": total,
        "page": filters.page,
        "per_page": requests.PER_PAGE,
    }


def _request_out(r: ResidentRequest, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": r.id,
        "number": r.number,
        "status": r.status,
        "service": r.service_code,
        "village": r.village_code,
        "name": r.name,
        "nik": r.nik if full else mask_number(r.nik),
        "created_at": r.created_at.isoformat(),
        "status_changed_at": r.status_changed_at.isoformat(),
        "status_note": r.status_note,
        "batch_id": r.batch_id,
        "output_number": r.output_number,
    }
    if full:
        data.update(
            kk_number=r.kk_number,
            birth_place=r.birth_place,
            birth_date=r.birth_date.isoformat(),
            sex=r.sex,
            address=r.address,
            rt=r.rt,
            rw=r.rw,
            dusun=r.dusun,
            phone=r.phone,
            fields=r.fields,
            status_pin=r.status_pin,
        )
    return data


def _batch_out(session: Session, batch: Batch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "number": batch.number,
        "status": batch.status,
        "village": batch.village_code,
        "submitted_at": batch.submitted_at.isoformat() if batch.submitted_at else None,
        "reviewed_at": batch.reviewed_at.isoformat() if batch.reviewed_at else None,
        "requests": [
            {
                "request_id": item.request_id,
                "number": r.number,
                "status": r.status,
                "decision": item.decision,
                "reason": item.reason,
            }
            for item, r in batches.items_of(session, batch.id)
        ],  # type: ignore[arg-type]
    }


@dataclass
class RequestIn:
    service: str
    nik: str
    kk_number: str
    name: str
    birth_place: str
    birth_date: str
    sex: str
    address: str
    rt: str
    rw: str
    dusun: str | None = None
    phone: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


# Ids as the database holds them (PostgreSQL integer); anything else is refused as bad input (400).
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


@dataclass
class BatchIn:
    request_ids: Annotated[list[Id], msgspec.Meta(max_length=5000)]


@dataclass
class Decision:
    request_id: Id
    decision: str
    reason: str | None = None


@dataclass
class ReviewIn:
    decisions: list[Decision]


@dataclass
class TransitionIn:
    to: str
    note: str | None = None
    output_number: str | None = None


class ApiController(Controller):
    path = "/"

    @get("/services", sync_to_thread=True)
    def services(self, request: Request, db_session: DbSession) -> list[dict[str, Any]]:
        """The active services of the user's regency: code, name, required documents, fields, target."""
        user = request.scope["user"]
        out = []
        for svc in catalog.services_for(db_session, user.region_code):
            definition = catalog.definition(svc.code)
            out.append(
                {
                    "code": svc.code,
                    "name": svc.name,
                    "output": svc.output,
                    "requirements": svc.requirements,
                    "target_working_days": svc.target_days,
                    "fields": [
                        {
                            "name": f.name,
                            "label": f.label,
                            "kind": f.kind,
                            "required": f.required,
                            "options": [v for v, _ in f.options],
                        }
                        for f in definition.fields
                    ],
                }
            )
        return out

    @post("/requests", guards=[require_role(Role.CLERK)], status_code=HTTP_201_CREATED, sync_to_thread=True)
    def create_request(
        self, request: Request, data: JSONBody[RequestIn], db_session: DbSession, config: Settings
    ) -> dict[str, Any]:
        """Record a request for a resident of the clerk's village (a draft)."""
        user = request.scope["user"]
        svc = catalog.get_service(db_session, user.region_code, data.service)
        if svc is None:
            raise ApiValidationError({"service": "Kode layanan tidak dikenal atau tidak aktif."})
        today = datetime.now(config.tz).date()
        checked = check_request(data.__dict__, catalog.definition(svc.code), today=today)
        if not checked.ok:
            raise ApiValidationError(checked.errors)
        new = requests.create_request(
            db_session,
            actor=user,
            village_code=user.region_code,
            service=svc,
            checked=checked,
            ip=client_ip(request),
            today=today,
        )
        duplicates = requests.open_duplicates(db_session, new.nik, svc.code, exclude_id=new.id)
        db_session.commit()
        warnings = [{"field": k, "message": v} for k, v in checked.warnings.items()]
        if duplicates:
            others = ", ".join(duplicates)
            warnings.append({"field": "nik", "message": f"Permohonan terbuka lain untuk NIK ini: {others}"})
        return {**_request_out(new, full=True), "warnings": warnings}

    @get("/requests", sync_to_thread=True)
    def list_requests(self, request: Request, db_session: DbSession, config: Settings) -> dict[str, Any]:
        """Requests in the user's scope, 50 per page, NIKs masked. Filters: status, service, village, q (a name
        or public number; a whole NIK only through ``POST /requests/search``), date_from, date_to, sort, page."""
        filters = requests.Filters.from_query(dict(request.query_params))
        if filters.searches_whole_number:
            raise ApiValidationError(
                {
                    "q": "Cari NIK lengkap lewat POST /api/v1/requests/search (q di badan JSON): NIK tidak boleh "
                    "ada di alamat, karena alamat tercatat di log."
                }
            )
        return _list_page(db_session, request.scope["user"], filters, config)

    @post("/requests/search", status_code=HTTP_200_OK, sync_to_thread=True)
    def search_requests(
        self, request: Request, data: JSONBody[RequestSearch], db_session: DbSession, config: Settings
    ) -> dict[str, Any]:
        """The same list, its filters in the body: the way to search by a whole NIK."""
        params = {k: str(v) for k, v in vars(data).items() if v not in (None, "")}
        return _list_page(db_session, request.scope["user"], requests.Filters.from_query(params), config)

    @get("/requests/{request_id:int}", sync_to_thread=True)
    def get_request(self, request: Request, request_id: FromPath[int], db_session: DbSession) -> dict[str, Any]:
        """One request with its full data and history (the access is logged)."""
        user = request.scope["user"]
        item = requests.open_full_record(db_session, user, request_id, ip=client_ip(request))
        history = [
            {"at": h.at.isoformat(), "actor": h.actor_name, "from": h.from_status, "to": h.to_status, "note": h.note}
            for h in requests.history(db_session, item.id)
        ]  # type: ignore[arg-type]
        return {**_request_out(item, full=True), "history": history}

    @post("/requests/{request_id:int}/transition", status_code=HTTP_200_OK, sync_to_thread=True)
    def transition(
        self, request: Request, request_id: FromPath[int], data: JSONBody[TransitionIn], db_session: DbSession
    ) -> dict[str, Any]:
        """Dukcapil: approved → processing → completed (with ``output_number``) or rejected (with ``note``)."""
        user = request.scope["user"]
        item = requests.get_request(db_session, user, request_id)
        if data.to not in {s.value for s in Status}:
            raise ApiValidationError({"to": "Status tujuan tidak dikenal."})
        if user.role != Role.DINAS:
            raise PermissionDeniedException("Perubahan status ini dilakukan oleh Dispendukcapil.")
        requests.dinas_transition(
            db_session,
            item,
            Status(data.to),
            actor=user,
            note=data.note,
            output_number=data.output_number,
            ip=client_ip(request),
        )
        db_session.commit()
        return _request_out(item)

    @post(
        "/requests/{request_id:int}/documents",
        guards=[require_role(Role.DINAS)],
        status_code=HTTP_201_CREATED,
        request_max_body_size=12 * 1024 * 1024,
    )
    async def upload_document(
        self,
        request: Request,
        request_id: FromPath[int],
        db_session: DbSession,
        config: Settings,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> dict[str, Any]:
        """Dukcapil attaches an issued PDF (field ``file``; optional ``label``), stored byte for byte."""
        upload = data.get("file")
        content = await upload.read(files.MAX_OUTPUT + 1) if isinstance(upload, UploadFile) else None
        user = request.scope["user"]

        def work() -> Any:
            item = requests.get_request(db_session, user, request_id)
            if content is None:
                raise ValidationException("Kirim berkas PDF pada kolom 'file'.")
            saved = files.add_output(
                db_session,
                file_store(config),
                item,
                content,
                str(data.get("label") or ""),
                actor=user,
                ip=client_ip(request),
            )
            db_session.commit()
            return saved

        saved = await anyio.to_thread.run_sync(work)
        return {"id": saved.id, "sha256": saved.sha256, "size": saved.size, "label": saved.label}

    @post("/batches", guards=[require_role(Role.CLERK)], status_code=HTTP_201_CREATED, sync_to_thread=True)
    def create_batch(
        self, request: Request, data: JSONBody[BatchIn], db_session: DbSession, config: Settings
    ) -> dict[str, Any]:
        """Put draft requests into a new batch. Send ``Idempotency-Key`` to make retries safe."""
        user = request.scope["user"]
        key = request.headers.get("idempotency-key", "")[:60] or secrets.token_urlsafe(24)
        batch, _ = batches.create_batch(
            db_session,
            actor=user,
            request_ids=data.request_ids,
            form_key=f"api:{user.id}:{key}",
            year=datetime.now(config.tz).year,
            ip=client_ip(request),
        )
        db_session.commit()
        return _batch_out(db_session, batch)

    @get("/batches/{batch_id:int}", sync_to_thread=True)
    def get_batch(self, request: Request, batch_id: FromPath[int], db_session: DbSession) -> dict[str, Any]:
        batch = batches.get_batch(db_session, request.scope["user"], batch_id)
        return _batch_out(db_session, batch)

    @post(
        "/batches/{batch_id:int}/submit",
        guards=[require_role(Role.CLERK)],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def submit_batch(self, request: Request, batch_id: FromPath[int], db_session: DbSession) -> dict[str, Any]:
        """Send the batch to the district; repeating it changes nothing (``submitted_now`` is then false)."""
        user = request.scope["user"]
        batch = batches.get_batch(db_session, user, batch_id)
        sent = batches.submit_batch(db_session, batch, actor=user, ip=client_ip(request))
        db_session.commit()
        return {**_batch_out(db_session, batch), "submitted_now": sent}

    @post(
        "/batches/{batch_id:int}/review",
        guards=[require_role(Role.DISTRICT)],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def review_batch(
        self, request: Request, batch_id: FromPath[int], data: JSONBody[ReviewIn], db_session: DbSession
    ) -> dict[str, Any]:
        """District decisions: approve, reject (reason) or return (reason); all or nothing per call."""
        user = request.scope["user"]
        batch = batches.get_batch(db_session, user, batch_id)
        for d in data.decisions:
            batches.decide(db_session, batch, d.request_id, d.decision, d.reason, actor=user, ip=client_ip(request))
        db_session.commit()
        return _batch_out(db_session, batch)


async def check_api_input(request: Request) -> None:
    """A body is JSON (or multipart for files); then the portal's own input checks (NUL characters, ids)."""
    if (
        request.method in ("POST", "PUT", "PATCH")
        and request.content_type[0]
        not in (
            "application/json",
            "multipart/form-data",
        )
        and await request.body()
    ):
        raise HTTPException(
            status_code=415,
            detail="Kirim badan permintaan sebagai application/json (atau multipart/form-data untuk berkas).",
        )
    await check_input(request)


def build_api_router(
    config: PortalConfig, db: Database, jobs: Any = None, host_csrf: CSRFConfig | None = None
) -> Router:
    """The API's router. Bearer tokens, never cookies, authenticate it, so no browser can send a forged
    call on a user's behalf: the API has no CSRF check of its own and opts out of the host's."""
    opt: dict[str, Any] = {"portal": True, "api": True, TRUSTED_PROXIES_OPT: config.trusted_networks}
    if host_csrf is not None:
        opt[host_csrf.exclude_from_csrf_key] = True

    return Router(
        path=config.url("/api/v1"),
        route_handlers=[ApiController, ImportApiController, LetterApiController, JobApiController],
        middleware=[TokenAuthMiddleware(db)],
        guards=[require_login],
        before_request=check_api_input,
        dependencies={
            "db_session": Provide(db.request_session),
            "config": Provide(lambda: config, sync_to_thread=False, use_cache=True),
            "jobs": Provide(jobs or (lambda: None), sync_to_thread=False, use_cache=True),
        },
        exception_handlers={HTTPException: api_error, Exception: api_error},
        opt=opt,
        tags=["Pelaku Para Dewi API v1"],
    )
