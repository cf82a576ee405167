"""The standalone app: ``litestar run`` from the repository root serves it."""

from __future__ import annotations

import os

from litestar import Litestar, Request, Response
from litestar.exceptions import MethodNotAllowedException, NotFoundException

from app.api.controllers import api_error
from app.config import PortalConfig
from app.plugin import PortalPlugin
from app.web import Renderer, make_error_handler


def create_app(config: PortalConfig | None = None) -> Litestar:
    config = config or PortalConfig.from_env()
    # Unknown URLs never reach the portal's routers, so the standalone app answers them as the portal does:
    # the JSON error body under the API's prefix, the Indonesian page elsewhere (404, and 405 for a wrong method).
    page_not_found = make_error_handler(config, Renderer(config))
    api_prefix = config.url("/api/")

    def not_found(request: Request, exc: Exception) -> Response:
        return api_error(request, exc) if request.url.path.startswith(api_prefix) else page_not_found(request, exc)

    return Litestar(
        plugins=[PortalPlugin(config)],
        exception_handlers={NotFoundException: not_found, MethodNotAllowedException: not_found},
    )


def _server_trusts_only_our_proxies(config: PortalConfig) -> None:
    """uvicorn (what ``litestar run`` starts) replaces the client address with the one in X-Forwarded-For
    for every peer in ``FORWARDED_ALLOW_IPS``, which defaults to 127.0.0.1: any local process could pose as
    any address, and rate limits would count nothing. Unless the operator set that variable, the server
    trusts exactly the portal's own proxies (``PORTAL_TRUSTED_PROXIES``; none by default). Set here, before
    ``litestar run`` configures uvicorn, and inherited by its worker processes."""
    os.environ.setdefault("FORWARDED_ALLOW_IPS", ",".join(config.trusted_proxies))


_config = PortalConfig.from_env()
_server_trusts_only_our_proxies(_config)
app = create_app(_config)
