"""Background jobs: work that takes longer than a page view (a batch's letters as one download). The row is
the job's truth (state, progress, heartbeat, result); the queue only says "run job N"."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.db import utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_STATUS_LABELS = {
    JobStatus.QUEUED: "Menunggu giliran",
    JobStatus.RUNNING: "Sedang dibuat",
    JobStatus.DONE: "Siap diunduh",
    JobStatus.FAILED: "Gagal",
}


class Job(SQLModel, table=True):
    __tablename__ = "portal_job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    """``bundle-pdf`` (one merged PDF) or ``bundle-zip`` (separate PDFs in a ZIP) of a batch's letters."""
    batch_id: int = Field(foreign_key="portal_batch.id", index=True)
    village_code: str = Field(foreign_key="portal_region.code", max_length=13)
    """The batch's village: jobs are scoped exactly like their batch."""
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default=JobStatus.QUEUED.value, max_length=10)
    progress: int = 0
    """Percent done."""
    total: int = 0
    done: int = 0
    attempts: int = 0
    heartbeat_at: datetime | None = None
    """Refreshed while a worker runs the job; a running job whose heartbeat stops is queued again."""
    error: str | None = Field(default=None, max_length=500)
    result_sha256: str | None = Field(default=None, max_length=64)
    result_name: str | None = Field(default=None, max_length=120)
    finished_at: datetime | None = None
