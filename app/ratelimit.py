"""A fixed-window rate limit kept in the database, so every worker process counts together."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from app.db import utcnow


class RateLimit(SQLModel, table=True):
    __tablename__ = "portal_rate_limit"

    key: str = Field(primary_key=True, max_length=120)
    window_start: datetime
    count: int = 0


def hit(session: Session, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key``; False when the window already holds ``limit`` attempts.
    Commits at once: a refused request must still count."""
    now = utcnow()
    for _ in range(3):
        row = session.get(RateLimit, key, with_for_update=True)
        if row is None:
            row = RateLimit(key=key, window_start=now, count=0)
            session.add(row)
        elif (now - row.window_start).total_seconds() >= window_seconds:
            row.window_start, row.count = now, 0
        row.count += 1
        allowed = row.count <= limit
        try:
            session.commit()
            return allowed
        except IntegrityError:  # the first attempt of this key, twice at once
            session.rollback()
    return False


def is_blocked(session: Session, key: str, *, limit: int, window_seconds: int) -> bool:
    row = session.get(RateLimit, key)
    return bool(row and (utcnow() - row.window_start).total_seconds() < window_seconds and row.count >= limit)
