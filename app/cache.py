"""Per-process caches for reference data read on almost every page (region names, service names, scope
labels). Such data changes rarely and only through an admin or a CLI import; five minutes of staleness in
other worker processes is acceptable, and every entry is kept per database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import TTLCache, cached
from cachetools.keys import hashkey

REFERENCE_TTL = 300.0

F = TypeVar("F", bound=Callable[..., Any])


def _key(session: Any, *args: Any, **kwargs: Any) -> tuple:
    return hashkey(str(session.get_bind().url), *args, **kwargs)


def reference_cache(maxsize: int = 4096) -> Callable[[F], F]:
    """Decorates ``func(session, *args)``; the result must be immutable (tuples, frozen dataclasses)."""

    def decorate(func: F) -> F:
        return cached(TTLCache(maxsize, REFERENCE_TTL), key=_key, lock=threading.Lock())(func)  # type: ignore[return-value]

    return decorate
