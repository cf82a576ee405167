"""A batch's letters as one download: the cover letter, the review result, and each request's receipt (and
completion slip when completed), issued first where missing, then merged into one PDF or put in a ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import pikepdf
from sqlmodel import Session

from app.attachments.storage import FileStore
from app.batches.models import Batch
from app.batches.service import items_of
from app.config import PortalConfig
from app.letters import service
from app.letters.models import KIND_LABELS, KIND_SLUGS, LetterKind

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


@dataclass(frozen=True)
class Entry:
    """A letter's place in a bundle, read off its row in the coordinating thread."""

    kind: LetterKind
    sha256: str
    subject_number: str

    @property
    def file_name(self) -> str:
        return f"{KIND_SLUGS[self.kind]}-{self.subject_number}.pdf"

    @property
    def bookmark(self) -> str:
        return f"{KIND_LABELS[self.kind]} {self.subject_number}"


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
    on_block: Callable[[list[Entry]], None],
) -> int:
    """Every letter of the batch, issuing the missing ones block by block: ``on_block`` receives each block's
    entries as soon as it is stored, ``progress(done, total)`` is told after each. Returns the count."""
    items = bundle_items(session, batch)
    done = 0
    progress(0, len(items))
    for start in range(0, len(items), BLOCK):
        block = items[start : start + BLOCK]
        letters = service.issue_many(session, config, store, block, actor=actor, today=today, pool=pool)
        on_block(
            [Entry(LetterKind(x.kind), x.sha256, item.subject_number) for x, item in zip(letters, block, strict=True)]
        )
        done += len(block)
        progress(done, len(items))
    return done


class Bundle:
    """One merged PDF (pikepdf, a bookmark per letter) or a ZIP of separate PDFs, put together in a thread of its
    own while the next block of letters renders."""

    def __init__(self, fmt: str, store: FileStore) -> None:
        self.fmt, self.store = fmt, store
        self._merged = pikepdf.Pdf.new() if fmt == "pdf" else None
        self._sources: list[pikepdf.Pdf] = []  # kept open until the merged file is written: its pages use them
        self._bookmarks: list[pikepdf.OutlineItem] = []
        self._buffer = io.BytesIO()
        stored = zipfile.ZIP_STORED  # not deflated: the PDFs' streams are compressed already
        self._zip = zipfile.ZipFile(self._buffer, "w", stored) if fmt == "zip" else None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle")
        self._pending: list[Future] = []

    def add(self, entries: list[Entry]) -> None:
        self._pending.append(self._thread.submit(self._add, entries))

    def _add(self, entries: list[Entry]) -> None:
        for entry in entries:
            data = self.store.get(entry.sha256)
            if self._merged is not None:
                source = pikepdf.Pdf.open(io.BytesIO(data))
                self._sources.append(source)
                self._bookmarks.append(pikepdf.OutlineItem(entry.bookmark, len(self._merged.pages)))
                self._merged.pages.extend(source.pages)
            else:
                self._zip.writestr(entry.file_name, data)  # type: ignore[union-attr]

    def discard(self) -> None:
        """After a failed job: stop the thread and let go of what was put together."""
        self._thread.shutdown(cancel_futures=True)
        for source in self._sources:
            source.close()

    def result(self) -> bytes:
        try:
            for future in self._pending:
                future.result()  # re-raises a failure
        finally:
            self._thread.shutdown()
        if self._merged is None:
            self._zip.close()  # type: ignore[union-attr]
            return self._buffer.getvalue()
        with self._merged.open_outline() as outline:
            outline.root.extend(self._bookmarks)
        out = io.BytesIO()
        self._merged.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)  # streams copied as they are
        for source in self._sources:
            source.close()
        return out.getvalue()
