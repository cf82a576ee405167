"""Import pages: templates to download, the upload with its progress, the preview, the error report and
the commit. Clerks only; an import of another village answers 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from anyio import to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.catalog import service as catalog
from app.catalog.definitions import BY_CODE
from app.config import PortalConfig
from app.imports import service
from app.imports.models import IMPORT_STATUS_LABELS
from app.imports.reader import MAX_BYTES, MAX_ROWS
from app.imports.spreadsheets import error_report, template, template_name
from app.requests.validation import mask_number
from app.web import DbSession, FormData, Pages, Settings, client_ip, flash, redirect

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024


def _today(config: PortalConfig):
    return datetime.now(config.tz).date()


def xlsx_response(body: bytes, name: str) -> Response[bytes]:
    return Response(
        body,
        media_type=XLSX,
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "private, no-store"},
    )


class ImportController(Controller):
    path = "/impor"
    guards = [require_role(Role.CLERK)]

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        return renderer.page(request, "imports/index.html", self._index_context(db_session, user))

    def _index_context(self, db_session: Any, user: Any, **extra: Any) -> dict[str, Any]:
        return {
            "services": catalog.services_for(db_session, user.region_code),
            "imports": service.imports_of(db_session, user),
            "labels": IMPORT_STATUS_LABELS,
            "max_rows": MAX_ROWS,
            "max_mb": MAX_BYTES // 1024 // 1024,
            "chosen": "",
            "error": None,
            **extra,
        }

    @get("/templat.xlsx", sync_to_thread=False)
    def template_file(self, code: Annotated[str | None, QueryParameter(name="layanan")] = None) -> Response[bytes]:
        code = code or None
        if code is not None and code not in BY_CODE:
            raise NotFoundException("Templat layanan ini tidak ada.")
        return xlsx_response(template(code), template_name(code))

    @post("/", request_max_body_size=UPLOAD_LIMIT)
    async def upload(self, request: Request, db_session: DbSession, renderer: Pages, config: Settings) -> Response[Any]:
        user = request.scope["user"]
        form = await request.form()
        upload = form.get("file")
        chosen = str(form.get("service") or "")
        data = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else None
        name = upload.filename if isinstance(upload, UploadFile) else ""

        def work() -> Any:
            if data is None or not (data or name):  # no file chosen (an empty file is checked and refused)
                context = self._index_context(db_session, user, chosen=chosen, error="Pilih berkas yang akan diunggah.")
                return renderer.page(request, "imports/index.html", context, status_code=400)
            item = service.check_upload(
                db_session,
                user,
                name,
                data,
                today=_today(config),
                service_code=chosen or None,
                ip=client_ip(request),
            )
            return redirect(config, f"/impor/{item.id}")

        return await to_thread.run_sync(work)

    @get("/{import_id:int}", sync_to_thread=True)
    def show(self, request: Request, import_id: FromPath[int], db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        item = service.get_import(db_session, user, import_id)
        errors = [e for e in item.errors if e["level"] == "error"]
        warnings = [e for e in item.errors if e["level"] == "warning"]
        return renderer.page(
            request,
            "imports/detail.html",
            {
                "item": item,
                "labels": IMPORT_STATUS_LABELS,
                "errors": errors[:500],
                "warnings": warnings[:500],
                "error_count": len(errors),
                "warning_count": len(warnings),
                "earlier": service.earlier_commit(db_session, item),
                "service_name": BY_CODE[item.service_code].name if item.service_code else None,
                "preview": [
                    {
                        "row": g["row"],
                        "name": g["values"]["name"],
                        "nik": mask_number(g["values"]["nik"]),
                        "service": BY_CODE[g["service"]].name,
                        "birth_date": date.fromisoformat(g["values"]["birth_date"]),
                    }
                    for g in item.good_rows[:100]
                ],
            },
        )

    @get("/{import_id:int}/kesalahan.xlsx", sync_to_thread=True)
    def report(self, request: Request, import_id: FromPath[int], db_session: DbSession) -> Response[bytes]:
        item = service.get_import(db_session, request.scope["user"], import_id)
        body = error_report(item.header, item.bad_rows, item.errors)
        return xlsx_response(body, f"kesalahan-impor-{item.id}.xlsx")

    @post("/{import_id:int}/simpan", sync_to_thread=True)
    def commit(
        self, request: Request, import_id: FromPath[int], db_session: DbSession, config: Settings, data: FormData
    ) -> Response[Any]:
        user = request.scope["user"]
        item = service.get_import(db_session, user, import_id)
        create_batch = data.get("create_batch") == "1"
        created, batch = service.commit(
            db_session, user, item, create_batch=create_batch, today=_today(config), ip=client_ip(request)
        )
        if batch is not None:
            flash(request, f"{created} permohonan tersimpan sebagai draf dan dimasukkan ke kiriman {batch.number}.")
            return redirect(config, f"/kiriman/{batch.id}")
        flash(request, f"{created} permohonan tersimpan sebagai draf.")
        return redirect(config, "/permohonan/?status=draft")
