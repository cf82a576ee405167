"""JSON API v1 for spreadsheet imports: template → upload (checked at once) → report → commit, with the
same rules as the import pages (clerks only, their own village)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.catalog.definitions import BY_CODE
from app.imports import service
from app.imports.controllers import UPLOAD_LIMIT, xlsx_response
from app.imports.models import Import, ImportStatus
from app.imports.reader import MAX_BYTES
from app.imports.spreadsheets import template, template_name
from app.web import DbSession, Settings, client_ip


class ImportRefused(HTTPException):
    status_code = 422


@dataclass
class CommitIn:
    create_batch: bool = False


def report_of(item: Import) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "file_name": item.file_name,
        "service": item.service_code,
        "rows": item.rows,
        "valid": item.valid,
        "invalid": item.invalid,
        "warnings": item.warnings,
        "errors": [{k: e[k] for k in ("row", "column", "message")} for e in item.errors if e["level"] == "error"],
        "warning_list": [
            {k: e[k] for k in ("row", "column", "message")} for e in item.errors if e["level"] == "warning"
        ],
        "created": item.created,
        "batch_id": item.batch_id,
    }


class ImportApiController(Controller):
    path = "/imports"
    guards = [require_role(Role.CLERK)]

    @get("/template.xlsx", sync_to_thread=False)
    def template_file(
        self, service_code: Annotated[str | None, QueryParameter(name="service")] = None
    ) -> Response[bytes]:
        """The XLSX template of one service (``?service=KTP_BARU``), or the mixed one without ``service``."""
        if service_code is not None and service_code not in BY_CODE:
            raise NotFoundException("Layanan tidak dikenal.")
        return xlsx_response(template(service_code), template_name(service_code))

    @post("/", status_code=HTTP_201_CREATED, request_max_body_size=UPLOAD_LIMIT)
    async def upload(
        self,
        request: Request,
        db_session: DbSession,
        config: Settings,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> dict[str, Any]:
        """Upload a spreadsheet (field ``file``: .xlsx, .xls, .ods or .csv; optional ``service`` for a CSV
        without a service column). Every row is checked; nothing is saved until ``commit``."""
        upload = data.get("file")
        content = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else None
        name = upload.filename if isinstance(upload, UploadFile) else ""
        user = request.scope["user"]

        def work() -> Import:
            if not content:
                raise ValidationException("Kirim berkas pada kolom 'file'.")
            return service.check_upload(
                db_session,
                user,
                name,
                content,
                today=datetime.now(config.tz).date(),
                service_code=str(data.get("service") or "") or None,
                ip=client_ip(request),
            )

        item = await anyio.to_thread.run_sync(work)
        if item.status == ImportStatus.REJECTED.value:
            raise ImportRefused(
                detail=item.problem or "Berkas ditolak.",
                extra={"errors": [{"field": "file", "message": item.problem}], "id": item.id},
            )
        return report_of(item)

    @get("/{import_id:int}", sync_to_thread=True)
    def report(self, request: Request, import_id: FromPath[int], db_session: DbSession) -> dict[str, Any]:
        return report_of(service.get_import(db_session, request.scope["user"], import_id))

    @post("/{import_id:int}/commit", status_code=HTTP_200_OK, sync_to_thread=True)
    def commit(
        self,
        request: Request,
        import_id: FromPath[int],
        db_session: DbSession,
        config: Settings,
        data: JSONBody[CommitIn],
    ) -> dict[str, Any]:
        """Save the valid rows as draft requests (``create_batch``: also one new batch). Only once per file."""
        user = request.scope["user"]
        item = service.get_import(db_session, user, import_id)
        created, batch = service.commit(
            db_session,
            user,
            item,
            create_batch=data.create_batch,
            today=datetime.now(config.tz).date(),
            ip=client_ip(request),
        )
        return {"created": created, "batch_id": batch.id if batch else None}
