"""A batch's letters as one download: the cover letter, the review result, and each request's receipt (and
completion slip when completed), issued first where missing, then merged into one PDF or put in a ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

from pypdf import PdfWriter
from sqlmodel import Session

from app.attachments.storage import FileStore
from app.batches.models import Batch
from app.batches.service import items_of
from app.config import PortalConfig
from app.letters import service
from app.letters.models import KIND_SLUGS, Letter, LetterKind

BLOCK = 100
"""Letters numbered, rendered and stored per transaction (the counter row is locked meanwhile)."""


def bundle_items(session: Session, batch: Batch) -> list[service.Prepared]:
    items = [service.prepare(session, kind, batch=batch) for kind in service.due_kinds_for_batch(batch)]
    for _, request in items_of(session, batch.id):  # type: ignore[arg-type]
        items.extend(service.prepare(session, kind, request=request) for kind in service.due_kinds_for_request(request))
    return items


def issue_bundle_letters(
    session: Session,
    config: PortalConfig,
    store: FileStore,
    batch: Batch,
    *,
    actor: Any,
    today: date,
    pool: Any | None,
    progress: Callable[[int, int], None],
) -> list[Letter]:
    """Every letter of the batch, issuing the missing ones block by block (``progress(done, total)`` after each)."""
    items = bundle_items(session, batch)
    letters: list[Letter] = []
    progress(0, len(items))
    for start in range(0, len(items), BLOCK):
        block = items[start : start + BLOCK]
        letters.extend(service.issue_many(session, config, store, block, actor=actor, today=today, pool=pool))
        progress(len(letters), len(items))
    return letters


def file_name(letter: Letter, subject_number: str) -> str:
    return f"{KIND_SLUGS[LetterKind(letter.kind)]}-{subject_number}.pdf"


def merged_pdf(pdfs: list[bytes]) -> bytes:
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_of(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()
