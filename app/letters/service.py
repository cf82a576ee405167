"""Rules for letters: which letter each stage calls for, the data it prints, its number (a gap-free sequence
per issuing office, kind and year), issuing it once and immutably, new versions when the data changes,
and verification by token."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
import string
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT
from PIL import Image, ImageOps
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.scope import get_in_scope, scope_filter
from app.attachments.models import Attachment, FileKind
from app.attachments.storage import FileStore
from app.audit.service import record
from app.batches.models import Batch, BatchItem, BatchStatus
from app.batches.service import items_of
from app.catalog import service as catalog
from app.catalog.definitions import BY_CODE
from app.config import PortalConfig
from app.db import utcnow
from app.letters.models import (
    CLASSIFICATION,
    DEFAULT_NUMBER_FORMAT,
    KIND_CODES,
    KIND_LABELS,
    Letter,
    LetterKind,
    LetterSettings,
    LetterStatus,
)
from app.letters.render import collect_garbage, qr_data_uri, renderer, roman
from app.letters.signing import certificate_for, load_signer, sign
from app.regions.models import LEVEL_DISTRICT, LEVEL_REGENCY, Region
from app.regions.service import region_path
from app.requests.models import Request, Status
from app.requests.status import IllegalTransition
from app.requests.validation import mask_name, mask_number
from app.sequences import next_value

SIGN_AS = ("a.n.", "Plt.", "Plh.")
DECISION_LABELS = {"approved": "Disetujui", "rejected": "Ditolak", "returned": "Dikembalikan untuk perbaikan"}


class LetterNotDue(Exception):
    """The request or batch is not at a stage that calls for this letter."""


@dataclass(frozen=True)
class Office:
    code: str
    kop_lines: tuple[str, ...]
    kop_office: str
    office_name: str
    name_line: str
    address_line: str
    place: str


PLACEHOLDERS = ("klasifikasi", "nomor", "jenis", "kantor", "bulan", "tahun")
REQUIRED_PLACEHOLDERS = ("nomor", "jenis", "kantor", "tahun")
LOGO_LIMIT = 512 * 1024
NUMBER_LENGTH = 80
"""The longest letter number the letters table keeps."""
LONGEST_SAMPLE = {
    "klasifikasi": "999.999.999.999",
    "nomor": "99999",
    "jenis": max(KIND_CODES.values(), key=len),
    "kantor": "35.16.11.2017",
    "bulan": "VIII",
    "tahun": 2026,
}
"""The longest value each placeholder takes: a format is tried with these before it is saved or used."""


class NumberFormatBroken(ClientException):
    """The regency's stored number format cannot make a number: no letter is issued and no number is taken."""

    status_code = HTTP_409_CONFLICT


@lru_cache(maxsize=64)
def number_format_problem(fmt: str) -> str | None:
    """Why a letter number format cannot be used, in Indonesian (None when it can): every placeholder must be
    one of ``PLACEHOLDERS`` written plainly, the braces must pair up, the required ones must be there, and
    a number made with the longest values must fit. The one check for saving a format and for issuing."""
    if not fmt or len(fmt) > 120:
        return "Isi format nomor surat (paling banyak 120 karakter)."
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(fmt) if name is not None]
    except ValueError:
        return (
            "Kurung kurawal tidak berpasangan: setiap bagian ditulis utuh seperti {nomor}, "
            "tanpa { atau } yang berdiri sendiri."
        )
    unknown = []
    for name, spec, conv in fields:
        if name == "" or name.isdigit():
            return "Bagian tanpa nama seperti {} atau {0} tidak dapat dipakai; tulis nama bagiannya, mis. {nomor}."
        if spec or conv or name not in PLACEHOLDERS:  # {nomor:>99}, {nomor!r}, {nomor.real}, {bulan[0]}
            unknown.append("{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}")
    if unknown:
        return "Bagian tidak dikenal: " + ", ".join(dict.fromkeys(unknown)) + "."
    names = {name for name, _, _ in fields}
    missing = [n for n in REQUIRED_PLACEHOLDERS if n not in names]
    if missing:
        return (
            "Format harus memuat "
            + ", ".join("{" + n + "}" for n in missing)
            + " agar tidak ada dua surat bernomor sama."
        )
    try:
        sample = fmt.format(**LONGEST_SAMPLE)
    except (ValueError, KeyError, IndexError, AttributeError):
        return "Format nomor surat tidak dapat dipakai; tulis bagian-bagiannya seperti {nomor}."
    if len(sample) > NUMBER_LENGTH:
        return f"Nomor yang dihasilkan terlalu panjang ({len(sample)} karakter, paling banyak {NUMBER_LENGTH})."
    return None


