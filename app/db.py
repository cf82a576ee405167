"""Engine and session wiring. Handlers run in threads (``sync_to_thread=True``) with plain sync sessions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, event, insert, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def utcnow() -> datetime:
    """Aware UTC timestamp; SQLModel's UTCDateTime columns store and return UTC on both engines."""
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets readers and one writer work at once across worker processes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """One engine per portal; sessions are short-lived, one per request or command."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def __deepcopy__(self, memo: dict) -> Database:
        return self  # Litestar copies routers on registration; the engine must stay shared

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]], *, return_ids: bool = False) -> list[int]:
    """Insert many rows in the caller's transaction; with ``return_ids`` the new ids, in the rows' order.

    PostgreSQL takes them with COPY (ids drawn from the table's sequence first): an INSERT of thousands of
    rows spends most of its time building and parsing one huge statement. SQLite takes one multi-row INSERT.
    """
    if not rows:
        return []
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        statement = insert(table)
        if return_ids:
            result = session.execute(statement.returning(table.c.id, sort_by_parameter_order=True), rows)
            return list(result.scalars())
        session.execute(statement, rows)
        return []
    ids: list[int] = []
    if return_ids:
        ids = list(
            session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": len(rows)},
            ).scalars()
        )
        columns = ["id", *columns]
    # Column types that COPY's text format takes as they are (JSON goes as its text).
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    connection = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for index, row in enumerate(rows):
            values = [
                json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c] for c in columns[return_ids:]
            ]
            copy.write_row([ids[index], *values] if return_ids else values)
    return ids
