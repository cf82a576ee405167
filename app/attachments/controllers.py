"""Uploading scans and issued documents, and downloading them within scope."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import FromPath
from sqlmodel import Session

from app.attachments import service
from app.attachments.models import Attachment, FileKind
from app.attachments.storage import FileStore
from app.audit.service import record
from app.catalog.service import get_service
from app.config import PortalConfig
from app.requests.service import get_request
from app.web import DbSession, Settings, client_ip, flash, redirect

UPLOAD_LIMIT = 12 * 1024 * 1024  # the largest file plus the form around it
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def file_store(config: PortalConfig) -> FileStore:
    return FileStore(config.data_dir / "files")


async def _read_upload(request: Request) -> tuple[bytes | None, dict[str, str]]:
    """The uploaded bytes (None when no file came) and the other fields. Checked after the scope."""
    form = await request.form()
    upload = form.get("file")
    data = await upload.read(service.MAX_OUTPUT + 1) if isinstance(upload, UploadFile) else None
    return data, {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}


def _require(data: bytes | None) -> bytes:
    if data is None:
        raise ValidationException("Pilih berkas yang akan diunggah.")
    return data


async def _store_upload(
    request: Request, request_id: int, db_session: Session, config: PortalConfig, kind: FileKind
) -> Attachment:
    """Read the upload, then (in a worker thread) check the scope first and store the file by its kind."""
    data, fields = await _read_upload(request)
    user = request.scope["user"]

    def work() -> Attachment:
        item = get_request(db_session, user, request_id)
        store, label, ip = file_store(config), fields.get("label", ""), client_ip(request)
        if kind == FileKind.SCAN:
            svc = get_service(db_session, item.village_code, item.service_code, only_active=False)
            attachment = service.add_scan(
                db_session,
                store,
                item,
                _require(data),
                label,
                actor=user,
                requirements=svc.requirements if svc else [],
                ip=ip,
            )
        else:
            attachment = service.add_output(db_session, store, item, _require(data), label, actor=user, ip=ip)
        db_session.commit()
        return attachment

    return await to_thread.run_sync(work)


@post("/permohonan/{request_id:int}/lampiran", request_max_body_size=UPLOAD_LIMIT)
async def upload_scan(
    request: Request, request_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[Any]:
    attachment = await _store_upload(request, request_id, db_session, config, FileKind.SCAN)
    flash(request, f"Lampiran “{attachment.label}” tersimpan ({attachment.size // 1024} KB).")
    return redirect(config, f"/permohonan/{request_id}#berkas")


@post("/permohonan/{request_id:int}/dokumen", request_max_body_size=UPLOAD_LIMIT)
async def upload_output(
    request: Request, request_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[Any]:
    attachment = await _store_upload(request, request_id, db_session, config, FileKind.OUTPUT)
    flash(request, f"Dokumen hasil tersimpan apa adanya (SHA-256 {attachment.sha256[:16]}…).")
    return redirect(config, f"/permohonan/{request_id}#berkas")


@get("/lampiran/{attachment_id:int}", sync_to_thread=True)
def download(
    request: Request, attachment_id: FromPath[int], db_session: DbSession, config: Settings
) -> Response[bytes]:
    user = request.scope["user"]
    attachment = service.get_attachment(db_session, user, attachment_id)
    item = get_request(db_session, user, attachment.request_id)
    siblings = [a.id for a in service.files_of(db_session, item.id) if a.kind == attachment.kind]
    name = service.download_name(item, attachment, siblings.index(attachment.id) + 1)
    record(
        db_session,
        actor=user,
        action="attachment.download",
        object_type="request",
        object_id=item.id,
        region_code=item.village_code,
        changes={"attachment": attachment.id},
        ip=client_ip(request),
    )
    db_session.commit()
    return Response(
        file_store(config).get(attachment.sha256),
        media_type=attachment.media_type,
        headers={
            # Uploaded bytes are never shown by the browser itself: saved as a file, not sniffed, and sandboxed
            # (no script, no same-origin access) should anything still open them in a tab.
            "content-disposition": f'attachment; filename="{name}"',
            "x-content-type-options": "nosniff",
            "content-security-policy": DOWNLOAD_CSP,
            "cache-control": "private, no-store",
            "x-content-sha256": attachment.sha256,
        },
    )


@post("/lampiran/{attachment_id:int}/hapus", sync_to_thread=True)
def remove(request: Request, attachment_id: FromPath[int], db_session: DbSession, config: Settings) -> Response[Any]:
    user = request.scope["user"]
    attachment = service.get_attachment(db_session, user, attachment_id)
    service.remove_scan(db_session, attachment, actor=user, ip=client_ip(request))
    db_session.commit()
    flash(request, "Lampiran dihapus.")
    return redirect(config, f"/permohonan/{attachment.request_id}#berkas")
