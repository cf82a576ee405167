"""Rules for accounts: signing in with lock-out, the current user, and user management by an admin."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import ROLE_LABELS, ROLE_REGION_LEVEL, LoginThrottle, Role, User
from app.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.accounts.scope import Scope, get_in_scope, scope_filter, scope_for
from app.accounts.tokens import revoke_all_of
from app.audit.service import record
from app.cache import reference_cache
from app.db import utcnow
from app.notifications.models import Notification
from app.ratelimit import blocked_until, hit
from app.regions.models import Region
from app.regions.service import region_path

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

MSG_WRONG = "Nama pengguna atau kata sandi salah."
MSG_EMPTY = "Isi nama pengguna dan kata sandi."
MSG_INACTIVE = "Akun Anda sudah dinonaktifkan. Hubungi admin Dispendukcapil untuk mengaktifkannya kembali."


def msg_locked(minutes: int) -> str:
    return (
        f"Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. Silakan coba lagi dalam {minutes} menit, "
        "atau minta admin Dispendukcapil membuka kunci akun Anda."
    )


def msg_address_limited(minutes: int) -> str:
    return f"Terlalu banyak percobaan masuk yang gagal dari jaringan ini. Silakan coba lagi dalam {minutes} menit."


class LoginError(Exception):
    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _minutes_until(moment: datetime) -> int:
    return max(1, int((moment - utcnow()).total_seconds() // 60) + 1)


def _address_key(ip: str | None) -> str:
    return f"login-ip:{ip}"


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:64]


def _note_failure(session: Session, username: str, max_failures: int, lockout: timedelta) -> bool:
    """Count a failed login for ``username``; returns True when this failure locks it."""
    now = utcnow()
    for _ in range(3):  # two first failures of one name at once: the loser retries as an update
        throttle = session.get(LoginThrottle, username, with_for_update=True)
        if throttle is None:
            throttle = LoginThrottle(username=username, failures=0)
            session.add(throttle)
        throttle.failures += 1
        throttle.last_failure_at = now
        locked = throttle.failures >= max_failures
        if locked:
            throttle.locked_until = now + lockout
            throttle.failures = 0
        try:
            session.flush()
            return locked
        except IntegrityError:
            session.rollback()
    return False


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout_seconds: int = 900,
    address_max_failures: int = 20,
    ip: str | None = None,
) -> User:
    """Check a username and password; raises ``LoginError`` with the message to show.

    Unknown names are throttled like real ones and cost the same hashing time, and the wrong-password
    message is the same for both, so nothing tells whether a username exists. Failures are also counted
    per address over every name: past ``address_max_failures`` in ``lockout_seconds`` that address is
    refused (429) until the window ends, whatever it types.
    """
    name = normalise_username(username)
    if not name or not password:
        raise LoginError(MSG_EMPTY)
    now = utcnow()
    address_key = _address_key(ip)
    if until := blocked_until(session, address_key, limit=address_max_failures, window_seconds=lockout_seconds):
        record(session, actor=None, action="login.address_limited", object_type="user", object_id=name, ip=ip)
        session.commit()
        raise LoginError(msg_address_limited(_minutes_until(until)), status_code=429)
    throttle = session.get(LoginThrottle, name)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = _minutes_until(throttle.locked_until)
        record(session, actor=None, action="login.locked", object_type="user", object_id=name, ip=ip)
        session.commit()
        raise LoginError(msg_locked(min(minutes, lockout_seconds // 60)))
    user = session.exec(select(User).where(User.username == name)).first()
    if not verify_password(user.password_hash if user else None, password):
        locked = _note_failure(session, name, max_failures, timedelta(seconds=lockout_seconds))
        record(
            session,
            actor=None,
            action="login.failed",
            object_type="user",
            object_id=name,
            ip=ip,
            changes={"locked": locked},
        )
        session.commit()
        hit(session, address_key, limit=address_max_failures, window_seconds=lockout_seconds)
        raise LoginError(msg_locked(lockout_seconds // 60) if locked else MSG_WRONG)
    assert user is not None
    if not user.is_active:
        record(session, actor=user, action="login.inactive", object_type="user", object_id=user.id, ip=ip)
        session.commit()
        raise LoginError(MSG_INACTIVE)
    if throttle:
        session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    record(
        session,
        actor=user,
        action="login.success",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        ip=ip,
    )
    session.commit()
    return user


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as handlers and templates see it: a snapshot, not a live database row."""

    id: int
    username: str
    full_name: str
    role: Role
    region_code: str
    session_epoch: int
    scope_label: str
    region_names: dict[str, str] = field(default_factory=dict)
    unread: int = 0
    """Unread notifications, for the counter in the header."""

    @property
    def scope(self) -> Scope:
        return scope_for(self)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def is_(self, *roles: Role) -> bool:
        return self.role in roles


