"""Content-addressed file storage in the data dir: a file is kept under its SHA-256, exactly as received,
outside the web root, and never named after a person."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_507_INSUFFICIENT_STORAGE

log = logging.getLogger(__name__)

SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
EXTENSIONS = {media: ext for _, media, ext in SIGNATURES}


def sniff(data: bytes) -> str | None:
    """The media type read from the file's first bytes (never from its name or the browser's claim)."""
    for magic, media, _ in SIGNATURES:
        if data.startswith(magic):
            return media
    return None


TEMP_PREFIX = ".upload-"
PARTIAL_GRACE = 3600
"""A ``.upload-*`` temporary older than this is left over from a write that died (a crash, a killed worker)."""
STORAGE_FULL = (
    "Penyimpanan berkas penuh atau tidak dapat ditulis; tidak ada yang tersimpan. Hubungi admin, lalu coba lagi."
)


class StorageUnavailable(HTTPException):
    """The data dir refused a write (disk full, read-only, no permission): nothing of the file is kept."""

    status_code = HTTP_507_INSUFFICIENT_STORAGE
    detail = STORAGE_FULL


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once: the same bytes land on the same path) and return its SHA-256. Raises
        ``StorageUnavailable`` when the disk is full or cannot be written, after removing what was half written."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        tmp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o440)
            os.replace(tmp, target)  # atomic: readers never see half a file
            tmp = None
        except OSError as exc:
            log.error("file store %s cannot be written: %s", self.root, exc)
            raise StorageUnavailable() from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def digests(self):
        """Every stored file's SHA-256 (the upload temporaries excluded)."""
        for path in self.root.glob("??/??/*"):
            if path.is_file() and not path.name.startswith("."):
                yield path.name

    def remove_partials(self, *, older_than: float = PARTIAL_GRACE) -> tuple[int, int]:
        """Delete ``.upload-*`` temporaries left by writes that died more than ``older_than`` seconds ago (a
        write in progress is younger); returns how many and their size."""
        deadline = time.time() - older_than
        count = size = 0
        for path in self.root.glob(f"??/??/{TEMP_PREFIX}*"):
            try:
                stat = path.stat()
                if stat.st_mtime < deadline:
                    path.unlink()
                    count, size = count + 1, size + stat.st_size
            except OSError:  # gone meanwhile, or not removable now: the next sweep tries again
                continue
        return count, size

    def modified_at(self, sha256: str) -> float:
        return self.path_for(sha256).stat().st_mtime

    def delete(self, sha256: str) -> int:
        """Remove a stored file; returns its size (0 when it was already gone)."""
        path = self.path_for(sha256)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size
