"""Shared web plumbing: the portal's own Jinja environment, page rendering, flash messages, redirects,
security headers and error pages. Controllers call these; nothing here knows a domain rule."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Annotated, Any, TypeAlias

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import Message, Scope
from litestar.utils.scope.state import ScopeState
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.config import STATIC_DIR, TEMPLATES_DIR, PortalConfig
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


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


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
    413: "Berkas terlalu besar",
    429: "Terlalu banyak permintaan",
    500: "Terjadi kesalahan pada sistem",
}
ERROR_TEXTS = {
    400: "Data yang dikirim tidak sesuai. Periksa kembali isian Anda lalu coba lagi.",
    403: "Anda tidak berwenang melakukan tindakan ini.",
    404: "Data atau halaman yang Anda cari tidak ada, atau berada di luar wilayah tugas Anda.",
    405: "Halaman ini tidak dapat dibuka dengan cara tersebut.",
    409: "Data sudah diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
    413: "Berkas yang dikirim melebihi batas ukuran.",
    429: "Tunggu sebentar sebelum mencoba lagi.",
    500: "Maaf, permintaan Anda gagal diproses. Silakan coba lagi; bila berulang, hubungi admin.",
}
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
        if isinstance(exc, OperationalError) and "locked" in str(exc):
            status = 409  # SQLite: another user's change won the race; nothing of this one was written
        if status == 500:
            request.logger.exception("unhandled error on %s", request.url.path)
        text = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
        detail = getattr(exc, "detail", "") or ""
        if status == 403 and "csrf" in detail.lower():
            text = CSRF_TEXT
        elif (
            status in (400, 403, 404, 409)
            and detail
            and detail.isprintable()
            and not detail.startswith(
                ("Not Found", "No ", "Validation failed", "Forbidden", "Bad Request", "Permission denied")
            )
        ):
            text = detail  # the portal's own Indonesian message; the framework's English ones are replaced
        if request.headers.get("accept", "").startswith("application/json"):
            return Response({"status_code": status, "detail": text}, status_code=status)
        try:
            return renderer.page(
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
        except Exception:  # the error page itself must never fail
            request.logger.exception("error page failed")
            return Response(text, media_type=MediaType.TEXT, status_code=status)

    return handle


# Handler parameters name their dependencies explicitly (implicit injection is deprecated in Litestar 2.24).
DbSession: TypeAlias = NamedDependency[Session]
Pages: TypeAlias = NamedDependency[Renderer]
Settings: TypeAlias = NamedDependency[PortalConfig]
FormData: TypeAlias = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
