"""Append-only audit log: who did what to which object, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "portal_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_username: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    region_code: str | None = Field(default=None, max_length=13, index=True)
    """The region the object belongs to, so audit views can be scoped like everything else."""
    changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    ip: str | None = Field(default=None, max_length=45)
