"""Rules for files: what may be uploaded, by whom, at which stage; downloads stay within scope."""

from __future__ import annotations

import io
import re
from typing import Any

import pikepdf
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


# Markup a browser would run if it ever took the file for a web page (a `%PDF-` + HTML polyglot). Browsers sniff
# a file's start, so the start is searched for every tag; the rest of a PDF only for tags of five letters or more:
# in compressed image data a short tag like `<svg` turns up by chance (about once in 50 scans of 10 MB), a
# five-letter one about once in 3,000.
MARKUP_AT_START = re.compile(
    rb"<\s*(?:html|script|body|iframe|svg|object|embed|meta|!doctype)\b|javascript:", re.IGNORECASE
)
MARKUP_ANYWHERE = re.compile(rb"<\s*(?:html|script|body|iframe|object|embed|!doctype)\b|javascript:", re.IGNORECASE)
SNIFFED_BYTES = 4096
ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA"}
"""Dictionary keys that carry scripts, automatic actions, attached files, Flash/3D media or XML forms."""
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute", "/Rendition"}
ACTIVE_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}
ACTIVE_LABELS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "tindakan otomatis",
    "/Launch": "perintah menjalankan program",
    "/SubmitForm": "pengiriman formulir",
    "/ImportData": "pengiriman formulir",
    "/XFA": "formulir XFA",
}
ACTIVE_CONTENT = (
    "Berkas PDF ini berisi konten aktif ({what}), bukan hasil pindaian biasa. Cetak atau pindai ulang dokumennya "
    "lalu unggah PDF atau gambar hasil pindaian."
)


def _active_in(obj: Any, seen: set[tuple[int, int]], depth: int = 0) -> str | None:
    """The first active part found in ``obj`` and the objects it reaches (each indirect object looked at once)."""
    if depth > 60:
        return "struktur bersarang terlalu dalam"
    if obj.is_indirect:
        if obj.objgen in seen:
            return None
        seen.add(obj.objgen)
    if isinstance(obj, pikepdf.Array):
        items = list(obj)
    elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        keys = set(obj.keys())
        if hit := keys & ACTIVE_KEYS:
            return min(hit)
        if str(obj.get("/S", "")) in ACTIVE_ACTIONS:
            return str(obj.get("/S"))
        if str(obj.get("/Subtype", "")) in ACTIVE_SUBTYPES:
            return str(obj.get("/Subtype"))
        items = [obj[key] for key in keys]
    else:
        return None
    for item in items:
        if isinstance(item, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream) and (
            found := _active_in(item, seen, depth + 1)
        ):
            return found
    return None


def check_scan_content(data: bytes, media: str) -> None:
    """Refuse what a scan never needs: a PDF that is not a readable PDF, one with scripts, automatic actions,
    attached files or media, and any file carrying web-page markup (a polyglot). Raises ``ValidationException``."""
    if MARKUP_AT_START.search(data, 0, SNIFFED_BYTES) or (media == "application/pdf" and MARKUP_ANYWHERE.search(data)):
        raise ValidationException(
            "Berkas ini berisi kode halaman web (HTML/skrip), bukan hasil pindaian biasa. Unggah hasil pindaian asli."
        )
    if media != "application/pdf":
        return
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            seen: set[tuple[int, int]] = set()
            found = _active_in(pdf.trailer, seen)
            for obj in pdf.objects:  # also what the trailer does not reach (an incremental update's leftovers)
                if found:
                    break
                if isinstance(obj, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream):
                    found = _active_in(obj, seen)
    except pikepdf.PasswordError as exc:
        raise ValidationException("Berkas PDF dilindungi kata sandi. Unggah hasil pindaian tanpa kata sandi.") from exc
    except (pikepdf.PdfError, RuntimeError, ValueError) as exc:  # qpdf could not make a PDF of it
        raise ValidationException(
            "Berkas PDF rusak atau tidak dapat dibaca sebagai PDF. Pindai ulang lalu simpan sebagai PDF."
        ) from exc
    if found:
        what = ACTIVE_LABELS.get(found, "berkas sisipan atau media" if found.startswith("/") else found)
        raise ValidationException(ACTIVE_CONTENT.format(what=what))


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
    check_scan_content(data, media)
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
