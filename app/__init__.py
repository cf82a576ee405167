"""Pelaku Para Dewi: population-administration requests from village clerks to Dukcapil, as a Litestar plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.config import PortalConfig
from app.plugin import PortalPlugin

if TYPE_CHECKING:
    from litestar import Litestar


def create_app() -> Litestar:
    """The standalone app (what ``litestar run`` finds from the repository root)."""
    from app.main import create_app as _create_app

    return _create_app()


__all__ = ["PortalConfig", "PortalPlugin", "create_app"]
