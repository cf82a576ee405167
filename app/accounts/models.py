"""Users, login throttling and server-side session records."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.db import utcnow


class Role(StrEnum):
    CLERK = "clerk"
    DISTRICT = "district"
    DINAS = "dinas"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.CLERK: "Petugas desa/kelurahan",
    Role.DISTRICT: "Operator kecamatan",
    Role.DINAS: "Petugas Dispendukcapil",
    Role.ADMIN: "Admin kabupaten",
}

# The region level each role's scope is anchored at (see app.regions.models levels).
ROLE_REGION_LEVEL = {Role.CLERK: 4, Role.DISTRICT: 3, Role.DINAS: 2, Role.ADMIN: 2}


class User(SQLModel, table=True):
    __tablename__ = "portal_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    region_code: str = Field(foreign_key="portal_region.code", index=True, max_length=13)
    password_hash: str = Field(max_length=200)
    is_active: bool = True
    session_epoch: int = 0
    """Bumped on deactivation and password reset: every session carrying an older epoch is void."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed logins per username, kept for names that do not exist too, so lock-out reveals nothing."""

    __tablename__ = "portal_login_throttle"

    username: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


class SessionRecord(SQLModel, table=True):
    """Server-side session data, shared by every worker process through the database."""

    __tablename__ = "portal_session"

    key_hash: str = Field(primary_key=True, max_length=64)
    """SHA-256 of the session ID: a copy of the table does not hand out live sessions."""
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime | None = Field(default=None, index=True)
