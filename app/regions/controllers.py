"""Region pages: districts and villages within the user's scope, and the village profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.letters.service import preview_receipt
from app.regions import service
from app.regions.models import LEVEL_VILLAGE
from app.web import DbSession, FormData, Pages, Settings, client_ip, flash, redirect


def _may_edit_profile(user: Any, region_code: str) -> bool:
    # The office's own clerk or district operator keeps its profile; the regency admin may correct any.
    own = user.role in (Role.CLERK, Role.DISTRICT) and user.region_code == region_code
    return own or user.role == Role.ADMIN


class RegionController(Controller):
    path = "/wilayah"

    @get("/", guards=[require_role(Role.DINAS, Role.ADMIN, Role.DISTRICT)], sync_to_thread=True)
    def districts(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        summaries = service.districts_in_scope(db_session, user)
        return renderer.page(
            request,
            "regions/districts.html",
            {
                "summaries": summaries,
                "total_villages": sum(s.villages for s in summaries),
                "total_kelurahan": sum(s.kelurahan for s in summaries),
            },
        )

    @get("/kecamatan/{code:str}", sync_to_thread=True)
    def district(self, request: Request, code: FromPath[str], db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        district = service.get_district_in_scope(db_session, user, code)
        villages = service.villages_in_scope(db_session, user, district.code)
        clerks = service.clerks_by_village(db_session, user, district.code)
        return renderer.page(request, "regions/district.html", self._district_context(user, district, villages, clerks))

    def _district_context(self, user: Any, district: Any, villages: Any, clerks: Any, **extra: Any) -> dict[str, Any]:
        return {
            "district": district,
            "villages": villages,
            "clerks": clerks,
            "can_edit": _may_edit_profile(user, district.code),
            "fields": service.PROFILE_FIELDS,
            "errors": {},
            "form": None,
            **extra,
        }

    @post("/kecamatan/{code:str}", sync_to_thread=True)
    def update_district(
        self,
        request: Request,
        code: FromPath[str],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        """The district's profile (kop and signer of its review letters): its operator or the admin."""
        user = request.scope["user"]
        district = service.get_district_in_scope(db_session, user, code)

        def error_page(errors: dict[str, str]) -> Response[Any]:
            villages = service.villages_in_scope(db_session, user, district.code)
            clerks = service.clerks_by_village(db_session, user, district.code)
            context = self._district_context(user, district, villages, clerks, errors=errors, form=data)
            return renderer.page(request, "regions/district.html", context, status_code=400)

        return self._save_profile(request, db_session, config, district, data, error_page)

    def _save_profile(
        self, request: Request, db_session: Any, config: Any, region: Any, data: dict[str, str], error_page: Any
    ) -> Response[Any]:
        """Check and save a village's or a district's profile; the form comes back with its errors."""
        user = request.scope["user"]
        noun, keeper = ("desa", "petugas desa itu") if region.level == LEVEL_VILLAGE else ("kecamatan", "operatornya")
        if not _may_edit_profile(user, region.code):
            raise PermissionDeniedException(f"Profil {noun} hanya dapat diubah oleh {keeper} atau admin.")
        values, errors = service.validate_profile(data)
        if errors:
            return error_page(errors)
        changes = service.update_profile(db_session, region, values, actor=user, ip=client_ip(request))
        flash(
            request,
            f"Profil {noun} tersimpan." if changes else "Tidak ada perubahan.",
            "success" if changes else "info",
        )
        return redirect(config, f"/wilayah/{noun}/{region.code}")

    @get("/kecamatan/{code:str}/pratinjau-surat.pdf", sync_to_thread=True)
    def district_letter_preview(
        self, request: Request, code: FromPath[str], db_session: DbSession, config: Settings
    ) -> Response[bytes]:
        district = service.get_district_in_scope(db_session, request.scope["user"], code)
        return self._preview(db_session, config, district.code)

    def _preview(self, db_session: Any, config: Any, code: str) -> Response[bytes]:
        body = preview_receipt(db_session, config, code, today=datetime.now(config.tz).date())
        return Response(
            body,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="contoh-surat-{code}.pdf"'},
        )

    @get("/desa/{code:str}", sync_to_thread=True)
    def village(self, request: Request, code: FromPath[str], db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        village = service.get_village_in_scope(db_session, user, code)
        path = service.region_path(db_session, village.code)
        return renderer.page(
            request,
            "regions/village.html",
            {
                "village": village,
                "path": path,
                "errors": {},
                "form": None,
                "can_edit": _may_edit_profile(user, village.code),
                "fields": service.PROFILE_FIELDS,
            },
        )

    @get("/desa/{code:str}/pratinjau-surat.pdf", sync_to_thread=True)
    def letter_preview(
        self, request: Request, code: FromPath[str], db_session: DbSession, config: Settings
    ) -> Response[bytes]:
        """A sample receipt with the village's current profile, to check the kop and the signature block."""
        village = service.get_village_in_scope(db_session, request.scope["user"], code)
        return self._preview(db_session, config, village.code)

    @post("/desa/{code:str}", sync_to_thread=True)
    def update_village(
        self,
        request: Request,
        code: FromPath[str],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        user = request.scope["user"]
        village = service.get_village_in_scope(db_session, user, code)

        def error_page(errors: dict[str, str]) -> Response[Any]:
            context = {
                "village": village,
                "path": service.region_path(db_session, village.code),
                "errors": errors,
                "form": data,
                "can_edit": True,
                "fields": service.PROFILE_FIELDS,
            }
            return renderer.page(request, "regions/village.html", context, status_code=400)

        return self._save_profile(request, db_session, config, village, data, error_page)
