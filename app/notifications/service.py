"""Who is told what: clerks when their batch is reviewed or a request completes, district operators when a
batch arrives. Notifications are added in the same transaction as the change they report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.db import utcnow
from app.notifications.models import Notification


def notify(session: Session, *, role: Role, region_code: str, text: str, link: str) -> int:
    """Tell every active user of ``role`` whose region is ``region_code``; returns how many."""
    users = session.exec(
        select(User.id).where(User.role == role.value, User.region_code == region_code, User.is_active)
    ).all()
    for user_id in users:
        session.add(Notification(user_id=user_id, text=text[:300], link=link))
    return len(users)


def district_of(village_code: str) -> str:
    return village_code.rsplit(".", 1)[0]


def unread_count(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).one()


def latest(session: Session, user: Any, limit: int = 100) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(session: Session, user: Any) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
