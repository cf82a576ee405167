"""Server-side sessions kept in the portal database, so every worker process (and server) shares them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import anyio
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_hash
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.accounts.models import SessionRecord
from app.accounts.service import CurrentUser, load_current_user
from app.db import Database, utcnow

ROTATE_FLAG = "portal_rotate_session"
LOADED_FLAG = "portal_session_loaded"
PREFETCHED_USER = "portal_prefetched_user"
SESSION_USER_KEY = "uid"
SESSION_EPOCH_KEY = "epoch"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class DatabaseStore(Store):
    """A Litestar ``Store`` over the ``portal_session`` table. Blocking calls run in a worker thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _set(self, key: str, value: bytes, expires_in: int | timedelta | None) -> None:
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        expires_at = utcnow() + timedelta(seconds=seconds) if seconds else None
        with self.db.session() as s:
            s.merge(SessionRecord(key_hash=_hash(key), data=value, expires_at=expires_at))
            s.commit()

    @staticmethod
    def _read(s: Session, key: str, renew_for: int | timedelta | None) -> bytes | None:
        key_hash = _hash(key)
        row = s.exec(
            select(SessionRecord.data, SessionRecord.expires_at).where(SessionRecord.key_hash == key_hash)
        ).first()
        if row is None:
            return None
        if row.expires_at is not None and row.expires_at <= utcnow():
            s.execute(delete(SessionRecord).where(SessionRecord.key_hash == key_hash))
            s.commit()
            return None
        if renew_for:
            seconds = renew_for.total_seconds() if isinstance(renew_for, timedelta) else renew_for
            s.execute(
                update(SessionRecord)
                .where(SessionRecord.key_hash == key_hash)
                .values(expires_at=utcnow() + timedelta(seconds=seconds))
            )
            s.commit()
        return row.data

    def _get(self, key: str, renew_for: int | timedelta | None) -> bytes | None:
        with self.db.session() as s:
            return self._read(s, key, renew_for)

    def _get_with_user(
        self, key: str, renew_for: int | timedelta | None, decode: Callable[[bytes], dict[str, Any]]
    ) -> tuple[dict[str, Any], CurrentUser | None]:
        """The session and the user it names, read in one worker-thread hop on one connection."""
        with self.db.session() as s:
            raw = self._read(s, key, renew_for)
            data = decode(raw) if raw is not None else {}
            user_id = data.get(SESSION_USER_KEY)
            user = load_current_user(s, user_id, data.get(SESSION_EPOCH_KEY, -1)) if isinstance(user_id, int) else None
            return data, user

    def _delete(self, key: str) -> None:
        with self.db.session() as s:
            s.execute(delete(SessionRecord).where(SessionRecord.key_hash == _hash(key)))
            s.commit()

    def _delete_all(self) -> None:
        with self.db.session() as s:
            s.execute(delete(SessionRecord))
            s.commit()

    def delete_expired(self) -> int:
        """Remove sessions past their expiry; returns how many."""
        with self.db.session() as s:
            result = s.execute(delete(SessionRecord).where(SessionRecord.expires_at <= utcnow()))
            s.commit()
            return result.rowcount or 0

    def _expires_in(self, key: str) -> int | None:
        with self.db.session() as s:
            rec = s.exec(select(SessionRecord).where(SessionRecord.key_hash == _hash(key))).first()
            if rec is None or rec.expires_at is None:
                return None
            return max(0, int((rec.expires_at - utcnow()).total_seconds()))

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        await anyio.to_thread.run_sync(self._set, key, data, expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await anyio.to_thread.run_sync(self._get, key, renew_for)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, key)

    async def delete_all(self) -> None:
        await anyio.to_thread.run_sync(self._delete_all)

    async def get_with_user(
        self, key: str, renew_for: int | timedelta | None, decode: Callable[[bytes], dict[str, Any]]
    ) -> tuple[dict[str, Any], CurrentUser | None]:
        return await anyio.to_thread.run_sync(self._get_with_user, key, renew_for, decode)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        return await anyio.to_thread.run_sync(self._expires_in, key)


class RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a fresh session ID when a handler asks (at login), so a planted cookie never gets signed in."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.get("state", {})
        if state.get(ROTATE_FLAG):
            new_id = state.get(ROTATE_FLAG + "_id")
            if not new_id:
                new_id = state[ROTATE_FLAG + "_id"] = self.generate_session_id()
            return new_id
        return super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        state = connection.scope.setdefault("state", {})
        data: dict[str, Any] = {}
        session_id = connection.cookies.get(self.config.key)
        if session_id:
            store = self.config.get_store_from_app(connection.scope["app"])
            max_age = int(self.config.max_age) if self.config.max_age is not None else None
            renew = max_age if self.config.renew_on_access else None
            if isinstance(store, DatabaseStore):
                # The signed-in user comes with the session (CurrentUserMiddleware takes it from the state).
                data, state[PREFETCHED_USER] = await store.get_with_user(session_id, renew, self.deserialize_data)
            else:
                raw = await store.get(session_id, renew_for=renew)
                data = self.deserialize_data(raw) if raw is not None else {}
        state[LOADED_FLAG] = dict(data)
        return data

    async def store_in_message(self, scope_session, message, connection):
        state = connection.scope.get("state", {})
        old_id = connection.cookies.get(self.config.key)
        if not scope_session and not state.get(ROTATE_FLAG):
            # Nothing to keep: no row for an anonymous page view (bots would fill the table), and a
            # session emptied by the handler is deleted with its cookie.
            if not old_id:
                return
            scope_session = Empty
        if old_id and state.get(ROTATE_FLAG):
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        elif old_id and scope_session and scope_session == state.get(LOADED_FLAG):
            # Unchanged: no database write on every page view. The stored expiry is therefore counted
            # from the last change (the login): an absolute limit of one working day.
            return
        await super().store_in_message(scope_session, message, connection)


@dataclass
class PortalSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def rotate_session(connection: ASGIConnection) -> None:
    """Ask for a new session ID for the response of this request (the old one is dropped)."""
    connection.scope.setdefault("state", {})[ROTATE_FLAG] = True


class SessionBoundCSRFMiddleware:
    """Litestar's double-submit CSRF cookie, signed with a key derived from the session it was issued in.

    Litestar's own check accepts any cookie and token pair signed with the portal's secret, so a pair taken
    from one session (the attacker's own) passes in another. Here the key is the portal secret and the
    session ID together (the empty ID before login), so another session's pair, or the one issued before
    login, no longer verifies: a page view then issues a fresh token, and a form post is refused (403).
    Only a live session counts: an expired or revoked one is treated as no session, as its cookie is
    being deleted in the same response."""

    def __init__(self, app: ASGIApp, config: CSRFConfig, session_key: str) -> None:
        self.app = app
        self.config = config
        self.session_key = session_key

    def _bound_config(self, scope: Scope, cookies: dict[str, str]) -> CSRFConfig:
        session_id = cookies.get(self.session_key, "") if scope.get("session") else ""
        key = hmac.new(self.config.secret.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()
        return replace(self.config, secret=key)

    @staticmethod
    def _signed_with(token: str, secret: str) -> bool:
        plain, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        return len(plain) == CSRF_SECRET_LENGTH and hmac.compare_digest(signature, generate_csrf_hash(plain, secret))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        if scope.get("user") is None and handler is not None and not handler.opt.get("public"):
            # No signed-in user (e.g. the session expired while a form was open): the login guard sends them to
            # the login page, and nothing can change without a user, so there is no token to check.
            await self.app(scope, receive, send)
            return
        cookies = ASGIConnection(scope).cookies  # parsed once per request and kept in the scope state
        config = self._bound_config(scope, cookies)
        cookie = cookies.get(config.cookie_name)
        if (
            cookie is not None
            and scope["method"] in config.safe_methods
            and not self._signed_with(cookie, config.secret)
        ):
            # Issued for another session (or before login): hidden, so that a fresh token is issued.
            ScopeState.from_scope(scope).cookies = {k: v for k, v in cookies.items() if k != config.cookie_name}
        await CSRFMiddleware(self.app, config)(scope, receive, send)
