"""A batch's letters as one download: the cover letter, the review result, and each request's receipt (and
completion slip when completed), issued first where missing, then merged into one PDF or put in a ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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
    on_block: Callable[[list[Letter]], None] | None = None,
) -> list[Letter]:
    """Every letter of the batch, issuing the missing ones block by block: ``on_block(letters)`` receives each
    block as soon as it is stored, ``progress(done, total)`` is told after each."""
    items = bundle_items(session, batch)
    letters: list[Letter] = []
    progress(0, len(items))
    for start in range(0, len(items), BLOCK):
        block = service.issue_many(
            session, config, store, items[start : start + BLOCK], actor=actor, today=today, pool=pool
        )
        letters.extend(block)
        if on_block is not None:
            on_block(block)
        progress(len(letters), len(items))
    return letters


def file_name(letter: Letter, subject_number: str) -> str:
    return f"{KIND_SLUGS[LetterKind(letter.kind)]}-{subject_number}.pdf"


class Assembler:
    """Builds the bundle (one merged PDF, or a ZIP) in a thread of its own while the next block renders:
    the coordinator mostly waits on the rendering processes meanwhile."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._writer = PdfWriter() if fmt == "pdf" else None
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED) if fmt == "zip" else None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle")
        self._pending: list[Future] = []

    def add(self, files: list[tuple[str, bytes]]) -> None:
        self._pending.append(self._thread.submit(self._add, files))

    def _add(self, files: list[tuple[str, bytes]]) -> None:
        for name, data in files:
            if self._writer is not None:
                self._writer.append(io.BytesIO(data))
            else:
                self._zip.writestr(name, data)  # type: ignore[union-attr]

    def result(self) -> bytes:
        for future in self._pending:
            future.result()  # re-raises a failure
        self._thread.shutdown()
        if self._writer is not None:
            out = io.BytesIO()
            self._writer.write(out)
            return out.getvalue()
        self._zip.close()  # type: ignore[union-attr]
        return self._buffer.getvalue()


def merged_pdf(pdfs: list[bytes]) -> bytes:
    assembler = Assembler("pdf")
    assembler.add([("", pdf) for pdf in pdfs])
    return assembler.result()


def zip_of(files: list[tuple[str, bytes]]) -> bytes:
    assembler = Assembler("zip")
    assembler.add(files)
    return assembler.result()
