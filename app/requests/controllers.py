"""Request pages: the list with filters, the form (new and correction), the request with its timeline."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from anyio import to_thread
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath
from sqlmodel import Session

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.attachments.retention import scans_deleted_after
from app.attachments.service import files_of
from app.audit.service import record
from app.catalog import service as catalog
from app.config import PortalConfig
from app.db import utcnow
from app.letters import service as letters
from app.letters.models import KIND_LABELS as LETTER_LABELS
from app.public.service import pin_locked_until, unlock_pin
from app.regions.service import village_names
from app.requests import export, search, service
from app.requests.models import STATUS_LABELS, Status
from app.requests.status import IllegalTransition, allowed_moves
from app.requests.validation import IDENTITY_LABELS, check_request, digits_of, mask_number
from app.web import DbSession, FormData, Pages, Renderer, Settings, client_ip, flash, ids_of, redirect

FIELD_PREFIX = "f_"


def _today(config: PortalConfig):
    return datetime.now(config.tz).date()


def _typed(data: dict[str, str]) -> dict[str, Any]:
    """The form as typed, with the service's own fields gathered under ``fields``."""
    typed: dict[str, Any] = {k: v for k, v in data.items() if not k.startswith(FIELD_PREFIX) and k != "_csrf_token"}
    typed["fields"] = {k[len(FIELD_PREFIX) :]: v for k, v in data.items() if k.startswith(FIELD_PREFIX)}
    return typed


def _as_form(request_obj: Any) -> dict[str, Any]:
    """A saved request shown in the form (dates as the date input expects them)."""
    form = {k: getattr(request_obj, k) or "" for k in IDENTITY_LABELS}
    form["birth_date"] = request_obj.birth_date.isoformat()
    form["fields"] = dict(request_obj.fields)
    return form


def _filters(request: Request, params: dict[str, str]) -> service.Filters:
    """A list's filters; a whole NIK searched is kept in the session and linked to by a search id."""
    filters = service.Filters.from_query(params, recall=lambda search_id: search.recall(request, search_id))
    if filters.searches_whole_number and not filters.search_id:
        filters.q = digits_of(filters.q)
        filters.search_id = search.remember(request, filters.q)
    return filters


