"""A batch's letters as one download: the cover letter, the review result, and each request's receipt (and
completion slip when completed), issued first where missing, then merged into one PDF or put in a ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pikepdf
from sqlmodel import Session

from app.attachments.storage import FileStore
from app.batches.models import Batch
from app.batches.service import items_of
from app.config import PortalConfig
from app.letters import service
from app.letters.models import KIND_LABELS, KIND_SLUGS, Letter, LetterKind

BLOCK = 100
"""Letters numbered, rendered and stored per transaction (the counter row is locked meanwhile)."""


def bundle_items(session: Session, batch: Batch) -> list[service.Prepared]:
    requests = [request for _, request in items_of(session, batch.id)]  # type: ignore[arg-type]
    lookups = service.Lookups(session)
    lookups.preload_batch(batch)
    items = [service.prepare(session, k, batch=batch, lookups=lookups) for k in service.due_kinds_for_batch(batch)]
    for request in requests:
        items.extend(
            service.prepare(session, kind, request=request, lookups=lookups)
            for kind in service.due_kinds_for_request(request)
        )
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
) -> list[tuple[Letter, str]]:
    """Every letter of the batch with the public number of its request (or of the batch), issuing the missing
    ones block by block; ``progress(done, total)`` is told after each block."""
    items = bundle_items(session, batch)
    letters: list[Letter] = []
    progress(0, len(items))
    for start in range(0, len(items), BLOCK):
        block = service.issue_many(
            session, config, store, items[start : start + BLOCK], actor=actor, today=today, pool=pool
        )
        letters.extend(block)
        progress(len(letters), len(items))
    return [(letter, item.subject_number) for letter, item in zip(letters, items, strict=True)]


def file_name(letter: Letter, subject_number: str) -> str:
    return f"{KIND_SLUGS[LetterKind(letter.kind)]}-{subject_number}.pdf"


def bookmark(letter: Letter, subject_number: str) -> str:
    return f"{KIND_LABELS[LetterKind(letter.kind)]} {subject_number}"


def merged_pdf(files: list[tuple[str, bytes]]) -> bytes:
    """The letters ``(bookmark, pdf)`` one after another in one PDF (qpdf, through pikepdf: a 500-letter batch merges
    in a fraction of a second), with a bookmark per letter so a clerk can jump to any request."""
    merged = pikepdf.Pdf.new()
    sources = []  # kept open until the merged file is written: its pages refer to their objects
    bookmarks = []
    for title, data in files:
        source = pikepdf.Pdf.open(io.BytesIO(data))
        sources.append(source)
        bookmarks.append(pikepdf.OutlineItem(title, len(merged.pages)))
        merged.pages.extend(source.pages)
    with merged.open_outline() as outline:
        outline.root.extend(bookmarks)
    out = io.BytesIO()
    merged.save(out)
    for source in sources:
        source.close()
    return out.getvalue()


def zip_of(files: list[tuple[str, bytes]]) -> bytes:
    """Separate PDFs in one ZIP. Stored, not deflated: the PDFs' streams are compressed already."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()
