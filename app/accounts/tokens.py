"""Per-user API tokens for village information systems (e.g. OpenSID): shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from app.accounts.models import User
from app.audit.service import record
from app.db import utcnow

PREFIX = "ppd_"


class ApiToken(SQLModel, table=True):
    __tablename__ = "portal_api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="portal_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(max_length=12)
    """The first characters, to tell tokens apart in lists; not enough to use one."""
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100] or "API", token_hash=_hash(plain), hint=plain[:10])  # type: ignore[arg-type]
    session.add(token)
    session.flush()
    record(
        session,
        actor=None,
        action="token.create",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        changes={"token": token.id, "name": token.name},
    )
    session.commit()
    return token, plain


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user behind a valid, unrevoked token (and note when it was last used)."""
    if not plain.startswith(PREFIX):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(plain))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now  # at most once a minute: no write per API call
        session.commit()
    return user


def revoke(session: Session, token_id: int) -> ApiToken | None:
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    record(
        session,
        actor=None,
        action="token.revoke",
        object_type="user",
        object_id=token.user_id,
        changes={"token": token.id},
    )
    session.commit()
    return token


def revoke_all_of(session: Session, user: User, *, actor: object | None, reason: str, ip: str | None = None) -> int:
    """Revoke every live token of ``user``, each in the audit log with the reason; the caller commits.
    Returns how many were revoked."""
    tokens = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
        record(
            session,
            actor=actor,
            action="token.revoke",
            object_type="user",
            object_id=user.id,
            region_code=user.region_code,
            changes={"token": token.id, "reason": reason},
            ip=ip,
        )
    return len(tokens)
