"""Guards: small named checks on the signed-in user, attached to the portal router and its controllers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.accounts.models import Role
from app.accounts.service import load_current_user
from app.accounts.sessions import PREFETCHED_USER, SESSION_EPOCH_KEY, SESSION_USER_KEY
from app.db import Database


class CurrentUserMiddleware(ASGIMiddleware):
    """Puts the signed-in user (or None) in ``scope['user']``, checked against the database on every
    request: a deactivated account or a reset password ends its sessions at once, on every worker."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __deepcopy__(self, memo: dict) -> CurrentUserMiddleware:
        return self

    def _load(self, user_id: int, epoch: int):
        with self.db.session() as session:
            return load_current_user(session, user_id, epoch)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        session = scope.get("session") or {}
        user = None
        state = scope.get("state", {})
        if PREFETCHED_USER in state and isinstance(session, dict) and session.get(SESSION_USER_KEY) is not None:
            user = state[PREFETCHED_USER]  # read with the session, in the same database round
            if user is None:
                scope["session"] = {}
        elif isinstance(session, dict) and isinstance(session.get(SESSION_USER_KEY), int):
            user = await anyio.to_thread.run_sync(
                self._load, session[SESSION_USER_KEY], session.get(SESSION_EPOCH_KEY, -1)
            )
            if user is None:  # revoked: forget the stale session entirely
                scope["session"] = {}
        scope["user"] = user
        await next_app(scope, receive, send)


def require_login(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every portal route needs a signed-in user, unless it is marked ``opt={"public": True}``."""
    if handler.opt.get("public"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Silakan masuk terlebih dahulu.")


def require_role(*roles: Role) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """Only users of these roles may open the route (others get 403; other scopes' objects still 404)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if user is None:
            raise NotAuthorizedException("Silakan masuk terlebih dahulu.")
        if user.role not in roles:
            raise PermissionDeniedException("Anda tidak berwenang membuka halaman ini.")

    guard.__name__ = "require_" + "_or_".join(r.value for r in roles)
    return guard
