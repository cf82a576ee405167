"""Reading an uploaded spreadsheet in a child process with a memory and a time ceiling.

The reader (calamine) is native code working on hostile files: a sheet can make it allocate far more than
the file's size, and a failed allocation aborts the whole process. So the web process never parses a
workbook itself: a fresh child does, with ``RLIMIT_AS`` and ``RLIMIT_CPU`` set and a wall-clock limit, and
sends back the table (or the reason for refusing it). A child that runs out of memory or time is a file
refused with a reason; the server keeps answering.
"""

from __future__ import annotations

import logging
import resource
import subprocess
import sys
import threading
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import msgspec

from app.imports.reader import DAMAGED, FileProblem, Table, check_upload_size, read_table

MEMORY_LIMIT = 1024 * 1024 * 1024
"""Address space of a reading child: 210 MB is Python with calamine loaded, a 10,000-row sheet needs ~150 MB."""
CPU_SECONDS = 20
"""CPU time of a reading child; a 10,000-row sheet takes under one second."""
WALL_SECONDS = 40
READERS = 2
"""Children reading at once (one per core); further uploads wait for a free one, at most ``QUEUE_SECONDS``."""
QUEUE_SECONDS = 30

TOO_COMPLEX = (
    "Berkas terlalu besar atau terlalu rumit untuk diperiksa (melebihi batas memori atau waktu pemeriksaan). "
    "Salin datanya ke templat baru (Tempel Spesial → Nilai), simpan, lalu unggah lagi."
)
BUSY = "Server sedang memeriksa berkas lain. Tunggu sebentar lalu unggah lagi."

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = (
    f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); from app.imports.isolation import child_main; child_main()"
)
_slots = threading.BoundedSemaphore(READERS)
log = logging.getLogger(__name__)


def read_table_isolated(file_name: str, data: bytes) -> Table:
    """``read_table`` run in a child process with a memory and time ceiling; raises ``FileProblem``."""
    extension = check_upload_size(file_name, data)
    if not _slots.acquire(timeout=QUEUE_SECONDS):
        raise FileProblem(BUSY)
    try:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and code; the file goes through stdin
            [sys.executable, "-c", _CHILD, extension, str(MEMORY_LIMIT), str(CPU_SECONDS)],
            input=data,
            capture_output=True,
            timeout=WALL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        log.warning("spreadsheet reader stopped after %s s", exc.timeout)
        raise FileProblem(TOO_COMPLEX) from exc
    finally:
        _slots.release()
    if completed.returncode != 0:
        # Killed by its limits (SIGABRT on a failed allocation, SIGXCPU, SIGKILL). Its stderr may quote the
        # file's contents, so only the exit status is logged.
        log.warning("spreadsheet reader ended with status %s", completed.returncode)
        raise FileProblem(TOO_COMPLEX)
    try:
        answer = msgspec.msgpack.decode(completed.stdout)
    except msgspec.DecodeError as exc:
        raise FileProblem(TOO_COMPLEX) from exc
    if "problem" in answer:
        raise FileProblem(answer["problem"])
    table = answer["table"]
    return Table(
        header=table["header"],
        header_row=table["header_row"],
        rows=[(number, [_decode_cell(c) for c in cells]) for number, cells in table["rows"]],
        sheet=table["sheet"],
    )


def _encode_cell(cell: Any) -> Any:
    # Cells are text, numbers, booleans, dates, date-times and times; the last three travel tagged.
    if isinstance(cell, datetime):
        return ["datetime", cell.isoformat()]
    if isinstance(cell, date):
        return ["date", cell.isoformat()]
    if isinstance(cell, time):
        return ["time", cell.isoformat()]
    return cell


def _decode_cell(cell: Any) -> Any:
    if isinstance(cell, list):
        kind, text = cell
        return {"datetime": datetime, "date": date, "time": time}[kind].fromisoformat(text)
    return cell


def child_main() -> None:
    """The child: limits first, then the file from stdin, the answer to stdout as msgpack."""
    extension, memory, cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    data = sys.stdin.buffer.read()
    try:
        table = read_table("upload" + extension, data)
        answer: dict[str, Any] = {
            "table": {
                "header": table.header,
                "header_row": table.header_row,
                "rows": [(number, [_encode_cell(c) for c in cells]) for number, cells in table.rows],
                "sheet": table.sheet,
            }
        }
    except FileProblem as problem:
        answer = {"problem": str(problem)}
    except MemoryError:
        answer = {"problem": TOO_COMPLEX}
    except Exception:
        answer = {"problem": DAMAGED}
    sys.stdout.buffer.write(msgspec.msgpack.encode(answer))
