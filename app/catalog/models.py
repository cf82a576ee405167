"""A regency's copy of the service catalogue: what its admin may edit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Service(SQLModel, table=True):
    __tablename__ = "portal_service"
    __table_args__ = (UniqueConstraint("regency_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    regency_code: str = Field(foreign_key="portal_region.code", max_length=13, index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=120)
    output: str = Field(max_length=200)
    requirements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    target_days: int
    """Service-level target in working days (Indonesian holidays and cuti bersama excluded)."""
    active: bool = True
    updated_at: datetime | None = None
