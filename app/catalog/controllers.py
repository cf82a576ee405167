"""The regency admin's catalogue: switch services on/off, edit requirement texts and targets."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.accounts.scope import get_in_scope
from app.catalog import service
from app.catalog.models import Service
from app.web import DbSession, FormData, Pages, Settings, client_ip, flash, redirect


class CatalogController(Controller):
    path = "/admin/layanan"
    guards = [require_role(Role.ADMIN)]

    @get("/", sync_to_thread=True)
    def list_services(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        return renderer.page(
            request,
            "catalog/list.html",
            {
                "services": service.services_for(db_session, user.region_code, only_active=False),
            },
        )

    @get("/{service_id:int}", sync_to_thread=True)
    def edit_form(
        self, request: Request, service_id: FromPath[int], db_session: DbSession, renderer: Pages
    ) -> Response[Any]:
        svc = get_in_scope(db_session, Service, service_id, request.scope["user"], "regency_code")
        return renderer.page(
            request,
            "catalog/edit.html",
            {
                "svc": svc,
                "definition": service.definition(svc.code),
                "errors": {},
                "form": None,
            },
        )

    @post("/{service_id:int}", sync_to_thread=True)
    def update(
        self,
        request: Request,
        service_id: FromPath[int],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        user = request.scope["user"]
        svc = get_in_scope(db_session, Service, service_id, user, "regency_code")
        errors = service.update_service(
            db_session,
            svc,
            active=data.get("active") == "1",
            target_days=data.get("target_days", ""),
            requirements=data.get("requirements", ""),
            actor=user,
            ip=client_ip(request),
        )
        if errors:
            return renderer.page(
                request,
                "catalog/edit.html",
                {
                    "svc": svc,
                    "definition": service.definition(svc.code),
                    "errors": errors,
                    "form": data,
                },
                status_code=400,
            )
        flash(request, f"Layanan {svc.name} tersimpan.")
        return redirect(config, "/admin/layanan/")