def describe_scope(role: Role, path: list[Region]) -> str:
    """'Petugas Desa Kenanten, Kec. Puri', 'Operator Kecamatan Puri', 'Dispendukcapil Kabupaten Mojokerto'."""
    by_level = {r.level: r for r in path}
    regency = by_level.get(2)
    district = by_level.get(3)
    village = by_level.get(4)
    if role == Role.CLERK and village and district:
        return f"Petugas {village.kind.capitalize()} {village.name}, Kec. {district.name}"
    if role == Role.DISTRICT and district:
        return f"Operator Kecamatan {district.name}"
    if role == Role.DINAS and regency:
        return f"Dispendukcapil {regency.name}"
    if role == Role.ADMIN and regency:
        return f"Admin {regency.name}"
    return ROLE_LABELS[role]


@reference_cache()
def _scope_description(session: Session, role: Role, region_code: str) -> tuple[str, dict[str, str]]:
    """The scope label and region names for a role and region (read on every request; callers must not
    change the dict)."""
    path = region_path(session, region_code)
    return describe_scope(role, path), {r.code: r.name for r in path}


def load_current_user(session: Session, user_id: int, epoch: int) -> CurrentUser | None:
    """The user behind a session, or None when the account is gone, inactive, or the session was revoked.

    Read on every request: one plain SELECT of the columns needed, with the unread count as a subquery."""
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    row = session.exec(
        select(  # type: ignore[call-overload]
            User.id,
            User.username,
            User.full_name,
            User.role,
            User.region_code,
            User.is_active,
            User.session_epoch,
            unread,
        ).where(User.id == user_id)
    ).first()
    if row is None or not row.is_active or row.session_epoch != epoch:
        return None
    role = Role(row.role)
    label, names = _scope_description(session, role, row.region_code)
    return CurrentUser(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        role=role,
        region_code=row.region_code,
        session_epoch=row.session_epoch,
        scope_label=label,
        region_names=names,
        unread=row[-1],
    )


# --- user management -------------------------------------------------------------------------------


@dataclass
class UserForm:
    """What an admin typed into the user form; kept as typed so an error never loses it."""

    username: str = ""
    full_name: str = ""
    role: str = ""
    region_code: str = ""
    password: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, str]) -> UserForm:
        return cls(
            **{k: str(data.get(k, "") or "").strip() for k in ("username", "full_name", "role", "region_code")},
            password=str(data.get("password", "") or ""),
        )


