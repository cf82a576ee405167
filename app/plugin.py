"""The Litestar plugin: mounts the whole portal (routes, templates, static files, database, sessions, CSRF,
CLI) into any Litestar app under a path prefix, adding to the host's configuration and replacing none of it."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
from click import Group
from litestar import Router
from litestar.concurrency import get_asyncio_executor, set_asyncio_executor
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.plugins import CLIPlugin, InitPlugin
from litestar.plugins.htmx import HTMXRequest
from litestar.static_files import create_static_files_router

from app import logs
from app.accounts.controllers import AuthController, UserAdminController
from app.accounts.guards import CurrentUserMiddleware, require_login
from app.accounts.sessions import DatabaseStore, PortalSessionConfig, SessionBoundCSRFMiddleware
from app.api.controllers import build_api_router
from app.attachments.controllers import download, remove, upload_output, upload_scan
from app.batches.controllers import BatchController
from app.catalog.controllers import CatalogController
from app.config import STATIC_DIR, PortalConfig
from app.dashboard.controllers import home
from app.db import Database
from app.imports.controllers import ImportController
from app.jobs.controllers import download_job, show_job, start_bundle
from app.jobs.queue import JobQueue
from app.letters.controllers import (
    LetterSettingsController,
    download_letter,
    issue_batch_letters,
    issue_request_letters,
    revoke_letter,
    verify_page,
    verify_upload,
)
from app.notifications.controllers import notifications
from app.public.controllers import status_check, status_form
from app.regions.controllers import RegionController
from app.requests.controllers import RequestController
from app.web import TRUSTED_PROXIES_OPT, Renderer, check_input, make_error_handler, make_security_headers_hook

ROUTE_HANDLERS = [
    AuthController,
    UserAdminController,
    RegionController,
    RequestController,
    BatchController,
    CatalogController,
    ImportController,
    home,
    notifications,
    status_form,
    status_check,
    upload_scan,
    upload_output,
    download,
    remove,
    issue_request_letters,
    issue_batch_letters,
    download_letter,
    revoke_letter,
    verify_page,
    verify_upload,
    LetterSettingsController,
    start_bundle,
    show_job,
    download_job,
]


class PortalPlugin(InitPlugin, CLIPlugin):
    """``Litestar(plugins=[PortalPlugin(PortalConfig(path_prefix="/layanan"))])``."""

    def __init__(self, config: PortalConfig | None = None) -> None:
        logs.install()
        self.config = config or PortalConfig.from_env()
        self._db: Database | None = None
        self._jobs: JobQueue | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.config.database_url, threads=self.config.threads)  # type: ignore[arg-type]
        return self._db

    @property
    def jobs(self) -> JobQueue:
        """The background job queue (huey); `litestar portal worker` runs its consumer."""
        if self._jobs is None:
            self._jobs = JobQueue(self.config, self.db)
        return self._jobs

    def build_router(self, host_csrf: CSRFConfig | None = None) -> Router:
        """The portal's own router: every page, with its guards, dependencies and middleware.

        The portal checks its own CSRF token; when the host app has CSRF protection of its own, the
        portal's routes opt out of the host's check (the token they carry is the portal's)."""
        config, db = self.config, self.db
        renderer = Renderer(config)
        cookie_path = config.path_prefix or "/"
        store = DatabaseStore(db)
        session_config = PortalSessionConfig(
            key="portal_session",
            max_age=config.session_max_age,
            httponly=True,
            samesite="lax",
            secure=config.cookie_secure,
            path=cookie_path,
            renew_on_access=False,
        )
        # The store is handed over directly: the host's store registry is left alone.
        session_config.get_store_from_app = lambda _app: store  # type: ignore[method-assign]
        csrf_config = CSRFConfig(
            secret=config.resolved_secret_key(),
            cookie_name="portal_csrftoken",
            cookie_path=cookie_path,
            cookie_secure=config.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            exclude_from_csrf_key="portal_exclude_from_csrf",
        )
        opt: dict[str, Any] = {"portal": True, TRUSTED_PROXIES_OPT: config.trusted_networks}
        if host_csrf is not None:
            opt[host_csrf.exclude_from_csrf_key] = True

        error_handler = make_error_handler(config, renderer)
        return Router(
            path=config.path_prefix or "/",
            route_handlers=ROUTE_HANDLERS,
            middleware=[
                session_config.middleware,
                CurrentUserMiddleware(db),
                DefineMiddleware(SessionBoundCSRFMiddleware, config=csrf_config, session_key=session_config.key),
            ],
            guards=[require_login],
            before_request=check_input,
            dependencies={
                "db_session": Provide(db.request_session),
                "renderer": Provide(lambda: renderer, sync_to_thread=False, use_cache=True),
                "config": Provide(lambda: config, sync_to_thread=False, use_cache=True),
                "jobs": Provide(lambda: self.jobs, sync_to_thread=False, use_cache=True),
            },
            request_class=HTMXRequest,
            exception_handlers={HTTPException: error_handler, Exception: error_handler},
            opt=opt,
            include_in_schema=False,
        )

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        if get_asyncio_executor() is None:
            # Litestar runs sync handlers on the event loop's default executor unless told otherwise; its size
            # (CPU count + 4) then decides how many requests hold connections. A host's own executor is kept.
            with contextlib.suppress(RuntimeError):  # an app built inside a running loop keeps the default
                set_asyncio_executor(ThreadPoolExecutor(self.config.threads, thread_name_prefix="portal"))
        static_router = create_static_files_router(
            path=self.config.url("/static"),
            directories=[STATIC_DIR],
            name="portal_static",
            opt={"portal": True},
            include_in_schema=False,
            # URLs carry a content hash (?v=), so browsers may keep files for a year.
            cache_control=CacheControlHeader(max_age=31536000, public=True),
        )
        app_config.route_handlers.extend(
            [
                self.build_router(app_config.csrf_config),
                build_api_router(self.config, self.db, lambda: self.jobs, host_csrf=app_config.csrf_config),
                static_router,
            ]
        )
        app_config.before_send.append(make_security_headers_hook(self.config))
        app_config.on_startup.append(self._startup)
        app_config.on_shutdown.append(self._shutdown)
        return app_config

    def _startup(self) -> None:
        from app import migrations

        # Threads and pooled connections are sized together (PortalConfig.threads): other blocking work (anyio's
        # default limiter, shared with the host app) gets as many threads as sync handlers.
        anyio.to_thread.current_default_thread_limiter().total_tokens = self.db.threads

        engine = self.db.engine
        current, head = migrations.current_revision(engine), migrations.head_revision(engine)
        if current != head:
            raise RuntimeError(
                f"the portal's database is at revision {current or 'empty'}, the code needs {head}: "
                "run `litestar portal migrate` first"
            )
        DatabaseStore(self.db).delete_expired()

    def _shutdown(self) -> None:
        if self._db is not None:
            self._db.dispose()

    def on_cli_init(self, cli: Group) -> None:
        from app.cli import portal_group

        cli.add_command(portal_group)


def get_plugin(app: Any) -> PortalPlugin:
    """The portal plugin registered on a Litestar app (for CLI commands)."""
    plugin = app.plugins.get(PortalPlugin)
    if plugin is None:  # pragma: no cover - only when the CLI runs against an app without the portal
        raise RuntimeError("this Litestar app does not use PortalPlugin")
    return plugin