def _list_context(db_session: Session, user: Any, filters: service.Filters, config: PortalConfig) -> dict[str, Any]:
    rows, total = service.list_requests(db_session, user, filters, tz=config.tz)
    pages = max(1, -(-total // service.PER_PAGE))
    services = catalog.service_names(db_session, user.region_code)
    return {
        "rows": rows,
        "total": total,
        "filters": filters,
        "pages": pages,
        "services": services,
        "service_names": dict(services),
        "villages": village_names(db_session, user) if user.role != Role.CLERK else (),
        "status_labels": STATUS_LABELS,
        "mask": mask_number,
        # Clerks tick drafts into a batch; Dukcapil ticks approved requests into processing.
        "select_for": {Role.CLERK: "batch", Role.DINAS: "process"}.get(user.role),
        "form_key": secrets.token_urlsafe(24),
        "export_query": filters.query_string(page=1),
        "prev_query": filters.query_string(page=filters.page - 1) if filters.page > 1 else None,
        "next_query": filters.query_string(page=filters.page + 1) if filters.page < pages else None,
    }


class RequestController(Controller):
    path = "/permohonan"

    @get("/", sync_to_thread=True)
    def list_requests(
        self, request: Request, db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        params = dict(request.query_params)
        filters = _filters(request, params)
        if params.get("q") and filters.searches_whole_number:
            # A NIK typed into an address (an old bookmark): moved out of it at once.
            return redirect(config, "/permohonan/?" + filters.query_string())
        return renderer.page(
            request,
            "requests/list.html",
            _list_context(db_session, request.scope["user"], filters, config),
            partial="requests/_results.html",
        )

    @post("/cari", sync_to_thread=True)
    def search_requests(
        self, request: Request, data: FormData, db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        """The filter form, sent as a POST body; the answer carries the list's address without any NIK."""
        filters = _filters(request, data)
        address = config.url("/permohonan/") + (f"?{query}" if (query := filters.query_string()) else "")
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.boosted:
            return redirect(config, address.removeprefix(config.path_prefix))
        response = renderer.page(
            request,
            "requests/list.html",
            _list_context(db_session, request.scope["user"], filters, config),
            partial="requests/_results.html",
        )
        response.headers["hx-push-url"] = address
        return response

    # Two handlers, not one with two paths: Litestar 2.25 mishandles a sync handler with several paths
    # in a controller (it answers 500 with "'coroutine' object has no attribute 'to_asgi_response'").
    @get("/ekspor.csv", guards=[require_role(Role.DISTRICT, Role.DINAS, Role.ADMIN)], sync_to_thread=True)
    def export_csv(self, request: Request, db_session: DbSession, config: Settings) -> Response[bytes]:
        return self._export(request, db_session, config, xlsx=False)

    @get("/ekspor.xlsx", guards=[require_role(Role.DISTRICT, Role.DINAS, Role.ADMIN)], sync_to_thread=True)
    def export_xlsx(self, request: Request, db_session: DbSession, config: Settings) -> Response[bytes]:
        return self._export(request, db_session, config, xlsx=True)

    def _export(self, request: Request, db_session: Session, config: PortalConfig, *, xlsx: bool) -> Response[bytes]:
        """The current filter (every page of it, up to 100,000 rows) as CSV or XLSX."""
        user = request.scope["user"]
        filters = _filters(request, dict(request.query_params))
        filters.page = 1
        rows, total = service.list_requests(db_session, user, filters, tz=config.tz, per_page=export.MAX_ROWS)
        table = export.rows_of(
            rows,
            tz=config.tz,
            villages=dict(village_names(db_session, user)),
            services=dict(catalog.service_names(db_session, user.region_code)),
        )
        body = export.to_xlsx(table) if xlsx else export.to_csv(table)
        record(
            db_session,
            actor=user,
            action="request.export",
            object_type="request",
            region_code=user.region_code,
            changes={"rows": len(rows), "format": "xlsx" if xlsx else "csv", "filter": filters.described()},
            ip=client_ip(request),
        )
        db_session.commit()
        stamp = datetime.now(config.tz).strftime("%Y%m%d-%H%M")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if xlsx else "text/csv"
        return Response(
            body,
            media_type=media,
            headers={
                "content-disposition": f'attachment; filename="permohonan-{stamp}.{"xlsx" if xlsx else "csv"}"',
                "x-total-rows": str(total),
            },
        )

    def _form_page(
        self,
        request: Request,
        renderer: Renderer,
        db_session: Session,
        *,
        svc: Any,
        form: dict,
        errors: dict[str, str],
        existing: Any = None,
        status_code: int = 200,
    ) -> Response[Any]:
        user = request.scope["user"]
        return renderer.page(
            request,
            "requests/form.html",
            {
                "services": catalog.services_for(db_session, user.region_code),
                "service": svc,
                "definition": catalog.definition(svc.code) if svc else None,
                "form": form,
                "errors": errors,
                "existing": existing,
                "labels": IDENTITY_LABELS,
            },
            status_code=status_code,
        )

    @get("/baru", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def new_form(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        code = request.query_params.get("layanan", "")
        svc = catalog.get_service(db_session, user.region_code, code) if code else None
        return self._form_page(request, renderer, db_session, svc=svc, form={"fields": {}}, errors={})

    @post("/baru", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def create(
        self, request: Request, data: FormData, db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        user = request.scope["user"]
        svc = catalog.get_service(db_session, user.region_code, data.get("service", ""))
        if svc is None:
            flash(request, "Pilih jenis layanan terlebih dahulu.", "error")
            return redirect(config, "/permohonan/baru")
        typed = _typed(data)
        checked = check_request(typed, catalog.definition(svc.code), today=_today(config))
        if not checked.ok:
            return self._form_page(
                request, renderer, db_session, svc=svc, form=typed, errors=checked.errors, status_code=400
            )
        new = service.create_request(
            db_session,
            actor=user,
            village_code=user.region_code,
            service=svc,
            checked=checked,
            ip=client_ip(request),
            today=_today(config),
        )
        duplicates = service.open_duplicates(db_session, new.nik, svc.code, exclude_id=new.id)
        db_session.commit()
        flash(request, f"Permohonan {new.number} tersimpan sebagai draf.")
        for warning in checked.warnings.values():
            flash(request, warning, "info")
        if duplicates:
            flash(
                request,
                f"Perhatian: NIK ini masih punya permohonan {svc.name} yang belum selesai "
                f"({', '.join(duplicates)}). Pastikan bukan permohonan ganda.",
                "info",
            )
        return redirect(config, f"/permohonan/{new.id}")

    @get("/{request_id:int}", sync_to_thread=True)
    def show(
        self, request: Request, request_id: FromPath[int], db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        user = request.scope["user"]
        item = service.open_full_record(db_session, user, request_id, ip=client_ip(request))
        scans_until = scans_deleted_after(item.status, item.status_changed_at, config.scan_retention_days)
        return renderer.page(
            request,
            "requests/detail.html",
            {
                "item": item,
                "history": service.history(db_session, item.id),
                "files": files_of(db_session, item.id),
                "service": catalog.get_service(db_session, item.village_code, item.service_code, only_active=False),
                "definition": catalog.definition(item.service_code),
                "status_labels": STATUS_LABELS,
                "moves": allowed_moves(item.status, user.role),
                "editable": item.status in service.EDITABLE and user.role == Role.CLERK,
                "letters": (subject_letters := letters.letters_of(db_session, f"request:{item.id}")),
                "revocable": {x.id for x in subject_letters if x.status == "valid" and letters.may_revoke(user, x)},
                "letter_labels": LETTER_LABELS,
                "due": letters.due_kinds_for_request(item),
                "issue_url": config.url(f"/permohonan/{item.id}/surat"),
                "scans_until": scans_until,
                "scans_purged": scans_until is not None and scans_until <= utcnow(),
                "retention_days": config.scan_retention_days,
                "pin_locked_until": pin_locked_until(db_session, item.number) if user.role == Role.CLERK else None,
            },
        )

    @get("/{request_id:int}/ubah", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def edit_form(
        self, request: Request, request_id: FromPath[int], db_session: DbSession, renderer: Pages
    ) -> Response[Any]:
        item = self._editable(db_session, request, request_id)
        svc = catalog.get_service(db_session, item.village_code, item.service_code, only_active=False)
        return self._form_page(request, renderer, db_session, svc=svc, form=_as_form(item), errors={}, existing=item)

    @post("/{request_id:int}/ubah", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def update(
        self,
        request: Request,
        request_id: FromPath[int],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        user = request.scope["user"]
        item = self._editable(db_session, request, request_id)
        svc = catalog.get_service(db_session, item.village_code, item.service_code, only_active=False)
        typed = _typed(data)
        checked = check_request(typed, catalog.definition(item.service_code), today=_today(config))
        if not checked.ok:
            return self._form_page(
                request,
                renderer,
                db_session,
                svc=svc,
                form=typed,
                errors=checked.errors,
                existing=item,
                status_code=400,
            )
        was_returned = item.status == Status.RETURNED
        service.update_request(db_session, item, actor=user, checked=checked, ip=client_ip(request))
        db_session.commit()
        flash(
            request,
            f"Permohonan {item.number} diperbarui"
            + (" dan kembali menjadi draf, siap dikirim ulang." if was_returned else "."),
        )
        return redirect(config, f"/permohonan/{item.id}")

    @post("/{request_id:int}/buka-kunci-cek-status", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def unlock_status_check(
        self, request: Request, request_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> Response[Any]:
        """The village clerk lifts the lock that wrong PINs put on this request's public status check."""
        user = request.scope["user"]
        item = service.get_request(db_session, user, request_id)
        if unlock_pin(db_session, item, actor=user, ip=client_ip(request)):
            flash(
                request, f"Cek status {item.number} dibuka kembali; warga dapat langsung mencoba lagi dengan PIN-nya."
            )
        else:
            flash(request, f"Cek status {item.number} tidak sedang terkunci.", "info")
        return redirect(config, f"/permohonan/{item.id}")

    @post("/{request_id:int}/status", guards=[require_role(Role.DINAS)], sync_to_thread=True)
    def change_status(
        self, request: Request, request_id: FromPath[int], data: FormData, db_session: DbSession, config: Settings
    ) -> Response[Any]:
        """Dukcapil moves an approved request on: processing, then completed (with the output's number) or
        rejected (with the reason)."""
        user = request.scope["user"]
        item = service.get_request(db_session, user, request_id)
        to = data.get("to", "")
        if to not in {s.value for s in Status}:
            raise ValidationException("Status tujuan tidak dikenal.")
        service.dinas_transition(
            db_session,
            item,
            Status(to),
            actor=user,
            note=data.get("note"),
            output_number=data.get("output_number"),
            ip=client_ip(request),
        )
        db_session.commit()
        flash(request, f"Permohonan {item.number}: {STATUS_LABELS[item.status]}.")
        return redirect(config, f"/permohonan/{item.id}")

    @post("/proses", guards=[require_role(Role.DINAS)])
    async def bulk_processing(self, request: Request, db_session: DbSession, config: Settings) -> Response[Any]:
        """Many approved requests into processing at once (Dukcapil's morning routine)."""
        form = await request.form()
        user = request.scope["user"]
        ids = ids_of(form.getall("request_id") if "request_id" in form else [], 1000)

        def work() -> int:
            moved = service.bulk_processing(db_session, ids, actor=user, ip=client_ip(request))
            db_session.commit()
            return moved

        moved = await to_thread.run_sync(work)
        flash(
            request,
            f"{moved} permohonan mulai diproses." if moved else "Tidak ada permohonan disetujui yang dipilih.",
            "success" if moved else "info",
        )
        return redirect(config, "/permohonan/?status=processing")

    def _editable(self, db_session: Session, request: Request, request_id: int) -> Any:
        item = service.get_request(db_session, request.scope["user"], request_id)
        if item.status not in service.EDITABLE:
            raise IllegalTransition(f"Permohonan {item.number} sudah dikirim dan tidak dapat diubah lagi.")
        return item
