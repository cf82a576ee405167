"""Writing to the audit log. Callers add the entry to the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.audit.models import AuditEntry


def record(
    session: Session,
    *,
    actor: Any | None,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    region_code: str | None = None,
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add one audit entry; it commits with the caller's transaction, so a rolled-back change leaves none."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_username=getattr(actor, "username", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        region_code=region_code,
        changes=changes,
        ip=ip,
    )
    session.add(entry)
    return entry
