"""Pelaku Para Dewi: population-administration requests from village clerks to Dukcapil, as a Litestar plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar import Litestar

    from app.config import PortalConfig
    from app.plugin import PortalPlugin


def create_app() -> Litestar:
    """The standalone app (what ``litestar run`` finds from the repository root)."""
    from app.main import create_app as _create_app

    return _create_app()


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that a small child process (the spreadsheet reader) importing one module of
    # the package does not load the whole web app.
    if name == "PortalConfig":
        from app.config import PortalConfig

        return PortalConfig
    if name == "PortalPlugin":
        from app.plugin import PortalPlugin

        return PortalPlugin
    raise AttributeError(f"module 'app' has no attribute {name!r}")


__all__ = ["PortalConfig", "PortalPlugin", "create_app"]
