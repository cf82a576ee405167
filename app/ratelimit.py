"""A fixed-window rate limit kept in the database, so every worker process counts together."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from app.db import utcnow

KEEP_FOR = timedelta(days=1)
"""Rows untouched this long are deleted: longer than any window the portal uses (one hour at most)."""
PURGE_EVERY = 600.0
"""Seconds between purges in one process."""
_next_purge = 0.0


class RateLimit(SQLModel, table=True):
    __tablename__ = "portal_rate_limit"

    key: str = Field(primary_key=True, max_length=120)
    window_start: datetime
    count: int = 0


def purge_old(session: Session) -> int:
    """Delete the rows of windows that ended long ago (every address that ever tried leaves one)."""
    result = session.execute(delete(RateLimit).where(RateLimit.window_start < utcnow() - KEEP_FOR))
    session.commit()
    return result.rowcount or 0


def _purge_now_and_then(session: Session) -> None:
    global _next_purge
    if time.monotonic() >= _next_purge:
        _next_purge = time.monotonic() + PURGE_EVERY
        purge_old(session)


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
        except IntegrityError:  # the first attempt of this key, twice at once
            session.rollback()
            continue
        _purge_now_and_then(session)
        return allowed
    return False


def blocked_until(session: Session, key: str, *, limit: int, window_seconds: int) -> datetime | None:
    """When ``key`` may try again, if its window already holds ``limit`` attempts; otherwise None."""
    row = session.get(RateLimit, key)
    if row is None or row.count < limit:
        return None
    until = row.window_start + timedelta(seconds=window_seconds)
    return until if until > utcnow() else None


def is_blocked(session: Session, key: str, *, limit: int, window_seconds: int) -> bool:
    return blocked_until(session, key, limit=limit, window_seconds=window_seconds) is not None


def clear(session: Session, key: str) -> None:
    """Forget every attempt counted for ``key`` (the caller commits)."""
    session.execute(delete(RateLimit).where(RateLimit.key == key))
