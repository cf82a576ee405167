"""Engine and session wiring. Handlers run in threads (``sync_to_thread=True``) with plain sync sessions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import JSON, event, insert, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session, create_engine

THREADS = 10
"""Default threads of each kind (see ``PortalConfig.threads``); the pool holds a connection for every thread."""
POOL_TIMEOUT = 5
"""Seconds to wait for a connection beyond the pool (a thread opening a second session); then 503."""
LOCK_TIMEOUT_MS = 10_000
"""PostgreSQL: longest wait for a row lock (e.g. a letter counter during a burst of issues); then 503."""
STATEMENT_TIMEOUT_MS = 60_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
"""A connection left idle inside a transaction (it never should be) is ended by the server after this."""
SQLITE_BUSY_MS = 30_000


def utcnow() -> datetime:
    """Aware UTC timestamp; SQLModel's UTCDateTime columns store and return UTC on both engines."""
    return datetime.now(UTC)


def make_engine(url: str, *, pool_size: int = 2 * THREADS, bounded_waits: bool = True) -> Engine:
    """The engine; with ``bounded_waits`` (the web app), PostgreSQL lock and statement waits are limited.
    Migrations and long CLI commands pass False."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
            pool_size=pool_size,
            max_overflow=5,
            pool_timeout=POOL_TIMEOUT,
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets readers and one writer work at once across worker processes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    options = ""
    if bounded_waits:
        options = (
            f"-c lock_timeout={LOCK_TIMEOUT_MS} -c statement_timeout={STATEMENT_TIMEOUT_MS} "
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
        )
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=5,
        pool_timeout=POOL_TIMEOUT,
        # Statements' parameters (names, NIKs, PINs) never reach an error message or a log line.
        hide_parameters=True,
        connect_args={"options": options} if options else {},
    )


def is_out_of_range_error(exc: BaseException) -> bool:
    """A number beyond the column's range reached the database (SQLite: beyond 64 bits; PostgreSQL: beyond
    ``integer``): such an id names no row. Inputs are checked before (``app.web.parse_id``); this is the net."""
    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == "22003"


def is_busy_error(exc: BaseException) -> bool:
    """A wait that hit its bound: no free connection, a PostgreSQL lock or statement timeout, SQLite's
    busy timeout. Nothing was written; the client should retry shortly (503 with Retry-After)."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if isinstance(exc, OperationalError):
        code = getattr(exc.orig, "sqlstate", None)
        return code in ("55P03", "57014") or "database is locked" in str(exc.orig)
    return False


class Database:
    """One engine per portal; sessions are short-lived, one per request or command."""

    def __init__(self, url: str, *, threads: int = THREADS) -> None:
        self.url = url
        self.threads = threads
        """Sync-handler threads, and as many threads for other blocking work (set up by the plugin): the pool
        holds a connection for each, so a burst queues for a thread, never for a connection."""
        self.engine = make_engine(url, pool_size=2 * threads)
        # Returning connections must never wait for a handler thread: when every handler thread waits for a
        # lock that a finished request still holds, that request could not give its connection back.
        self._closers = anyio.CapacityLimiter(8)

    def __deepcopy__(self, memo: dict) -> Database:
        return self  # Litestar copies routers on registration; the engine must stay shared

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    async def request_session(self) -> AsyncIterator[Session]:
        """The per-request session dependency; closed (connection returned) on a thread of its own."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
        finally:
            await anyio.to_thread.run_sync(session.close, limiter=self._closers)

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
