"""Rules of the public status check: who may try how often, and the village clerk lifting a request's PIN lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from app.audit.service import record
from app.db import utcnow
from app.ratelimit import blocked_until, clear, hit
from app.requests.models import Request

ADDRESS_LIMIT, ADDRESS_WINDOW = 20, 600  # checks per address per 10 minutes
PIN_LIMIT, PIN_WINDOW = 5, 3600  # wrong PINs per request number per hour


class StatusCheckRefused(Exception):
    """Too many tries: from this address (``by_address``) or with this request's number."""

    def __init__(self, retry_at: datetime, *, by_address: bool) -> None:
        super().__init__("rate limited")
        self.retry_at = retry_at
        self.by_address = by_address


def _address_key(ip: str | None) -> str:
    return f"status-ip:{ip}"


def _pin_key(number: str) -> str:
    return f"status-number:{number}"


def check_status(session: Session, number: str, pin: str, *, ip: str | None) -> Request | None:
    """The request with this public number and PIN, or None when they do not match.

    Every check counts against the address; a wrong PIN also against the number, so guessing one
    request's PIN stops after five misses an hour from any number of addresses. Raises
    ``StatusCheckRefused`` (with the time the next try is allowed) while either limit is reached."""
    address_key = _address_key(ip)
    if not hit(session, address_key, limit=ADDRESS_LIMIT, window_seconds=ADDRESS_WINDOW):
        until = blocked_until(session, address_key, limit=ADDRESS_LIMIT, window_seconds=ADDRESS_WINDOW)
        raise StatusCheckRefused(until or utcnow(), by_address=True)
    if until := pin_locked_until(session, number):
        raise StatusCheckRefused(until, by_address=False)
    found = session.exec(select(Request).where(Request.number == number)).first()
    if found is None or found.status_pin != pin:
        hit(session, _pin_key(number), limit=PIN_LIMIT, window_seconds=PIN_WINDOW)
        return None
    return found


def pin_locked_until(session: Session, number: str) -> datetime | None:
    """Until when the status check of this request number is locked after too many wrong PINs."""
    return blocked_until(session, _pin_key(number), limit=PIN_LIMIT, window_seconds=PIN_WINDOW)


def unlock_pin(session: Session, request: Request, *, actor: Any, ip: str | None = None) -> bool:
    """The clerk lifts the PIN lock of a request of their village (the resident is at the counter, or
    phoned); returns False when it was not locked. The caller loads ``request`` within the clerk's scope."""
    until = pin_locked_until(session, request.number)
    if until is None:
        return False
    clear(session, _pin_key(request.number))
    record(
        session,
        actor=actor,
        action="request.status_check_unlock",
        object_type="request",
        object_id=request.id,
        region_code=request.village_code,
        changes={"locked_until": until.isoformat()},
        ip=ip,
    )
    session.commit()
    return True
