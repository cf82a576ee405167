"""Files of a request: the clerk's scans of the required documents, and the documents Dukcapil issued."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.db import utcnow


class FileKind(StrEnum):
    SCAN = "scan"
    OUTPUT = "output"


class Attachment(SQLModel, table=True):
    __tablename__ = "portal_attachment"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="portal_request.id", index=True)
    village_code: str = Field(foreign_key="portal_region.code", max_length=13)
    """The request's village, so a file is scoped exactly like its request."""
    kind: str = Field(max_length=8)
    label: str = Field(max_length=300)
    """Which requirement it proves, or the issued document's name. The uploaded file name is not kept:
    clerks often name scans after the NIK."""
    media_type: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64, index=True)
    uploaded_by: int = Field(foreign_key="portal_user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
