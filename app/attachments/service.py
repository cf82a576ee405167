"""Rules for files: what may be uploaded, by whom, at which stage; downloads stay within scope."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import PermissionDeniedException, ValidationException
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.scope import get_in_scope
from app.attachments.models import Attachment, FileKind
from app.attachments.storage import EXTENSIONS, FileStore, sniff
from app.audit.service import record
from app.requests.models import Request, Status
from app.requests.status import IllegalTransition

MAX_SCAN = 5 * 1024 * 1024
MAX_OUTPUT = 10 * 1024 * 1024
MB = 1024 * 1024


def _check(data: bytes, *, limit: int, allowed: set[str]) -> str:
    if not data:
        raise ValidationException("Berkas kosong. Pilih berkas hasil pindaian.")
    if len(data) > limit:
        raise ValidationException(
            f"Berkas {len(data) / MB:.1f} MB melebihi batas {limit // MB} MB. "
            "Perkecil resolusi pindaian (150–200 dpi sudah cukup)."
        )
    media = sniff(data)
    if media not in allowed:
        kinds = " atau ".join(sorted({EXTENSIONS[m].upper() for m in allowed}))
        raise ValidationException(f"Isi berkas bukan {kinds}. Unggah hasil pindaian dalam format {kinds}.")
    return media  # type: ignore[return-value]


def add_scan(
    session: Session,
    store: FileStore,
    request: Request,
    data: bytes,
    label: str,
    *,
    actor: Any,
    requirements: list[str],
    ip: str | None = None,
) -> Attachment:
    """A clerk attaches a scan of one required document while the request is still theirs to change."""
    if actor.role != Role.CLERK:
        raise PermissionDeniedException("Hanya petugas desa yang mengunggah persyaratan.")
    if request.status not in (Status.DRAFT.value, Status.RETURNED.value):
        raise IllegalTransition(f"Permohonan {request.number} sudah dikirim; lampirannya tidak dapat diubah.")
    if label not in requirements:
        raise ValidationException("Pilih persyaratan yang dibuktikan oleh berkas ini.")
    media = _check(data, limit=MAX_SCAN, allowed={"application/pdf", "image/jpeg", "image/png"})
    return _save(session, store, request, data, media, FileKind.SCAN, label, actor=actor, ip=ip)


def add_output(
    session: Session, store: FileStore, request: Request, data: bytes, label: str, *, actor: Any, ip: str | None = None
) -> Attachment:
    """Dukcapil attaches an issued document (a PDF signed with TTE), kept byte for byte."""
    if actor.role != Role.DINAS:
        raise PermissionDeniedException("Hanya Dispendukcapil yang mengunggah dokumen hasil.")
    if request.status not in (Status.PROCESSING.value, Status.COMPLETED.value):
        raise IllegalTransition(f"Dokumen hasil diunggah saat permohonan {request.number} diproses atau selesai.")
    label = " ".join(label.split())[:300] or "Dokumen hasil"
    media = _check(data, limit=MAX_OUTPUT, allowed={"application/pdf"})
    return _save(session, store, request, data, media, FileKind.OUTPUT, label, actor=actor, ip=ip)


def _save(
    session: Session,
    store: FileStore,
    request: Request,
    data: bytes,
    media: str,
    kind: FileKind,
    label: str,
    *,
    actor: Any,
    ip: str | None,
) -> Attachment:
    digest = store.put(data)
    attachment = Attachment(
        request_id=request.id,
        village_code=request.village_code,
        kind=kind.value,  # type: ignore[arg-type]
        label=label,
        media_type=media,
        size=len(data),
        sha256=digest,
        uploaded_by=actor.id,
    )
    session.add(attachment)
    session.flush()
    record(
        session,
        actor=actor,
        action=f"attachment.{kind.value}",
        object_type="request",
        object_id=request.id,
        region_code=request.village_code,
        changes={"attachment": attachment.id, "sha256": digest},
        ip=ip,
    )
    return attachment


def files_of(session: Session, request_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.request_id == request_id).order_by(Attachment.kind, Attachment.id)
        )
    )


def get_attachment(session: Session, user: Any, attachment_id: int) -> Attachment:
    return get_in_scope(session, Attachment, attachment_id, user, "village_code")


def remove_scan(session: Session, attachment: Attachment, *, actor: Any, ip: str | None = None) -> None:
    request = session.get(Request, attachment.request_id)
    if attachment.kind != FileKind.SCAN or actor.role != Role.CLERK:
        raise PermissionDeniedException("Berkas ini tidak dapat dihapus.")
    if request is None or request.status not in (Status.DRAFT.value, Status.RETURNED.value):
        raise IllegalTransition("Permohonan sudah dikirim; lampirannya tidak dapat diubah.")
    session.delete(attachment)  # the bytes stay until retention cleanup: another record may share them
    record(
        session,
        actor=actor,
        action="attachment.remove",
        object_type="request",
        object_id=request.id,
        region_code=request.village_code,
        changes={"attachment": attachment.id},
        ip=ip,
    )


def download_name(request: Request, attachment: Attachment, index: int) -> str:
    """Built from the public number, never from a name or a NIK."""
    kind = "dokumen" if attachment.kind == FileKind.OUTPUT else "lampiran"
    return f"{request.number}-{kind}-{index}.{EXTENSIONS[attachment.media_type]}"
