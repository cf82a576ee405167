"""Shared web plumbing: the portal's own Jinja environment, page rendering, flash messages, redirects,
security headers and error pages. Controllers call these; nothing here knows a domain rule."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from functools import lru_cache
from typing import Annotated, Any, TypeAlias

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import Message, Scope
from litestar.utils.scope.state import ScopeState
from sqlmodel import Session

from app.config import STATIC_DIR, TEMPLATES_DIR, PortalConfig
from app.db import is_busy_error, is_out_of_range_error
from app.navigation import nav_for

# No inline script or style anywhere: htmx is configured by a <meta> tag and never evaluates strings.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


@lru_cache(maxsize=256)
def _static_version(path: str) -> str:
    file = STATIC_DIR / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"


def date_id(value: Any, with_time: bool = False, tz: Any = None) -> str:
    """'23 November 2026' (with ', 14.05' when asked), in the portal's time zone."""
    if value is None:
        return "–"
    if tz is not None and getattr(value, "tzinfo", None) is not None:
        value = value.astimezone(tz)
    text = f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"
    if with_time and hasattr(value, "hour"):
        text += f", {value.hour:02d}.{value.minute:02d}"
        if value.tzinfo is not None:
            text += f" {value.tzname()}"  # WIB, WITA or WIT
    return text


