"""Batches (kiriman): a village's requests sent together to the district, and each request's decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import utcnow


class BatchStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"


BATCH_STATUS_LABELS = {
    BatchStatus.DRAFT: "Draf",
    BatchStatus.SUBMITTED: "Menunggu verifikasi kecamatan",
    BatchStatus.REVIEWED: "Selesai diverifikasi",
}


class Batch(SQLModel, table=True):
    __tablename__ = "portal_batch"
    __table_args__ = (Index("ix_portal_batch_village_status", "village_code", "status", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True)
    """``KRM-3516112017-2026-0007``: village, year, sequence."""
    village_code: str = Field(foreign_key="portal_region.code", max_length=13)
    status: str = Field(default=BatchStatus.DRAFT.value, max_length=12)
    form_key: str = Field(max_length=64, unique=True)
    """The key of the form that created the batch: a retried or double-clicked POST finds the same batch."""
    created_by: int = Field(foreign_key="portal_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    submitted_by: int | None = Field(default=None, foreign_key="portal_user.id")
    reviewed_at: datetime | None = None


class BatchItem(SQLModel, table=True):
    """A request in a batch, with the district's decision on it (kept even after the request moves on)."""

    __tablename__ = "portal_batch_item"
    __table_args__ = (UniqueConstraint("batch_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="portal_batch.id", index=True)
    request_id: int = Field(foreign_key="portal_request.id", index=True)
    decision: str | None = Field(default=None, max_length=12)
    """``approved``, ``rejected`` or ``returned``; empty until the district decides."""
    reason: str | None = Field(default=None, max_length=500)
    decided_by: int | None = Field(default=None, foreign_key="portal_user.id")
    decided_at: datetime | None = None
