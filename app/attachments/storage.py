"""Content-addressed file storage in the data dir: a file is kept under its SHA-256, exactly as received,
outside the web root, and never named after a person."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

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


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once: the same bytes land on the same path) and return its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o440)
            os.replace(tmp, target)  # atomic: readers never see half a file
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def digests(self):
        """Every stored file's SHA-256 (the upload temporaries excluded)."""
        for path in self.root.glob("??/??/*"):
            if path.is_file() and not path.name.startswith("."):
                yield path.name

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
