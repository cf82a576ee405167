"""In-app notifications: short messages to one user, with a link to what they are about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.db import utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "portal_notification"
    __table_args__ = (Index("ix_portal_notification_user_unread", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="portal_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    text: str = Field(max_length=300)
    """Never a NIK or KK number: public numbers and names of villages only."""
    link: str = Field(max_length=200)
    read_at: datetime | None = None
