"""A file store that really cannot be written, without patching the code under test.

As root (the test machines and CI run as root, where a read-only mode bit stops nothing), the store's folder gets
a tiny tmpfs mounted over it and filled up: writes fail with ENOSPC, exactly as on a full disk, and a write
larger than what is left stops half-way, leaving a real partial ``.upload-*`` file unless the store removes it.
Where mounting is not allowed, the store's folder is replaced by a plain file: creating its sub-folders fails
with ENOTDIR (no partial file can exist then)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _mount_tmpfs(root: Path, size: int) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(root)], capture_output=True
    )
    return done.returncode == 0


def _fill(root: Path, leave: int) -> None:
    """Take all the space but ``leave`` bytes."""
    total = os.statvfs(root).f_blocks * os.statvfs(root).f_frsize
    fd = os.open(root / ".filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        remaining = total - leave
        while remaining > 0:
            remaining -= os.write(fd, b"\0" * min(remaining, 64 * 1024))
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


@contextmanager
def unwritable_store(root: Path, *, free: int = 0) -> Iterator[str]:
    """While inside, the file store at ``root`` refuses writes; yields how ("ENOSPC" or "ENOTDIR"). With ``free``,
    that many bytes are left, so a bigger file is cut off half-way."""
    root.mkdir(parents=True, exist_ok=True)
    if _mount_tmpfs(root, 256 * 1024):
        try:
            _fill(root, free)
            yield "ENOSPC"
        finally:
            subprocess.run(["umount", str(root)], check=True)
        return
    aside = root.with_name(root.name + ".aside")
    root.rename(aside)
    root.write_bytes(b"")  # a file where the store's folder should be
    try:
        yield "ENOTDIR"
    finally:
        root.unlink()
        aside.rename(root)


def partial_uploads(root: Path) -> list[Path]:
    """Half-written temporaries anywhere in the store (``root`` a folder)."""
    return sorted(root.rglob(".upload-*")) if root.is_dir() else []
