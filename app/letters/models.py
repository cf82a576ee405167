"""Letters the portal issues (receipts, batch cover letters, district review results, completion slips):
numbered once, stored as exact bytes, verifiable by anyone through the QR code's token."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.db import utcnow


class LetterKind(StrEnum):
    RECEIPT = "receipt"
    COVER = "cover"
    REVIEW = "review"
    COMPLETION = "completion"


KIND_LABELS = {
    LetterKind.RECEIPT: "Tanda terima permohonan",
    LetterKind.COVER: "Surat pengantar kiriman",
    LetterKind.REVIEW: "Hasil verifikasi kecamatan",
    LetterKind.COMPLETION: "Tanda bukti selesai",
}
KIND_SLUGS = {
    LetterKind.RECEIPT: "tanda-terima",
    LetterKind.COVER: "surat-pengantar",
    LetterKind.REVIEW: "hasil-verifikasi",
    LetterKind.COMPLETION: "tanda-bukti-selesai",
}


class LetterStatus(StrEnum):
    VALID = "valid"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


STATUS_LABELS = {
    LetterStatus.VALID: "Sah",
    LetterStatus.SUPERSEDED: "Sudah diganti versi baru",
    LetterStatus.REVOKED: "Dicabut",
}


class Letter(SQLModel, table=True):
    __tablename__ = "portal_letter"
    __table_args__ = (
        # One valid letter of a kind per request or batch; a new version supersedes the old one.
        Index(
            "ux_portal_letter_valid_subject",
            "kind",
            "subject_key",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)
    subject_key: str = Field(max_length=40, index=True)
    """``request:<id>`` or ``batch:<id>``: what the letter is about."""
    request_id: int | None = Field(default=None, foreign_key="portal_request.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="portal_batch.id", index=True)
    village_code: str = Field(foreign_key="portal_region.code", max_length=13)
    """The village of the request or batch: letters are scoped exactly like it."""
    office_code: str = Field(foreign_key="portal_region.code", max_length=13)
    """The issuing office (the village, or the district for review results)."""
    number: str = Field(max_length=80, unique=True)
    sequence: int
    year: int
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: int | None = Field(default=None, foreign_key="portal_user.id")
    sha256: str = Field(max_length=64)
    size: int
    token: str = Field(max_length=64, unique=True)
    """The QR code's verification token: random (256 bits), no personal data."""
    content_hash: str = Field(max_length=64)
    """SHA-256 of the data printed (without number and date): a change issues a new version."""
    status: str = Field(default=LetterStatus.VALID.value, max_length=12)
    superseded_by: int | None = Field(default=None, foreign_key="portal_letter.id")
    superseded_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = Field(default=None, max_length=300)
    """Why the issuing office withdrew the letter (kept for the audit; the public page shows only the date)."""
    holder: str = Field(max_length=120)
    """What the verification page may show of whom the letter concerns: a masked name or a batch number."""
    signed: bool = False


DEFAULT_NUMBER_FORMAT = "{klasifikasi}/{nomor}/{jenis}/{kantor}/{bulan}/{tahun}"
"""Permendagri 83/2022 classification code, the sequence (3 digits, per office, kind and year), the kind's
code, the issuing office's code, the month in Roman numerals, the year:
``400.12/007/TTP/35.16.11.2017/XI/2026``. A format must keep {nomor}, {jenis}, {kantor} and {tahun}, so
that no two letters share a number."""
KIND_CODES = {
    LetterKind.RECEIPT: "TTP",
    LetterKind.COVER: "SPK",
    LetterKind.REVIEW: "HVK",
    LetterKind.COMPLETION: "TBS",
}
CLASSIFICATION = "400.12"
"""Population administration (Permendagri 83/2022)."""


class LetterSettings(SQLModel, table=True):
    """Per regency: how letter numbers are built and the paper size (the admin edits them)."""

    __tablename__ = "portal_letter_settings"

    regency_code: str = Field(primary_key=True, foreign_key="portal_region.code", max_length=13)
    number_format: str = Field(default=DEFAULT_NUMBER_FORMAT, max_length=120)
    classification: str = Field(default=CLASSIFICATION, max_length=20)
    paper: str = Field(default="A4", max_length=4)
    """``A4`` (210 × 297 mm) or ``F4`` (215 × 330 mm)."""
    logo_sha256: str | None = Field(default=None, max_length=64)
    """The regency's emblem for the kop (PNG or JPEG in the file store); none: a kop of text only."""
    updated_at: datetime | None = None
