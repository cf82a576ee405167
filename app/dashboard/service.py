"""What each role's home page summarises."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.scope import scope_filter
from app.regions.models import LEVEL_VILLAGE, Region


@dataclass(frozen=True)
class StaffingSummary:
    users_by_role: dict[str, int]
    inactive: int
    villages: int
    villages_without_clerk: list[Region]


def staffing(session: Session, user: object) -> StaffingSummary:
    """Accounts in the user's scope by role, and the villages that have no active clerk yet."""
    counts = dict(
        session.exec(
            select(User.role, func.count())
            .where(User.is_active, scope_filter(user, User.region_code))
            .group_by(User.role)
        ).all()
    )
    inactive = session.exec(
        select(func.count()).select_from(User).where(~User.is_active, scope_filter(user, User.region_code))
    ).one()
    staffed = select(User.region_code).where(User.is_active, User.role == Role.CLERK.value)
    villages = select(Region).where(Region.level == LEVEL_VILLAGE, scope_filter(user, Region.code))
    total = session.exec(select(func.count()).select_from(villages.subquery())).one()
    unstaffed = list(session.exec(villages.where(Region.code.not_in(staffed)).order_by(Region.code)))
    return StaffingSummary({r.value: counts.get(r.value, 0) for r in Role}, inactive, total, unstaffed)
