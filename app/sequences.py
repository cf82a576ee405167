"""Gap-free counters (request numbers now, letter numbers later): one row per key, incremented under a
row lock, so concurrent transactions never get the same value."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Field, Session, SQLModel


class Counter(SQLModel, table=True):
    __tablename__ = "portal_counter"

    key: str = Field(primary_key=True, max_length=120)
    value: int = 0


def next_value(session: Session, key: str) -> int:
    """The next value for ``key`` within the caller's transaction (rolled back with it, so no gaps)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = text(
            "INSERT INTO portal_counter (key, value) VALUES (:key, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = portal_counter.value + 1 RETURNING value"
        )
    else:  # SQLite 3.35+: the same upsert; SQLite serialises writers anyway
        statement = text(
            "INSERT INTO portal_counter (key, value) VALUES (:key, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value"
        )
    return int(session.execute(statement, {"key": key}).scalar_one())
