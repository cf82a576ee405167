"""Portal configuration: read once from the environment, with safe defaults."""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
STATIC_DIR = REPO_ROOT / "static"

_SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
_TRUE = {"1", "true", "yes", "on"}


def _normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip().strip("/")
    return "" if prefix == "/" else prefix


@dataclass
class PortalConfig:
    """Everything the portal needs to run, whether standalone or mounted in a host app."""

    database_url: str | None = None
    """SQLAlchemy URL. Defaults to an SQLite file in ``data_dir``."""
    data_dir: Path = field(default_factory=lambda: REPO_ROOT / "var")
    secret_key: str | None = None
    """Signs CSRF tokens. Generated once and kept in ``data_dir`` when not given."""
    timezone: str = "Asia/Jakarta"
    path_prefix: str = ""
    """Where the portal is mounted: ``""`` (the root) standalone, e.g. ``/layanan`` inside a host app."""
    cookie_secure: bool = False
    """Send session and CSRF cookies over HTTPS only. Turn on behind TLS."""
    session_max_age: int = 12 * 3600
    """A clerk's working day; after that the clerk logs in again."""
    login_max_failures: int = 5
    login_lockout_seconds: int = 15 * 60
    login_address_max_failures: int = 20
    """Failed logins from one address (over any usernames) within ``login_lockout_seconds`` before that
    address is refused for the rest of the window: one password sprayed over many names stops there."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of the reverse proxies in front of the portal (``PORTAL_TRUSTED_PROXIES``).
    Only a request whose socket peer is one of them has its ``X-Forwarded-For`` read; anyone else's is ignored."""
    public_url: str = "http://127.0.0.1:8000"
    scan_retention_days: int = 90
    """Days a completed or rejected request's scans are kept before `litestar portal purge-scans` deletes them."""
    redis_url: str | None = None
    """Redis for the job queue when several servers share the work; default: huey's SQLite file in data_dir."""
    job_processes: int = 2
    """Processes that render a batch's letters in parallel (WeasyPrint is not thread-safe)."""
    threads: int = 10
    """Threads per server process for sync handlers, and as many again for other blocking work (sessions,
    uploads, letters) (``PORTAL_THREADS``). The database pool holds one connection for each of them, so a
    thread never waits for a connection. On PostgreSQL keep processes × (2 × this + 5) under ``max_connections``."""
    reload_templates: bool = False
    """Re-read a template when its file changes (for template work); off, templates are read once."""

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        self.path_prefix = _normalise_prefix(self.path_prefix)
        ZoneInfo(self.timezone)  # fail early on a misspelt zone
        if self.scan_retention_days < 1:
            raise ValueError("scan_retention_days must be at least 1")
        self.trusted_proxies = tuple(str(ipaddress.ip_network(p.strip(), strict=False)) for p in self.trusted_proxies)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'portal.sqlite3'}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> PortalConfig:
        """Build the configuration from ``PORTAL_*`` environment variables (documented in the README)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("PORTAL_DATABASE_URL"):
            values["database_url"] = env["PORTAL_DATABASE_URL"]
        if env.get("PORTAL_DATA_DIR"):
            values["data_dir"] = Path(env["PORTAL_DATA_DIR"])
        if env.get("PORTAL_SECRET_KEY"):
            values["secret_key"] = env["PORTAL_SECRET_KEY"]
        if env.get("PORTAL_TIMEZONE"):
            values["timezone"] = env["PORTAL_TIMEZONE"]
        if env.get("PORTAL_PATH_PREFIX"):
            values["path_prefix"] = env["PORTAL_PATH_PREFIX"]
        if env.get("PORTAL_COOKIE_SECURE"):
            values["cookie_secure"] = env["PORTAL_COOKIE_SECURE"].strip().lower() in _TRUE
        if env.get("PORTAL_SCAN_RETENTION_DAYS"):
            values["scan_retention_days"] = int(env["PORTAL_SCAN_RETENTION_DAYS"])
        if env.get("PORTAL_REDIS_URL"):
            values["redis_url"] = env["PORTAL_REDIS_URL"]
        if env.get("PORTAL_JOB_PROCESSES"):
            values["job_processes"] = max(1, int(env["PORTAL_JOB_PROCESSES"]))
        if env.get("PORTAL_THREADS"):
            values["threads"] = max(2, int(env["PORTAL_THREADS"]))
        if env.get("PORTAL_RELOAD_TEMPLATES"):
            values["reload_templates"] = env["PORTAL_RELOAD_TEMPLATES"].strip().lower() in _TRUE
        if env.get("PORTAL_TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(p for p in env["PORTAL_TRUSTED_PROXIES"].split(",") if p.strip())
        if env.get("PORTAL_PUBLIC_URL"):
            values["public_url"] = env["PORTAL_PUBLIC_URL"].rstrip("/")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p) for p in self.trusted_proxies)

    def resolved_secret_key(self) -> str:
        """The configured secret, or the one generated on first start and kept in the data dir (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / _SECRET_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # O_EXCL: when two workers start at once, exactly one writes the key and both read it.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
        for _ in range(50):  # the writing worker may not have flushed yet
            key = path.read_text().strip()
            if key:
                self.secret_key = key
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it and start again")

    def url(self, path: str) -> str:
        """A portal path under the mount prefix: ``url('/login')`` → ``/layanan/login``."""
        return f"{self.path_prefix}{path}" if path.startswith("/") else f"{self.path_prefix}/{path}"