def check_number_format(settings: LetterSettings) -> str:
    """The regency's number format, or ``NumberFormatBroken`` (409) when the stored one cannot be used."""
    fmt = settings.number_format or DEFAULT_NUMBER_FORMAT
    problem = number_format_problem(fmt)
    if problem:
        raise NumberFormatBroken(
            f"Format nomor surat tidak sah: {problem} Admin kabupaten perlu memperbaikinya di /admin/surat/; "
            "belum ada surat yang dibuat dan tidak ada nomor yang terpakai."
        )
    return fmt


def check_settings(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The admin's letter settings as typed, cleaned; errors in Indonesian by field."""
    values = {
        "number_format": "".join(form.get("number_format", "").split()),
        "classification": "".join(form.get("classification", "").split()),
        "paper": form.get("paper", "A4"),
    }
    errors: dict[str, str] = {}
    if problem := number_format_problem(values["number_format"]):
        errors["number_format"] = problem
    if not re.fullmatch(r"\d{3}(\.\d{1,3}){0,3}", values["classification"]):
        errors["classification"] = "Kode klasifikasi arsip ditulis seperti 400.12 (Permendagri 83/2022)."
    if values["paper"] not in ("A4", "F4"):
        errors["paper"] = "Pilih ukuran kertas A4 atau F4."
    return values, errors


LOGO_PIXELS = 320
"""The emblem's longest side once stored: 22mm on paper at about 370 dpi."""
LOGO_MAX_SIDE = 4000
"""The largest emblem accepted, read from the file's header before anything is decoded (4000 × 4000 is 16
megapixels, a quarter of a second to decode; a 12000 × 12000 PNG of a few KB took 6.7 s of CPU)."""


class LogoRefused(ValueError):
    """The uploaded emblem is not a readable PNG or JPG image."""


def normalized_logo(data: bytes) -> bytes:
    """The emblem as every letter embeds it: at most ``LOGO_PIXELS`` on its longest side, flattened onto white
    paper (no transparency mask), as PNG. WeasyPrint re-encodes an image for every PDF it writes, so a
    half-megabyte upload cost about 90 ms per letter and 500 copies of itself in a batch's merged PDF."""
    try:
        with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:  # lazy: reads the header only
            width, height = image.size
            if max(width, height) > LOGO_MAX_SIDE:
                raise LogoRefused(_too_large(width, height))
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((LOGO_PIXELS, LOGO_PIXELS), Image.Resampling.LANCZOS)
            rgba = image.convert("RGBA")
    except LogoRefused:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours: the header said so
        raise LogoRefused(_too_large(LOGO_MAX_SIDE + 1, LOGO_MAX_SIDE + 1)) from exc
    except (OSError, ValueError) as exc:
        raise LogoRefused("Lambang daerah tidak dapat dibaca sebagai gambar PNG atau JPG.") from exc
    paper = Image.new("RGB", rgba.size, "white")
    paper.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    paper.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _too_large(width: int, height: int) -> str:
    size = f"{width} × {height} piksel" if max(width, height) <= 10 * LOGO_MAX_SIDE else "lebih dari 40.000 piksel"
    return (
        f"Gambar lambang daerah terlalu besar ({size}). Paling besar {LOGO_MAX_SIDE} × {LOGO_MAX_SIDE} piksel; "
        f"lambang dicetak {LOGO_PIXELS} piksel, jadi perkecil dulu gambarnya."
    )


def save_settings(
    session: Session,
    store: FileStore,
    regency_code: str,
    values: dict[str, str],
    *,
    logo: bytes | None,
    remove_logo: bool,
    actor: Any,
    ip: str | None,
) -> LetterSettings:
    """Raises ``LogoRefused`` when the uploaded emblem cannot be read and ``StorageUnavailable`` when it cannot
    be stored; nothing is changed then."""
    emblem = store.put(normalized_logo(logo)) if logo else None  # stored first: a failure leaves no row changed
    settings = settings_for(session, regency_code)
    changes = {k: [getattr(settings, k), v] for k, v in values.items() if getattr(settings, k) != v}
    for key, value in values.items():
        setattr(settings, key, value)
    if emblem:
        settings.logo_sha256 = emblem
        changes["logo"] = [None, settings.logo_sha256]
    elif remove_logo and settings.logo_sha256:
        changes["logo"] = [settings.logo_sha256, None]
        settings.logo_sha256 = None
    settings.updated_at = utcnow()
    session.add(settings)
    record(
        session,
        actor=actor,
        action="letters.settings.update",
        object_type="region",
        object_id=regency_code,
        region_code=regency_code,
        changes=changes,
        ip=ip,
    )
    session.commit()
    return settings


def logo_uri(store: FileStore, settings: LetterSettings) -> str | None:
    """The emblem for the letters of one issuing call (an emblem stored before uploads were normalized is
    normalized here)."""
    if not settings.logo_sha256:
        return None
    data = store.get(settings.logo_sha256)
    with Image.open(io.BytesIO(data)) as image:
        ready = image.format == "PNG" and image.mode == "RGB" and max(image.size) <= LOGO_PIXELS
    if not ready:
        data = normalized_logo(data)
    return "data:image/png;base64," + base64.b64encode(data).decode()


def settings_for(session: Session, region_code: str) -> LetterSettings:
    regency = ".".join(region_code.split(".")[:2])
    return session.get(LetterSettings, regency) or LetterSettings(regency_code=regency)


def _office(path: list[Region]) -> Office:
    """The kop surat of the last region in ``path`` (a village or a district)."""
    by_level = {r.level: r for r in path}
    regency, office = by_level[LEVEL_REGENCY], path[-1]
    kind = "Kabupaten" if regency.kind == "kabupaten" else "Kota"
    lines = [f"Pemerintah {kind} {regency.name.removeprefix('Kabupaten ').removeprefix('Kota ')}"]
    if office.level > LEVEL_DISTRICT:
        lines.append(f"Kecamatan {by_level[LEVEL_DISTRICT].name}")
        office_name = f"{office.kind.capitalize()} {office.name}"
        kop_office = f"{'Pemerintah Desa' if office.kind == 'desa' else 'Kelurahan'} {office.name}"
    else:
        office_name = f"Kecamatan {office.name}"
        kop_office = office_name
    address = office.office_address or f"{office_name}, {regency.name}"
    if office.phone:
        address += f" · Telepon {office.phone}"
    if office.postal_code:
        address += f" · Kode Pos {office.postal_code}"
    return Office(
        code=office.code,
        kop_lines=tuple(lines),
        kop_office=kop_office,
        office_name=office_name,
        name_line=f"{office_name}, {regency.name}",
        address_line=address,
        place=office.name,
    )


def _signer(office: Region) -> dict[str, str | None]:
    """The signature block: the head, or someone signing on their behalf (a.n.) or acting (Plt./Plh.)."""
    default_title = (
        f"Kepala {office.kind.capitalize()} {office.name}" if office.level > LEVEL_DISTRICT else f"Camat {office.name}"
    )
    head_title = office.head_title or default_title
    if office.sign_as in SIGN_AS and office.signer_name:
        title = office.signer_title or head_title
        if office.sign_as == "a.n.":
            return {
                "sign_as": "a.n.",
                "head_title": head_title,
                "title": title,
                "name": office.signer_name,
                "nip": office.signer_nip,
            }
        return {
            "sign_as": office.sign_as,
            "head_title": head_title,
            "title": "",
            "name": office.signer_name,
            "nip": office.signer_nip,
        }
    return {
        "sign_as": None,
        "head_title": head_title,
        "title": head_title,
        "name": office.head_name or "(nama penanda tangan belum diisi)",
        "nip": office.head_nip,
    }


def format_number(settings: LetterSettings, kind: LetterKind, *, sequence: int, office_code: str, on: date) -> str:
    """The letter's number by the regency's format (``NumberFormatBroken`` when the stored one cannot be used)."""
    return check_number_format(settings).format(
        klasifikasi=settings.classification or CLASSIFICATION,
        nomor=f"{sequence:03d}",
        jenis=KIND_CODES[kind],
        kantor=office_code,
        bulan=roman(on.month),
        tahun=on.year,
    )


class Lookups:
    """What many letters share, read once per call: region paths, letter settings, services; and, for a
    batch's letters, every request's received scans and every subject's valid letters in one query each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._paths: dict[str, list[Region]] = {}
        self._settings: dict[str, LetterSettings] = {}
        self._services: dict[tuple[str, str], Any] = {}
        self._received: dict[int, list[str]] | None = None
        self._received_for: set[int] = set()
        self._current: dict[tuple[str, str], Letter] | None = None

    def preload_batch(self, batch: Batch) -> None:
        """Read the scans received for every request of ``batch`` and the valid letters of the batch and its
        requests, one query each."""
        in_batch = select(BatchItem.request_id).where(BatchItem.batch_id == batch.id)
        received: dict[int, set[str]] = {}
        for request_id, label in self.session.exec(
            select(Attachment.request_id, Attachment.label).where(
                Attachment.request_id.in_(in_batch),
                Attachment.kind == FileKind.SCAN.value,  # type: ignore[union-attr]
            )
        ):
            received.setdefault(request_id, set()).add(label)  # type: ignore[arg-type]
        self._received = {i: sorted(labels) for i, labels in received.items()}
        self._received_for = set(self.session.exec(in_batch))
        letters = select(Letter).where(
            or_(Letter.batch_id == batch.id, Letter.request_id.in_(in_batch)),  # type: ignore[union-attr]
            Letter.status == LetterStatus.VALID.value,
        )
        self._current = {(letter.kind, letter.subject_key): letter for letter in self.session.exec(letters)}

    def path(self, code: str) -> list[Region]:
        if code not in self._paths:
            self._paths[code] = region_path(self.session, code)
        return self._paths[code]

    def settings(self, region_code: str) -> LetterSettings:
        regency = ".".join(region_code.split(".")[:2])
        if regency not in self._settings:
            self._settings[regency] = settings_for(self.session, regency)
        return self._settings[regency]

    def service(self, village_code: str, code: str) -> Any:
        key = (".".join(village_code.split(".")[:2]), code)
        if key not in self._services:
            self._services[key] = catalog.get_service(self.session, village_code, code, only_active=False)
        return self._services[key]

    def received(self, request: Request) -> list[str]:
        if self._received is not None and request.id in self._received_for:
            return self._received.get(request.id, [])  # type: ignore[arg-type]
        labels = self.session.exec(
            select(Attachment.label).where(Attachment.request_id == request.id, Attachment.kind == FileKind.SCAN.value)
        )
        return sorted(set(labels))

    def current(self, kind: LetterKind, subject_key: str) -> Letter | None:
        if self._current is not None:  # preloaded for a batch and its requests
            return self._current.get((kind.value, subject_key))
        return self.session.exec(
            select(Letter).where(
                Letter.kind == kind.value, Letter.subject_key == subject_key, Letter.status == LetterStatus.VALID.value
            )
        ).first()


def _request_context(lookups: Lookups, item: Request, kind: LetterKind) -> dict[str, Any]:
    definition = BY_CODE[item.service_code]
    service = lookups.service(item.village_code, item.service_code)
    received = lookups.received(item)
    context: dict[str, Any] = {
        "request": {
            "number": item.number,
            "name": item.name,
            "status_pin": item.status_pin,
            "output_number": item.output_number,
        },
        "nik_masked": mask_number(item.nik),
        "service_name": service.name if service else definition.name,
        "output": service.output if service else definition.output,
        "received": received,
    }
    if kind == LetterKind.COMPLETION:
        context["completed_on"] = item.status_changed_at.date().isoformat()
        context["collection"] = (
            "Dokumen diambil di kantor desa/kelurahan dengan membawa tanda terima permohonan ini. Dokumen yang "
            "ditandatangani secara elektronik (TTE) dicetak petugas desa dari aplikasi di kertas HVS A4 dan sah "
            "tanpa cap basah."
        )
    return context


def _batch_context(session: Session, batch: Batch, kind: LetterKind) -> dict[str, Any]:
    names = {code: d.name for code, d in BY_CODE.items()}
    rows = items_of(session, batch.id)
    if kind == LetterKind.COVER:
        items = [
            {"number": r.number, "name": r.name, "nik": mask_number(r.nik), "service": names[r.service_code]}
            for _, r in rows
        ]
        counts = sorted(Tally(i["service"] for i in items).items())
        return {"batch": {"number": batch.number}, "items": items, "counts": counts}
    sections: dict[str, list[dict[str, Any]]] = {"approved": [], "rejected": [], "returned": []}
    for entry, r in rows:
        if entry.decision in sections:
            sections[entry.decision].append(
                {
                    "number": r.number,
                    "name": r.name,
                    "service": names[r.service_code],
                    "reason": None if entry.decision == "approved" else (entry.reason or ""),
                }
            )
    return {
        "batch": {"number": batch.number},
        "approved": sections["approved"],
        "rejected": sections["rejected"],
        "returned": sections["returned"],
        "sections": [
            ("Disetujui dan diteruskan ke Dinas", sections["approved"]),
            ("Ditolak", sections["rejected"]),
            ("Dikembalikan untuk perbaikan", sections["returned"]),
        ],
    }


def due_kinds_for_request(item: Request) -> list[LetterKind]:
    kinds = [LetterKind.RECEIPT]
    if item.status == Status.COMPLETED.value and item.output_number:
        kinds.append(LetterKind.COMPLETION)
    return kinds


def due_kinds_for_batch(batch: Batch) -> list[LetterKind]:
    kinds = []
    if batch.status in (BatchStatus.SUBMITTED.value, BatchStatus.REVIEWED.value):
        kinds.append(LetterKind.COVER)
    if batch.status == BatchStatus.REVIEWED.value:
        kinds.append(LetterKind.REVIEW)
    return kinds


def _content_hash(kind: LetterKind, context: dict[str, Any], office: Office, signer: dict[str, Any]) -> str:
    payload = json.dumps([kind.value, context, office.__dict__, signer], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def letters_of(session: Session, subject_key: str) -> list[Letter]:
    return list(session.exec(select(Letter).where(Letter.subject_key == subject_key).order_by(Letter.kind, Letter.id)))


@dataclass
class Prepared:
    """Everything a letter prints except its number, date and token; ``current`` is the valid letter of the
    same kind for the same subject, if any."""

    kind: LetterKind
    subject_key: str
    subject_number: str
    request_id: int | None
    batch_id: int | None
    village_code: str
    office_code: str
    data: dict[str, Any]
    office: Office
    signer: dict[str, Any]
    holder: str
    settings: LetterSettings
    content_hash: str
    current: Letter | None

    @property
    def up_to_date(self) -> bool:
        return self.current is not None and self.current.content_hash == self.content_hash


def prepare(
    session: Session,
    kind: LetterKind,
    *,
    request: Request | None = None,
    batch: Batch | None = None,
    lookups: Lookups | None = None,
) -> Prepared:
    """The data of the letter of ``kind`` for a request or a batch, at its current stage."""
    lookups = lookups or Lookups(session)
    if request is not None:
        if kind not in due_kinds_for_request(request):
            raise LetterNotDue(f"{KIND_LABELS[kind]} belum dapat dibuat pada tahap ini.")
        subject_key, village_code, office_code = f"request:{request.id}", request.village_code, request.village_code
        data = _request_context(lookups, request, kind)
        holder = mask_name(request.name)
    elif batch is not None:
        if kind not in due_kinds_for_batch(batch):
            raise LetterNotDue(f"{KIND_LABELS[kind]} belum dapat dibuat pada tahap ini.")
        subject_key, village_code = f"batch:{batch.id}", batch.village_code
        office_code = village_code.rsplit(".", 1)[0] if kind == LetterKind.REVIEW else village_code
        data = _batch_context(session, batch, kind)
        holder = f"Kiriman {batch.number}"
    else:  # pragma: no cover - a programming error
        raise ValueError("a letter needs a request or a batch")
    path = lookups.path(office_code)
    office = _office(path)
    signer = _signer(path[-1])
    village_path = lookups.path(village_code)
    data.update(
        regency_name=next(r.name for r in path if r.level == LEVEL_REGENCY),
        district_name=next(r.name for r in village_path if r.level == LEVEL_DISTRICT),
        village_office=_office(village_path).office_name,
    )
    settings = lookups.settings(office_code)
    content_hash = _content_hash(
        kind, {**data, "_logo": settings.logo_sha256, "_paper": settings.paper}, office, signer
    )
    current = lookups.current(kind, subject_key)
    return Prepared(
        kind=kind,
        subject_key=subject_key,
        subject_number=request.number if request is not None else batch.number,  # type: ignore[union-attr]
        request_id=request.id if request is not None else None,
        batch_id=batch.id if batch is not None else None,
        village_code=village_code,
        office_code=office_code,
        data=data,
        office=office,
        signer=signer,
        holder=holder[:120],
        settings=settings,
        content_hash=content_hash,
        current=current,
    )


@dataclass(frozen=True)
class LetterWork:
    """One letter to render, sign (when its office has a certificate) and store: what a rendering process needs."""

    kind: str
    context: dict[str, Any]
    paper: str
    files: str
    """The file store's folder."""
    certificate: tuple[str, str] | None = None
    """The office's PKCS#12 file and passphrase file."""
    reason: str = ""
    location: str = ""

    @property
    def weight(self) -> int:
        """Rows in the letter's lists: long letters are started first, so no core waits for them at the end."""
        return len(self.context.get("items", ())) + len(self.context.get("approved", ()))


def produce(work: LetterWork) -> tuple[str, int]:
    """Render, sign and store one letter in this process; its SHA-256 and size (module-level for process pools).
    The bytes are stored before the letter's row is committed: when the transaction fails instead, the file is
    an orphan that ``purge-scans`` removes a day later."""
    context = work.context
    if "qr" not in context:  # drawn here, in the rendering process, not by the coordinator
        context = {**context, "qr": qr_data_uri(context["qr_url"])}
    pdf = renderer().pdf(work.kind, context, paper=work.paper)
    if work.certificate is not None:  # the official's certificate: a PAdES signature any PDF reader checks
        pdf = sign(pdf, load_signer(*work.certificate), reason=work.reason, location=work.location)
    return FileStore(Path(work.files)).put(pdf), len(pdf)


def produce_pooled(work: LetterWork) -> tuple[str, int]:
    """``produce`` in a rendering process of a pool, which collects garbage between letters."""
    try:
        return produce(work)
    finally:
        collect_garbage()


def _produce_all(works: list[LetterWork], pool: Any | None) -> list[tuple[str, int]]:
    if pool is None or len(works) < 2:
        return [produce(work) for work in works]
    order = sorted(range(len(works)), key=lambda i: -works[i].weight)
    futures = {i: pool.submit(produce_pooled, works[i]) for i in order}
    return [futures[i].result() for i in range(len(works))]


def issue(
    session: Session,
    config: PortalConfig,
    store: FileStore,
    kind: LetterKind,
    *,
    request: Request | None = None,
    batch: Batch | None = None,
    actor: Any,
    today: date,
    ip: str | None = None,
) -> Letter:
    """The valid letter of ``kind`` for the request or batch: the existing one when its data has not changed,
    otherwise a new one (number, PDF, token) that supersedes it. Committed before returning."""
    prepared = prepare(session, kind, request=request, batch=batch)
    return issue_many(session, config, store, [prepared], actor=actor, today=today, ip=ip)[0]


def issue_many(
    session: Session,
    config: PortalConfig,
    store: FileStore,
    items: list[Prepared],
    *,
    actor: Any,
    today: date,
    ip: str | None = None,
    pool: Any | None = None,
) -> list[Letter]:
    """Issue the letters of ``items`` that are missing or out of date; returns the valid letter of each.

    Letters of one office and kind take a block of consecutive numbers from their counter, whose row stays
    locked until they are stored: concurrent issuers wait, and when any rendering fails the transaction,
    numbers included, is rolled back. ``pool`` (a process pool) renders a block on several cores."""
    results: dict[int, Letter] = {}
    pending: list[tuple[int, Prepared]] = []
    for index, item in enumerate(items):
        if item.up_to_date:
            results[index] = item.current  # type: ignore[assignment]
        else:
            pending.append((index, item))
    if pending:
        try:
            letters = _issue_block(
                session, config, store, [m for _, m in pending], actor=actor, today=today, ip=ip, pool=pool
            )
        except IntegrityError:  # another worker issued some of them at the same moment: take theirs
            session.rollback()
            letters = []
            for _, item in pending:
                fresh = prepare(
                    session,
                    item.kind,
                    request=session.get(Request, item.request_id) if item.request_id else None,
                    batch=session.get(Batch, item.batch_id) if item.batch_id else None,
                )
                if fresh.up_to_date:
                    letters.append(fresh.current)
                else:
                    letters.extend(_issue_block(session, config, store, [fresh], actor=actor, today=today, ip=ip))
        for (index, _), letter in zip(pending, letters, strict=True):
            results[index] = letter
    return [results[i] for i in range(len(items))]


def _issue_block(
    session: Session,
    config: PortalConfig,
    store: FileStore,
    items: list[Prepared],
    *,
    actor: Any,
    today: date,
    ip: str | None,
    pool: Any | None = None,
) -> list[Letter]:
    """Number, render, sign, store and record letters, in one transaction: each office and kind takes a block
    of consecutive numbers from its counter."""
    blocks: dict[tuple[str, LetterKind], list[int]] = {}
    for position, item in enumerate(items):
        check_number_format(item.settings)  # before any number is taken: a bad stored format costs none
        blocks.setdefault((item.office_code, item.kind), []).append(position)
    numbered: list[tuple[int, str, str]] = [(0, "", "")] * len(items)
    works: list[LetterWork | None] = [None] * len(items)
    logos: dict[str | None, str | None] = {}
    certificates = {code: certificate_for(config, code) for code in {item.office_code for item in items}}
    for (office_code, kind), positions in blocks.items():
        # The counter row stays locked until commit: concurrent issuers wait; a failed rendering rolls it back.
        last = next_value(session, f"letter:{office_code}:{kind.value}:{today.year}", len(positions))
        for sequence, position in zip(range(last - len(positions) + 1, last + 1), positions, strict=True):
            item = items[position]
            number = format_number(item.settings, kind, sequence=sequence, office_code=office_code, on=today)
            token = secrets.token_urlsafe(32)
            verify_url = f"{config.public_url}{config.url('/verify/' + token)}"
            if item.settings.logo_sha256 not in logos:
                logos[item.settings.logo_sha256] = logo_uri(store, item.settings)
            context = {
                **item.data,
                "title": KIND_LABELS[kind],
                "number": number,
                "issued_on": today,
                "office": item.office,
                "signer": item.signer,
                "logo": logos[item.settings.logo_sha256],
                "qr_url": verify_url,
                "verify_url_short": f"{config.public_url}{config.url('/verify/')}…",
                "status_url": f"{config.public_url}{config.url('/cek-status')}",
            }
            if "completed_on" in context:
                context["completed_on"] = date.fromisoformat(context["completed_on"])
            works[position] = LetterWork(
                kind=kind.value,
                context=context,
                paper=item.settings.paper,
                files=str(store.root),
                certificate=certificates[office_code],
                reason=f"{KIND_LABELS[kind]} {number}",
                location=item.office.place,
            )
            numbered[position] = (sequence, number, token)
    try:
        stored = _produce_all(works, pool)  # type: ignore[arg-type]
    except Exception:
        session.rollback()
        raise
    letters = []
    now = utcnow()
    for item, (digest, size), (sequence, number, token) in zip(items, stored, numbered, strict=True):
        if item.current is not None:
            item.current.status = LetterStatus.SUPERSEDED.value
            item.current.superseded_at = now
            session.add(item.current)
        letter = Letter(
            kind=item.kind.value,
            subject_key=item.subject_key,
            request_id=item.request_id,
            batch_id=item.batch_id,
            village_code=item.village_code,
            office_code=item.office_code,
            number=number,
            sequence=sequence,
            year=today.year,
            issued_by=getattr(actor, "id", None),
            sha256=digest,
            size=size,
            token=token,
            content_hash=item.content_hash,
            holder=item.holder,
            signed=certificates[item.office_code] is not None,
        )
        letters.append(letter)
    session.flush()  # superseded first: one valid letter per subject and kind
    session.add_all(letters)
    session.flush()
    for item, letter in zip(items, letters, strict=True):
        if item.current is not None:
            item.current.superseded_by = letter.id
            session.add(item.current)
        record(
            session,
            actor=actor,
            action="letter.issue",
            object_type="letter",
            object_id=letter.id,
            region_code=item.village_code,
            changes={
                "kind": item.kind.value,
                "number": letter.number,
                "sha256": letter.sha256,
                "supersedes": item.current.id if item.current else None,
            },
            ip=ip,
        )
    session.commit()
    return letters


def issue_due(
    session: Session,
    config: PortalConfig,
    store: FileStore,
    *,
    request: Request | None = None,
    batch: Batch | None = None,
    actor: Any,
    today: date,
    ip: str | None = None,
) -> list[Letter]:
    """Issue every letter the current stage calls for (when missing or out of date); return all the subject's."""
    kinds = due_kinds_for_request(request) if request is not None else due_kinds_for_batch(batch)  # type: ignore[arg-type]
    items = [prepare(session, kind, request=request, batch=batch) for kind in kinds]
    issue_many(session, config, store, items, actor=actor, today=today, ip=ip)
    key = f"request:{request.id}" if request is not None else f"batch:{batch.id}"  # type: ignore[union-attr]
    return letters_of(session, key)


def may_revoke(user: Any, letter: Letter) -> bool:
    """The issuing office's own user (its clerk, or the district operator for review results) or the admin."""
    return user.role == Role.ADMIN or (
        user.role in (Role.CLERK, Role.DISTRICT) and user.region_code == letter.office_code
    )


def revoke(session: Session, letter: Letter, *, actor: Any, reason: str, ip: str | None = None) -> None:
    """Withdraw a valid letter (wrong data, issued by mistake): its QR page says so; the stage's letter can be
    issued again, with a new number."""
    reason = " ".join(reason.split())
    if not may_revoke(actor, letter):
        raise PermissionDeniedException("Hanya kantor penerbit atau admin yang dapat mencabut surat ini.")
    if letter.status != LetterStatus.VALID.value:
        raise IllegalTransition("Surat ini sudah tidak berlaku.")
    if not reason:
        raise ValidationException("Tuliskan alasan pencabutan.")
    letter.status, letter.revoked_at, letter.revoke_reason = LetterStatus.REVOKED.value, utcnow(), reason[:300]
    session.add(letter)
    record(
        session,
        actor=actor,
        action="letter.revoke",
        object_type="letter",
        object_id=letter.id,
        region_code=letter.village_code,
        changes={"number": letter.number, "reason": reason[:300]},
        ip=ip,
    )
    session.commit()


def get_letter(session: Session, user: Any, letter_id: int) -> Letter:
    """A letter of the user's scope (by the village of its request or batch), or 404."""
    return get_in_scope(session, Letter, letter_id, user, "village_code")


def by_token(session: Session, token: str) -> Letter:
    letter = session.exec(select(Letter).where(Letter.token == token)).first() if 20 <= len(token) <= 64 else None
    if letter is None:
        raise NotFoundException("Surat dengan kode ini tidak dikenal.")
    return letter


def preview_receipt(session: Session, config: PortalConfig, office_code: str, *, today: date) -> bytes:
    """A sample letter with the office's current profile (kop, signer), marked CONTOH: not numbered, not stored."""
    path = region_path(session, office_code)
    settings = settings_for(session, office_code)
    context = {
        "request": {"number": "PPD-CONTOH", "name": "NAMA WARGA", "status_pin": "000000", "output_number": None},
        "nik_masked": "3516••••••••0001",
        "service_name": "KTP-el baru",
        "output": "KTP-el",
        "received": ["Kartu Keluarga"],
        "title": KIND_LABELS[LetterKind.RECEIPT],
        "number": format_number(settings, LetterKind.RECEIPT, sequence=0, office_code=office_code, on=today),
        "issued_on": today,
        "office": _office(path),
        "signer": _signer(path[-1]),
        "logo": logo_uri(FileStore(config.data_dir / "files"), settings),
        "qr": qr_data_uri(f"{config.public_url}{config.url('/verify/contoh')}"),
        "verify_url_short": f"{config.public_url}{config.url('/verify/')}…",
        "status_url": f"{config.public_url}{config.url('/cek-status')}",
        "sample": True,
    }
    return renderer().pdf(LetterKind.RECEIPT.value, context, paper=settings.paper)


def subject_number(session: Session, letter: Letter) -> str:
    """The public number of what the letter is about (for file names: never a NIK or a name)."""
    if letter.request_id is not None:
        return session.get(Request, letter.request_id).number  # type: ignore[union-attr]
    return session.get(Batch, letter.batch_id).number  # type: ignore[union-attr]


def download_name(letter: Letter, subject_number: str) -> str:
    from app.letters.models import KIND_SLUGS

    version = f"-v{letter.id}" if letter.status != LetterStatus.VALID.value else ""
    return f"{KIND_SLUGS[LetterKind(letter.kind)]}-{subject_number}{version}.pdf"


def letters_in_scope_query(user: Any):
    return select(Letter).where(scope_filter(user, Letter.village_code))
