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


@dataclass(frozen=True)
class DistrictStaffing:
    district: Region
    villages: int
    staffed: int
    operators: int
    unstaffed: list[Region]


def staffing_by_district(session: Session, user: object) -> list[DistrictStaffing]:
    """Per district in the user's scope: villages, villages with an active clerk, active operators, and
    the villages still without a clerk (what a regency admin works through when rolling the portal out)."""
    villages = session.exec(
        select(Region).where(Region.level == LEVEL_VILLAGE, scope_filter(user, Region.code)).order_by(Region.code)
    ).all()
    active = session.exec(
        select(User.role, User.region_code).where(User.is_active, scope_filter(user, User.region_code))
    ).all()
    staffed = {code for role, code in active if role == Role.CLERK.value}
    operators: dict[str, int] = {}
    for role, code in active:
        if role == Role.DISTRICT.value:
            operators[code] = operators.get(code, 0) + 1
    by_district: dict[str, list[Region]] = {}
    for village in villages:
        by_district.setdefault(village.parent_code or "", []).append(village)
    districts = session.exec(select(Region).where(Region.code.in_(list(by_district))).order_by(Region.code)).all()
    return [
        DistrictStaffing(
            district=d,
            villages=len(by_district[d.code]),
            staffed=sum(v.code in staffed for v in by_district[d.code]),
            operators=operators.get(d.code, 0),
            unstaffed=[v for v in by_district[d.code] if v.code not in staffed],
        )
        for d in districts
    ]
