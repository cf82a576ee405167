"""The scope filter: the one place that turns the current user into a filter over villages.

Every query that reads or writes villagers' data goes through :func:`scope_filter` or
:func:`get_in_scope`. Region codes are hierarchical (``35.16.11.2001`` lies inside ``35.16.11``), so a
scope is a code prefix, expressed as a range that both SQLite and PostgreSQL answer from an index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from litestar.exceptions import NotFoundException
from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Scope:
    """A region the user may see: their village, district or regency, and everything inside it."""

    region_code: str

    def covers(self, code: str | None) -> bool:
        return code is not None and (code == self.region_code or code.startswith(self.region_code + "."))

    def filter(self, column: Any, *, include_self: bool = False) -> ColumnElement[bool]:
        """SQL condition: ``column`` (a region code) lies inside this scope.

        A village scope is one code. A district or regency scope is the range of codes below it
        (``code > 'X.' AND code < 'X/'``; "." < "/" in ASCII), which PostgreSQL and SQLite answer from an
        index; ``include_self`` adds the scope's own code, for rows that can sit at that level (users).
        """
        if self.region_code.count(".") == 3:
            return column == self.region_code
        inside = and_(column > self.region_code + ".", column < self.region_code + "/")
        return (column == self.region_code) | inside if include_self else inside


def scope_for(user: Any) -> Scope:
    """The scope of a signed-in user (anything with ``region_code``)."""
    return Scope(user.region_code)


def scope_filter(user: Any, column: Any, *, include_self: bool = False) -> ColumnElement[bool]:
    """Filter for ``select(...).where(...)``: rows whose region ``column`` is inside the user's scope."""
    return scope_for(user).filter(column, include_self=include_self)


def get_in_scope(session: Session, model: type[T], key: Any, user: Any, region_attr: str) -> T:
    """Load one object by primary key, or answer 404 when it is missing or outside the user's scope.

    Another scope's object is indistinguishable from a missing one, so IDs reveal nothing.
    """
    obj = session.get(model, key)
    if obj is None or not scope_for(user).covers(getattr(obj, region_attr)):
        raise NotFoundException("Data tidak ditemukan.")
    return obj
