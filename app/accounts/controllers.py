"""Login, logout, the user's own password, and user management by the regency admin. Thin: parse, call
the service, render."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from sqlmodel import Session

from app.accounts import service
from app.accounts.guards import SESSION_EPOCH_KEY, SESSION_USER_KEY, require_role
from app.accounts.models import ROLE_LABELS, Role
from app.accounts.sessions import rotate_session
from app.regions.service import districts_in_scope, villages_in_scope
from app.web import DbSession, FormData, Pages, Renderer, Settings, client_ip, flash, redirect


def _safe_next(config: Settings, value: str | None) -> str:
    """Only a path inside the portal: never an open redirect to another site."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    prefix = config.path_prefix
    if prefix and value.startswith(prefix):
        value = value[len(prefix) :] or "/"
    return value


class AuthController(Controller):
    path = "/"

    @get("/login", opt={"public": True}, sync_to_thread=False)
    def login_form(
        self,
        request: Request,
        renderer: Pages,
        config: Settings,
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Response[Any]:
        if request.scope.get("user") is not None:
            return redirect(config, "/")
        return renderer.page(request, "accounts/login.html", {"form": {}, "error": None, "next": next_ or ""})

    @post("/login", opt={"public": True}, sync_to_thread=True)
    def login(
        self, request: Request, data: FormData, db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        try:
            user = service.authenticate(
                db_session,
                data.get("username", ""),
                data.get("password", ""),
                max_failures=config.login_max_failures,
                lockout_seconds=config.login_lockout_seconds,
                address_max_failures=config.login_address_max_failures,
                ip=client_ip(request),
            )
        except service.LoginError as err:
            return renderer.page(
                request,
                "accounts/login.html",
                {"form": {"username": data.get("username", "")}, "error": err.message, "next": data.get("next", "")},
                status_code=err.status_code,
            )
        rotate_session(request)
        request.set_session({SESSION_USER_KEY: user.id, SESSION_EPOCH_KEY: user.session_epoch})
        flash(request, f"Selamat datang, {user.full_name}.")
        return redirect(config, _safe_next(config, data.get("next")))

    @post("/logout", opt={"public": True}, sync_to_thread=False)
    def logout(self, request: Request, config: Settings) -> Response[Any]:
        request.clear_session()
        return redirect(config, "/login")

    @get("/akun/kata-sandi", sync_to_thread=False)
    def password_form(self, request: Request, renderer: Pages) -> Response[Any]:
        return renderer.page(request, "accounts/password.html", {"errors": {}})

    @post("/akun/kata-sandi", sync_to_thread=True)
    def change_password(
        self, request: Request, data: FormData, db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        user = request.scope["user"]
        errors = service.change_own_password(
            db_session, user.id, data.get("current", ""), data.get("new", ""), data.get("repeat", "")
        )
        if errors:
            return renderer.page(request, "accounts/password.html", {"errors": errors}, status_code=400)
        # Other sessions end (the epoch moved on); this one carries the new epoch.
        rotate_session(request)
        request.set_session({SESSION_USER_KEY: user.id, SESSION_EPOCH_KEY: user.session_epoch + 1})
        flash(request, "Kata sandi berhasil diganti. Sesi di perangkat lain sudah diakhiri.")
        return redirect(config, "/")


class UserAdminController(Controller):
    """The regency admin manages the users of their regency."""

    path = "/admin/pengguna"
    guards = [require_role(Role.ADMIN)]

    def _form_context(self, db_session: DbSession, admin: Any) -> dict[str, Any]:
        return {
            "roles": [(r.value, ROLE_LABELS[r]) for r in Role],
            "districts": districts_in_scope(db_session, admin),
            "villages": villages_in_scope(db_session, admin),
            "regency_code": admin.region_code,
            "regency_name": admin.region_names.get(admin.region_code, admin.region_code),
        }

    def _detail_page(
        self,
        request: Request,
        renderer: Renderer,
        db_session: Session,
        user: Any,
        errors: dict[str, str] | None = None,
        attempt: dict[str, str] | None = None,
    ) -> Response[Any]:
        """The user's page; with errors, shown again (400) with the admin's attempt kept in the form."""
        context = {
            "target": user,
            "errors": errors or {},
            "role_labels": ROLE_LABELS,
            "locked_until": service.login_locked_until(db_session, user),
            **self._form_context(db_session, request.scope["user"]),
        }
        if attempt is not None:
            context["attempt"] = attempt
        return renderer.page(request, "accounts/user_detail.html", context, status_code=400 if errors else 200)

    @get("/", sync_to_thread=True)
    def list_users(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        admin = request.scope["user"]
        users = service.users_in_scope(db_session, admin)
        return renderer.page(
            request,
            "accounts/users.html",
            {
                "users": users,
                "locked": service.locked_usernames(db_session, users),
                "role_labels": ROLE_LABELS,
                **self._form_context(db_session, admin),
            },
        )

    @get("/baru", sync_to_thread=True)
    def new_user_form(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        admin = request.scope["user"]
        return renderer.page(
            request,
            "accounts/user_new.html",
            {"form": service.UserForm(), "errors": {}, **self._form_context(db_session, admin)},
        )

    @post("/baru", sync_to_thread=True)
    def create_user(
        self, request: Request, data: FormData, db_session: DbSession, renderer: Pages, config: Settings
    ) -> Response[Any]:
        admin = request.scope["user"]
        form = service.UserForm.from_mapping(data)
        errors = service.validate_new_user(db_session, form, admin.scope)
        if errors:
            form.password = ""  # never echo a password back into the page
            return renderer.page(
                request,
                "accounts/user_new.html",
                {"form": form, "errors": errors, **self._form_context(db_session, admin)},
                status_code=400,
            )
        user = service.create_user(db_session, form, actor=admin, ip=client_ip(request))
        flash(request, f"Pengguna {user.username} berhasil dibuat.")
        return redirect(config, f"/admin/pengguna/{user.id}")

    @get("/{user_id:int}", sync_to_thread=True)
    def show_user(
        self, request: Request, user_id: FromPath[int], db_session: DbSession, renderer: Pages
    ) -> Response[Any]:
        user = service.get_user_in_scope(db_session, request.scope["user"], user_id)
        return self._detail_page(request, renderer, db_session, user)

    @post("/{user_id:int}/buka-kunci", sync_to_thread=True)
    def unlock(
        self, request: Request, user_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> Response[Any]:
        """Lift the lock-out after failed logins (the user phoned; the admin knows who they are)."""
        admin = request.scope["user"]
        user = service.get_user_in_scope(db_session, admin, user_id)
        if service.unlock_login(db_session, user, actor=admin, ip=client_ip(request)):
            flash(request, f"Kunci akun {user.username} sudah dibuka; ia dapat langsung masuk lagi.")
        else:
            flash(request, f"Akun {user.username} tidak sedang terkunci.", "info")
        return redirect(config, f"/admin/pengguna/{user_id}")

    @post("/{user_id:int}/aktif", sync_to_thread=True)
    def set_active(
        self, request: Request, user_id: FromPath[int], data: FormData, db_session: DbSession, config: Settings
    ) -> Response[Any]:
        admin = request.scope["user"]
        user = service.get_user_in_scope(db_session, admin, user_id)
        active = data.get("active") == "1"
        if not active and user.id == admin.id:
            flash(request, "Anda tidak dapat menonaktifkan akun Anda sendiri.", "error")
        else:
            service.set_active(db_session, user, active, actor=admin, ip=client_ip(request))
            flash(
                request,
                f"Akun {user.username} "
                + ("diaktifkan kembali." if active else "dinonaktifkan; semua sesinya sudah diakhiri."),
            )
        return redirect(config, f"/admin/pengguna/{user_id}")

    @post("/{user_id:int}/kata-sandi", sync_to_thread=True)
    def reset_password(
        self,
        request: Request,
        user_id: FromPath[int],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        admin = request.scope["user"]
        user = service.get_user_in_scope(db_session, admin, user_id)
        problem = service.reset_password(db_session, user, data.get("password", ""), actor=admin, ip=client_ip(request))
        if problem:
            return self._detail_page(request, renderer, db_session, user, {"password": problem})
        flash(
            request,
            f"Kata sandi {user.username} sudah diganti; semua sesi dan token API-nya dicabut. "
            "Sampaikan kata sandi baru secara langsung.",
        )
        return redirect(config, f"/admin/pengguna/{user_id}")

    @post("/{user_id:int}/wilayah", sync_to_thread=True)
    def assign_scope(
        self,
        request: Request,
        user_id: FromPath[int],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        admin = request.scope["user"]
        user = service.get_user_in_scope(db_session, admin, user_id)
        if user.id == admin.id and data.get("role") != Role.ADMIN:
            flash(request, "Anda tidak dapat mencabut peran admin dari akun Anda sendiri.", "error")
            return redirect(config, f"/admin/pengguna/{user_id}")
        errors = service.assign_scope(
            db_session,
            user,
            data.get("role", ""),
            data.get("region_code", ""),
            admin_scope=admin.scope,
            actor=admin,
            ip=client_ip(request),
        )
        if errors:
            return self._detail_page(request, renderer, db_session, user, errors, attempt=data)
        flash(request, f"Peran dan wilayah tugas {user.username} sudah diperbarui.")
        return redirect(config, f"/admin/pengguna/{user_id}")
