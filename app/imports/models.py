"""Spreadsheet imports: one uploaded file, its row-by-row report, and what committing it created."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.db import utcnow


class ImportStatus(StrEnum):
    CHECKED = "checked"
    """Read and checked; nothing written yet. The clerk looks at the preview."""
    COMMITTED = "committed"
    """Its valid rows became draft requests."""
    REJECTED = "rejected"
    """The file itself could not be used (unreadable, wrong columns, too large…)."""


IMPORT_STATUS_LABELS = {
    ImportStatus.CHECKED: "Diperiksa, belum disimpan",
    ImportStatus.COMMITTED: "Disimpan",
    ImportStatus.REJECTED: "Berkas ditolak",
}


class Import(SQLModel, table=True):
    __tablename__ = "portal_import"
    __table_args__ = (
        Index("ix_portal_import_village_sha", "village_code", "sha256"),
        # A file is committed once per village, even when two clerks press "Simpan" at the same moment.
        Index("uq_portal_import_committed_file", "village_code", "committed_sha256", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="portal_region.code", max_length=13)
    created_by: int = Field(foreign_key="portal_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    file_name: str = Field(max_length=200)
    """As uploaded, with any 16-digit number in it masked (clerks name files after a NIK)."""
    sha256: str = Field(max_length=64)
    service_code: str | None = Field(default=None, max_length=20)
    """The service of a per-service template; None for the mixed template (a service column)."""
    status: str = Field(default=ImportStatus.CHECKED.value, max_length=12)
    problem: str | None = Field(default=None, max_length=1000)
    """Why the whole file was refused (status rejected)."""
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    warnings: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Every problem found: ``{row, column, message, level}`` with the spreadsheet's own row numbers."""
    header: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The file's header row as typed, for the error report."""
    bad_rows: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The invalid rows as read (row number first), for the error report the clerk fixes and re-uploads."""
    good_rows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The checked values of the valid rows, ready to commit; emptied once committed."""
    created: int = 0
    batch_id: int | None = Field(default=None, foreign_key="portal_batch.id")
    committed_at: datetime | None = None
    committed_sha256: str | None = Field(default=None, max_length=64)
    """The file's SHA-256 once committed (None before): unique per village in the database."""
    rows_removed_at: datetime | None = None
    """When the retention clean-up removed the copied rows (``bad_rows``, ``good_rows``)."""