def _csrf_token(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""  # outside the portal router there is none


class Renderer:
    """The portal's own Jinja environment, so a host app's template engine is never touched."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship with the code: no file check on every render (a restart picks up changes).
            auto_reload=config.reload_templates,
        )
        self.env.globals.update(url=config.url, static=self.static_url, config=config)
        self.env.filters["date_id"] = lambda v, with_time=False: date_id(v, with_time, config.tz)

    def static_url(self, path: str) -> str:
        return f"{self.config.url('/static/' + path)}?v={_static_version(path)}"

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        partial: str | None = None,
    ) -> Response[str]:
        """Render a full page, or only ``partial`` when htmx asks for a part of it (not a boosted click)."""
        user = request.scope.get("user")
        ctx = {
            "request": request,
            "user": user,
            "nav": nav_for(user),
            "current_path": request.url.path,
            "csrf_token": _csrf_token(request),
            "flashes": pop_flashes(request),
            **(context or {}),
        }
        htmx = getattr(request, "htmx", None)
        if partial and htmx and not htmx.boosted:
            template = partial
        html = self.env.get_template(template).render(ctx)
        return Response(html, media_type=MediaType.HTML, status_code=status_code, headers={"vary": "HX-Request"})

    def fragment(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(context)


def flash(request: Request, message: str, category: str = "success") -> None:
    """Queue a message for the next page this user sees (categories: success, error, info)."""
    session = dict(request.session or {})
    session["_flash"] = [*session.get("_flash", []), [category, message]]
    request.set_session(session)


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    if "session" not in request.scope:
        return []
    session = request.session
    if not session or "_flash" not in session:
        return []
    remaining = dict(session)
    messages = remaining.pop("_flash")
    request.set_session(remaining)
    return [tuple(m) for m in messages]  # type: ignore[misc]


def redirect(config: PortalConfig, path: str) -> Response[Any]:
    """303 after a POST; htmx follows it too, and boosted forms get the page they expect."""
    return Redirect(config.url(path), status_code=HTTP_303_SEE_OTHER)


TRUSTED_PROXIES_OPT = "portal_trusted_proxies"
"""Route option (set on the portal's routers) holding ``PortalConfig.trusted_networks``."""


def _address(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One X-Forwarded-For entry as an address: ``203.0.113.7``, ``203.0.113.7:5040``, ``[2001:db8::1]:80``."""
    hop = hop.strip()
    if hop.startswith("["):
        hop = hop[1 : hop.find("]")] if "]" in hop else ""
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None


def client_ip(request: Request) -> str | None:
    """The address a request came from, for rate limits and the audit log.

    The socket's peer, unless that peer is one of the configured reverse proxies (``PORTAL_TRUSTED_PROXIES``):
    then the nearest address in ``X-Forwarded-For`` that is not one of those proxies, read from the right,
    since a client can write anything to the left of what the proxies appended. Nobody else's header counts."""
    peer = request.client.host if request.client else None
    networks = request.route_handler.opt.get(TRUSTED_PROXIES_OPT) if "route_handler" in request.scope else None
    peer_address = _address(peer) if peer and networks else None
    if peer_address is None or not any(peer_address in net for net in networks):
        return peer
    hops = ",".join(request.headers.getall("x-forwarded-for", [])).split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # garbage where a proxy should have written an address: keep the last proxy
            break
        peer = str(address)
        if not any(address in net for net in networks):
            break
    return peer


MAX_ID = 2**31 - 1
"""Ids are PostgreSQL ``integer`` columns: anything larger (or not a number) names no row."""
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
NUL_TEXT = "Isian berisi karakter kosong (NUL) yang tidak sah. Hapus karakter itu lalu kirim lagi."


def parse_id(value: Any) -> int | None:
    """An id from a form or query (``"12"`` → 12); None for ``abc``, ``1e5``, ``-1``, 0 or beyond ``MAX_ID``."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def ids_of(values: Any, limit: int) -> list[int]:
    """The valid ids among many form values (ticked rows), at most ``limit``; the others name no row."""
    return [number for value in values if (number := parse_id(value)) is not None][:limit]


async def check_input(request: Request) -> None:
    """Before every portal handler: refuse what no handler should see. Text with NUL characters (PostgreSQL
    cannot store them) in the query string, a form or a JSON body answers 422; an id in the path beyond
    what the database holds answers 404."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            raise NotFoundException()
    if b"%00" in request.scope.get("query_string", b"") or b"\x00" in request.scope.get("query_string", b""):
        raise HTTPException(status_code=422, detail=NUL_TEXT)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.content_type[0]
    if content_type == "multipart/form-data":
        form = await request.form()
        if any(isinstance(v, str) and "\x00" in v for _, v in form.multi_items()):
            raise HTTPException(status_code=422, detail=NUL_TEXT)
    elif content_type == "application/x-www-form-urlencoded":
        body = await request.body()
        if b"%00" in body or b"\x00" in body:
            raise HTTPException(status_code=422, detail=NUL_TEXT)
    elif content_type.endswith("json"):
        body = await request.body()
        if b"\x00" in body or _NUL_ESCAPE.search(body):
            raise HTTPException(status_code=422, detail=NUL_TEXT)


def make_security_headers_hook(config: PortalConfig):
    """A ``before_send`` hook adding the security headers to every response the portal sends,
    error pages included (they are sent outside the portal router's middleware)."""
    prefix = config.path_prefix

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        handler = scope.get("route_handler")
        if handler is not None:
            ours = bool(handler.opt.get("portal"))
        else:  # no route matched: a 404 under the portal's prefix (or anywhere, when mounted at the root)
            ours = scope.get("path", "").startswith(prefix + "/") or not prefix
        if not ours:
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value

    return add_security_headers


ERROR_TITLES = {
    400: "Permintaan tidak dapat diproses",
    401: "Silakan masuk terlebih dahulu",
    403: "Akses ditolak",
    404: "Halaman tidak ditemukan",
    405: "Cara membuka halaman ini tidak didukung",
    409: "Terjadi bentrokan data",
    422: "Isian tidak dapat diterima",
    413: "Berkas terlalu besar",
    429: "Terlalu banyak permintaan",
    500: "Terjadi kesalahan pada sistem",
    503: "Server sedang sibuk",
    507: "Penyimpanan berkas penuh",
}
ERROR_TEXTS = {
    400: "Data yang dikirim tidak sesuai. Periksa kembali isian Anda lalu coba lagi.",
    403: "Anda tidak berwenang melakukan tindakan ini.",
    404: "Data atau halaman yang Anda cari tidak ada, atau berada di luar wilayah tugas Anda.",
    405: "Halaman ini tidak dapat dibuka dengan cara tersebut.",
    409: "Data sudah diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
    422: "Sebagian isian tidak dapat diterima. Periksa kembali lalu kirim lagi.",
    413: "Berkas yang dikirim melebihi batas ukuran.",
    429: "Tunggu sebentar sebelum mencoba lagi.",
    500: "Maaf, permintaan Anda gagal diproses. Silakan coba lagi; bila berulang, hubungi admin.",
    503: "Server sedang melayani banyak permintaan sekaligus; tidak ada yang tersimpan. Coba lagi beberapa detik lagi.",
    507: (
        "Penyimpanan berkas penuh atau tidak dapat ditulis; tidak ada yang tersimpan. Hubungi admin, lalu coba lagi."
    ),
}
RETRY_AFTER_SECONDS = 5
CSRF_TEXT = (
    "Formulir ini sudah kedaluwarsa atau tidak dikirim dari halaman portal. Muat ulang halaman lalu kirim kembali."
)


def _same_site_referer(request: Request) -> str | None:
    """Where the user came from, if it was a page of this site (for the error page's "back" link)."""
    referer = request.headers.get("referer", "")
    base = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(base) :] or "/" if referer.startswith(base + "/") else None


def make_error_handler(config: PortalConfig, renderer: Renderer):
    """Turn exceptions into Indonesian pages (or a login redirect when the session is missing)."""
    login_url = config.url("/login")

    def handle(request: Request, exc: Exception) -> Response[Any]:
        if isinstance(exc, NotAuthorizedException):
            if request.headers.get("hx-request"):
                return Response("", status_code=204, headers={"HX-Redirect": login_url})
            return Redirect(login_url, status_code=HTTP_303_SEE_OTHER)
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers: dict[str, str] = {}
        if is_out_of_range_error(exc):
            status = 404
        elif is_busy_error(exc):
            # A bounded wait ran out (a lock, a connection, SQLite's writer): nothing of this request was written
            status, headers["retry-after"] = 503, str(RETRY_AFTER_SECONDS)
            request.logger.warning("busy: %s on %s", type(exc).__name__, request.url.path)
        if status == 500:
            request.logger.exception("unhandled error on %s", request.url.path)
        text = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
        detail = getattr(exc, "detail", "") or ""
        if status == 403 and "csrf" in detail.lower():
            text = CSRF_TEXT
        elif (
            status in (400, 403, 404, 409, 422)
            and detail
            and detail.isprintable()
            and not detail.startswith(
                ("Not Found", "No ", "Validation failed", "Forbidden", "Bad Request", "Permission denied")
            )
        ):
            text = detail  # the portal's own Indonesian message; the framework's English ones are replaced
        if request.headers.get("accept", "").startswith("application/json"):
            return Response({"status_code": status, "detail": text}, status_code=status, headers=headers)
        try:
            response = renderer.page(
                request,
                "errors/error.html",
                {
                    "status": status,
                    "title": ERROR_TITLES.get(status, ERROR_TITLES[500]),
                    "text": text,
                    "back": _same_site_referer(request),
                },
                status_code=status,
            )
            response.headers.update(headers)
            return response
        except Exception:  # the error page itself must never fail
            request.logger.exception("error page failed")
            return Response(text, media_type=MediaType.TEXT, status_code=status, headers=headers)

    return handle


# Handler parameters name their dependencies explicitly (implicit injection is deprecated in Litestar 2.24).
DbSession: TypeAlias = NamedDependency[Session]
Pages: TypeAlias = NamedDependency[Renderer]
Settings: TypeAlias = NamedDependency[PortalConfig]
FormData: TypeAlias = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