def _check_scope_fields(session: Session, role: str, region_code: str, admin_scope: Scope | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        role_value = Role(role)
    except ValueError:
        errors["role"] = "Pilih peran pengguna."
        return errors
    region = session.get(Region, region_code) if region_code else None
    if region is None or (admin_scope is not None and not admin_scope.covers(region.code)):
        errors["region_code"] = "Pilih wilayah tugas yang ada di kabupaten Anda."
    elif region.level != ROLE_REGION_LEVEL[role_value]:
        wanted = {4: "desa/kelurahan", 3: "kecamatan", 2: "kabupaten"}[ROLE_REGION_LEVEL[role_value]]
        errors["region_code"] = f"Peran {ROLE_LABELS[role_value]} harus ditugaskan ke satu {wanted}."
    return errors


def validate_new_user(session: Session, form: UserForm, admin_scope: Scope | None) -> dict[str, str]:
    """Errors by field name (Indonesian), empty when the new user can be created."""
    errors: dict[str, str] = {}
    username = normalise_username(form.username)
    if not USERNAME_RE.match(username):
        errors["username"] = "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung."
    elif session.exec(select(User.id).where(User.username == username)).first() is not None:
        errors["username"] = "Nama pengguna ini sudah dipakai."
    if not form.full_name:
        errors["full_name"] = "Isi nama lengkap."
    elif len(form.full_name) > 100:
        errors["full_name"] = "Nama lengkap paling banyak 100 karakter."
    errors.update(_check_scope_fields(session, form.role, form.region_code, admin_scope))
    if problem := password_problem(form.password):
        errors["password"] = problem
    return errors


def create_user(session: Session, form: UserForm, *, actor: object | None, ip: str | None = None) -> User:
    """Create a user from a form that ``validate_new_user`` accepted."""
    user = User(
        username=normalise_username(form.username),
        full_name=form.full_name,
        role=Role(form.role).value,
        region_code=form.region_code,
        password_hash=hash_password(form.password),
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        changes={"username": user.username, "role": user.role, "region_code": user.region_code},
        ip=ip,
    )
    session.commit()
    return user


def _end_sessions(user: User) -> None:
    """Every session of the user carries the old epoch and is refused from the next request on."""
    user.session_epoch += 1
    user.updated_at = utcnow()


def set_active(session: Session, user: User, active: bool, *, actor: object | None, ip: str | None = None) -> None:
    """Deactivate (ending every session of the user at once) or reactivate an account."""
    if user.is_active == active:
        return
    user.is_active = active
    _end_sessions(user)
    record(
        session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        ip=ip,
    )
    session.commit()


def reset_password(
    session: Session, user: User, password: str, *, actor: object | None, ip: str | None = None
) -> str | None:
    """Set a new password and sign the user out everywhere: sessions end and API tokens are revoked (a
    reset is how an admin takes back an account someone else may know the password of). Returns an
    error message or None."""
    if problem := password_problem(password):
        return problem
    user.password_hash = hash_password(password)
    _end_sessions(user)
    revoke_all_of(session, user, actor=actor, reason="password_reset", ip=ip)
    session.merge(LoginThrottle(username=user.username, failures=0, locked_until=None))
    record(
        session,
        actor=actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        ip=ip,
    )
    session.commit()
    return None


def login_locked_until(session: Session, user: User) -> datetime | None:
    """Until when the user's name is locked out after failed logins, or None."""
    throttle = session.get(LoginThrottle, user.username)
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= utcnow():
        return None
    return throttle.locked_until


def locked_usernames(session: Session, users: list[User]) -> set[str]:
    """Which of ``users`` are locked out now (one query, for the user list)."""
    names = [u.username for u in users]
    if not names:
        return set()
    rows = session.exec(
        select(LoginThrottle.username).where(LoginThrottle.username.in_(names), LoginThrottle.locked_until > utcnow())
    )
    return set(rows)


def unlock_login(session: Session, user: User, *, actor: object | None, ip: str | None = None) -> bool:
    """An admin lifts the lock-out of a user of their scope (the caller loads ``user`` through
    ``get_user_in_scope``); returns False when the user was not locked."""
    until = login_locked_until(session, user)
    if until is None:
        return False
    throttle = session.get(LoginThrottle, user.username)
    session.delete(throttle)
    record(
        session,
        actor=actor,
        action="user.unlock",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        changes={"locked_until": until.isoformat()},
        ip=ip,
    )
    session.commit()
    return True


def change_own_password(session: Session, user_id: int, current: str, new: str, repeat: str) -> dict[str, str]:
    """A user changes their own password; other sessions of theirs end. Returns errors by field."""
    user = session.get(User, user_id)
    assert user is not None
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current"] = "Kata sandi saat ini salah."
    if problem := password_problem(new):
        errors["new"] = problem
    elif new != repeat:
        errors["repeat"] = "Ulangi kata sandi baru dengan sama persis."
    if errors:
        return errors
    user.password_hash = hash_password(new)
    _end_sessions(user)
    record(
        session,
        actor=user,
        action="user.password_change",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
    )
    session.commit()
    return {}


def assign_scope(
    session: Session,
    user: User,
    role: str,
    region_code: str,
    *,
    admin_scope: Scope | None,
    actor: object | None,
    ip: str | None = None,
) -> dict[str, str]:
    """Change a user's role and region; returns errors by field, empty on success."""
    errors = _check_scope_fields(session, role, region_code, admin_scope)
    if errors:
        return errors
    changes = {}
    if user.role != role:
        changes["role"] = [user.role, role]
    if user.region_code != region_code:
        changes["region_code"] = [user.region_code, region_code]
    if changes:
        user.role, user.region_code = role, region_code
        user.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action="user.scope",
            object_type="user",
            object_id=user.id,
            region_code=region_code,
            changes=changes,
            ip=ip,
        )
        session.commit()
    return {}


def users_in_scope(session: Session, admin: object) -> list[User]:
    return list(
        session.exec(
            select(User).where(scope_filter(admin, User.region_code, include_self=True)).order_by(User.username)
        )
    )


def get_user_in_scope(session: Session, admin: object, user_id: int) -> User:
    return get_in_scope(session, User, user_id, admin, "region_code")


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == normalise_username(username))).first()
