"""The standalone app: ``litestar run`` from the repository root serves it."""

from __future__ import annotations

from litestar import Litestar
from litestar.exceptions import NotFoundException

from app.config import PortalConfig
from app.plugin import PortalPlugin
from app.web import Renderer, make_error_handler


def create_app(config: PortalConfig | None = None) -> Litestar:
    config = config or PortalConfig.from_env()
    # Unknown URLs never reach the portal router, so the standalone app shows the portal's 404 page too.
    not_found = make_error_handler(config, Renderer(config))
    return Litestar(plugins=[PortalPlugin(config)], exception_handlers={NotFoundException: not_found})


app = create_app()
