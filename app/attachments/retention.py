"""Retention (UU PDP): a clerk's scans of a resident's documents are needed while the request is open. Once
it is completed or rejected they are kept for a stated period (``PORTAL_SCAN_RETENTION_DAYS``) and then
deleted, rows and bytes. Documents issued by Dukcapil are the resident's output and are kept. Spreadsheet
imports older than the same period lose their copies of the rows (the counts and problems stay)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.attachments.models import Attachment, FileKind
from app.attachments.storage import FileStore
from app.audit.service import record
from app.db import utcnow
from app.imports.models import Import
from app.letters.models import Letter
from app.requests.models import Request, Status

FINAL = (Status.COMPLETED.value, Status.REJECTED.value)
CHUNK = 500
ORPHAN_GRACE = 24 * 3600
"""A stored file no row names is deleted only when it is this old: its upload may still be committing."""


@dataclass
class PurgeResult:
    requests: int = 0
    files: int = 0
    blobs: int = 0
    bytes: int = 0
    imports: int = 0
    """Spreadsheet imports whose copied rows were removed."""
    partials: int = 0
    """Half-written ``.upload-*`` temporaries (a write that died, a full disk) removed."""


def scans_deleted_after(status: str, status_changed_at: datetime, retention_days: int) -> datetime | None:
    """When a request's scans go: ``retention_days`` after it was completed or rejected (None while open)."""
    if status not in FINAL:
        return None
    return status_changed_at + timedelta(days=retention_days)


def _chunks(items: list, size: int):
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def purge_scans(
    session: Session, store: FileStore, *, retention_days: int, now: datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    """Delete the scans of requests completed or rejected more than ``retention_days`` ago, a chunk of
    requests per transaction, each with an audit entry; then the stored files no row names any more, and the
    half-written temporaries of writes that died."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    due = session.exec(
        select(Attachment.id, Attachment.request_id, Attachment.village_code, Attachment.sha256, Attachment.size)
        .join(Request, Request.id == Attachment.request_id)
        .where(Attachment.kind == FileKind.SCAN.value, Request.status.in_(FINAL), Request.status_changed_at < cutoff)
        .order_by(Attachment.request_id, Attachment.id)
    ).all()
    result = PurgeResult()
    by_request: dict[int, list] = defaultdict(list)
    for row in due:
        by_request[row.request_id].append(row)
    result.requests, result.files = len(by_request), len(due)
    # Spreadsheet imports keep copies of rows (NIKs, names) for the preview and the error report.
    old_imports = select(Import.id).where(Import.created_at < cutoff, Import.rows_removed_at.is_(None))
    result.imports = len(session.exec(old_imports).all())
    if dry_run:
        result.bytes = sum(row.size for row in due)
        return result
    session.execute(
        update(Import)
        .where(Import.id.in_(old_imports.scalar_subquery()))
        .values(bad_rows=[], good_rows=[], rows_removed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    digests: set[str] = set()
    for request_ids in _chunks(list(by_request), CHUNK):
        for request_id in request_ids:
            rows = by_request[request_id]
            session.execute(delete(Attachment).where(Attachment.id.in_([r.id for r in rows])))
            record(
                session,
                actor=None,
                action="attachment.purge",
                object_type="request",
                object_id=request_id,
                region_code=rows[0].village_code,
                changes={"files": len(rows), "retention_days": retention_days},
            )
            digests.update(r.sha256 for r in rows)
        session.commit()
    for chunk in _chunks(sorted(digests), CHUNK):
        still_used = _used(session, chunk)
        for digest in chunk:
            if digest not in still_used:
                result.bytes += store.delete(digest)
                result.blobs += 1
    blobs, size = purge_orphans(session, store)
    result.blobs += blobs
    result.bytes += size
    result.partials, size = store.remove_partials()
    result.bytes += size
    return result


def _used(session: Session, digests: list[str]) -> set[str]:
    """Which of these stored files a row still names (an attachment or an issued letter)."""
    used = set(session.exec(select(Attachment.sha256).where(Attachment.sha256.in_(digests))))
    return used | set(session.exec(select(Letter.sha256).where(Letter.sha256.in_(digests))))


def purge_orphans(session: Session, store: FileStore, *, grace_seconds: int = ORPHAN_GRACE) -> tuple[int, int]:
    """Delete stored files that no attachment or letter names (scans a clerk removed from a draft); returns
    how many and their size."""
    deadline = time.time() - grace_seconds
    count = size = 0
    for chunk in _chunks(list(store.digests()), CHUNK):
        used = _used(session, chunk)
        for digest in chunk:
            if digest not in used and store.modified_at(digest) < deadline:
                size += store.delete(digest)
                count += 1
    return count, size
