"""What each role's home page summarises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from lokal import add_working_days, count_working_days
from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.accounts.scope import scope_filter
from app.catalog.models import Service
from app.regions.models import LEVEL_VILLAGE, Region
from app.requests.models import Request, Status


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
            .where(User.is_active, scope_filter(user, User.region_code, include_self=True))
            .group_by(User.role)
        ).all()
    )
    inactive = session.exec(
        select(func.count())
        .select_from(User)
        .where(~User.is_active, scope_filter(user, User.region_code, include_self=True))
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
        select(User.role, User.region_code).where(
            User.is_active, scope_filter(user, User.region_code, include_self=True)
        )
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


WAITING = (Status.SUBMITTED.value, Status.APPROVED.value, Status.PROCESSING.value)


def _day_start(day: date, tz: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def overdue_count(session: Session, user: object, services: list[Service], *, today: date, tz: Any) -> int:
    """Open requests older than their service's target, counted in working days (Indonesian public
    holidays and cuti bersama excluded) from the day the village recorded them."""
    late = [
        and_(
            Request.service_code == s.code, Request.created_at < _day_start(add_working_days(today, -s.target_days), tz)
        )
        for s in services
    ]
    if not late:
        return 0
    return session.exec(
        select(func.count())
        .select_from(Request)
        .where(scope_filter(user, Request.village_code), Request.status.in_(WAITING), or_(*late))
    ).one()


@dataclass(frozen=True)
class Waiting:
    status: str
    count: int
    oldest: datetime | None

    def age_working_days(self, today: date, tz: Any) -> int:
        if self.oldest is None:
            return 0
        return max(0, count_working_days(self.oldest.astimezone(tz).date(), today) - 1)


def waiting(session: Session, user: object) -> list[Waiting]:
    """For each stage where a request waits on someone: how many, and since when the oldest has waited."""
    rows = dict(
        (s, (n, oldest))
        for s, n, oldest in session.exec(
            select(Request.status, func.count(), func.min(Request.status_changed_at))
            .where(scope_filter(user, Request.village_code), Request.status.in_(WAITING))
            .group_by(Request.status)
        ).all()
    )
    return [Waiting(s, *rows.get(s, (0, None))) for s in WAITING]


@dataclass(frozen=True)
class BreakdownRow:
    code: str
    name: str
    open: int
    completed: int
    rejected: int

    @property
    def total(self) -> int:
        return self.open + self.completed + self.rejected


def breakdown(session: Session, user: object, *, by_district: bool) -> list[BreakdownRow]:
    """Requests per village (for a district) or per district (for a regency), split into open,
    completed and rejected; every village or district of the scope appears, with zeros too."""
    key = func.substr(Request.village_code, 1, 8) if by_district else Request.village_code
    done, refused = Status.COMPLETED.value, Status.REJECTED.value
    counts = {
        code: (total - c - r, c, r)
        for code, total, c, r in session.exec(
            select(
                key,
                func.count(),
                func.sum(case((Request.status == done, 1), else_=0)),
                func.sum(case((Request.status == refused, 1), else_=0)),
            )
            .where(scope_filter(user, Request.village_code))
            .group_by(key)
        ).all()
    }
    level = 3 if by_district else LEVEL_VILLAGE
    regions = session.exec(
        select(Region).where(Region.level == level, scope_filter(user, Region.code)).order_by(Region.code)
    ).all()
    return [BreakdownRow(r.code, r.name, *(int(x or 0) for x in counts.get(r.code, (0, 0, 0)))) for r in regions]
