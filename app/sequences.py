"""Gap-free counters (request numbers now, letter numbers later): one row per key, incremented under a
row lock, so concurrent transactions never get the same value."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Field, Session, SQLModel


class Counter(SQLModel, table=True):
    __tablename__ = "portal_counter"

    key: str = Field(primary_key=True, max_length=120)
    value: int = 0


def next_value(session: Session, key: str, count: int = 1) -> int:
    """The next value for ``key`` within the caller's transaction (rolled back with it, so no gaps). With
    ``count`` it reserves that many at once and returns the last; the block is ``last - count + 1 … last``."""
    # PostgreSQL and SQLite 3.35+ share the upsert; PostgreSQL locks the row, SQLite serialises writers.
    statement = text(
        "INSERT INTO portal_counter (key, value) VALUES (:key, :count) "
        "ON CONFLICT (key) DO UPDATE SET value = portal_counter.value + excluded.value RETURNING value"
    )
    return int(session.execute(statement, {"key": key, "count": count}).scalar_one())
