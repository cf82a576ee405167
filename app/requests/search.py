"""Searching by a whole NIK without the number ever appearing in an address.

A list searched by NIK is reached through a short-lived search id kept in the user's server-side session:
the address bar, the pager and export links, the access log and the audit log see ``cari=<id>``, never the
number. The search form is sent as a POST body for the same reason."""

from __future__ import annotations

import secrets
import time
from typing import Any

SESSION_KEY = "_nik_searches"
LIFETIME_SECONDS = 2 * 3600
"""How long a search link keeps working (a morning's work over one list)."""
KEPT = 10
"""Searches remembered per session; older ones are forgotten first."""


def remember(request: Any, nik: str) -> str:
    """A search id for ``nik`` in this user's session (the same id when it is searched again)."""
    now = time.time()
    session = dict(request.session or {})
    searches = {k: v for k, v in session.get(SESSION_KEY, {}).items() if now - v[1] < LIFETIME_SECONDS}
    search_id = next((k for k, (value, _) in searches.items() if value == nik), None) or secrets.token_urlsafe(9)
    searches[search_id] = [nik, now]
    session[SESSION_KEY] = dict(sorted(searches.items(), key=lambda item: item[1][1])[-KEPT:])
    request.set_session(session)
    return search_id


def recall(request: Any, search_id: str) -> str | None:
    """The NIK searched under ``search_id`` in this session, while it is fresh."""
    entry = (request.session or {}).get(SESSION_KEY, {}).get(search_id)
    if not entry or time.time() - entry[1] >= LIFETIME_SECONDS:
        return None
    return entry[0]
