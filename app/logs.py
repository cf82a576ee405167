"""No whole NIK or KK number in any log line: every log record the process makes has runs of 16 or more digits
masked (``mask_numbers``) in its message, its arguments (the access log formats its own from them) and its
traceback text."""

from __future__ import annotations

import logging
import re
from typing import Any

from app.requests.validation import mask_numbers

_LONG_NUMBER = re.compile(r"\d{16}")


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, bytes):
        return mask_numbers(value.decode("utf-8", "replace"))
    return value


def install() -> None:
    """Wrap the log record factory once per process (idempotent); it applies to every logger and handler,
    the web server's access log included, whenever they were configured."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_numbers", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.msg = _masked(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked(v) for k, v in record.args.items()}
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it itself when the record is handled
            return record
        if _LONG_NUMBER.search(message):  # a number inside an argument that is not text (a URL object…)
            record.msg, record.args = mask_numbers(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters reuse exc_text when it is set: the traceback is rendered once, masked.
            record.exc_text = mask_numbers(logging.Formatter().formatException(record.exc_info))
        return record

    factory.masks_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
