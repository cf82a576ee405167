"""Starting the app against a database that was never migrated fails with a message that says what to do."""

from __future__ import annotations

import traceback

import pytest
from litestar.testing import TestClient

from app.config import PortalConfig
from app.main import create_app


def test_starting_on_an_unmigrated_database_names_the_command_to_run(tmp_path):
    app = create_app(PortalConfig(data_dir=tmp_path, secret_key="x"))
    with pytest.raises(BaseException) as failure, TestClient(app):  # the lifespan wraps it in a group
        pass
    assert "run `litestar portal migrate` first" in "".join(traceback.format_exception(failure.value))


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = PortalConfig(data_dir=tmp_path).resolved_secret_key()
    again = PortalConfig(data_dir=tmp_path).resolved_secret_key()
    assert first == again and len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert PortalConfig(data_dir=tmp_path, secret_key="given").resolved_secret_key() == "given"


def test_configuration_comes_from_the_environment_with_safe_defaults(tmp_path):
    defaults = PortalConfig.from_env({})
    assert defaults.database_url.startswith("sqlite:///") and defaults.database_url.endswith("var/portal.sqlite3")
    assert defaults.timezone == "Asia/Jakarta" and defaults.path_prefix == "" and not defaults.cookie_secure
    config = PortalConfig.from_env(
        {
            "PORTAL_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "PORTAL_DATA_DIR": str(tmp_path),
            "PORTAL_SECRET_KEY": "s",
            "PORTAL_TIMEZONE": "Asia/Makassar",
            "PORTAL_PATH_PREFIX": "layanan/",
            "PORTAL_COOKIE_SECURE": "1",
        }
    )
    assert (
        config.database_url,
        config.data_dir,
        config.secret_key,
        config.timezone,
        config.path_prefix,
        config.cookie_secure,
    ) == ("postgresql+psycopg://u@h/db", tmp_path, "s", "Asia/Makassar", "/layanan", True)
    with pytest.raises(Exception, match="Nowhere"):
        PortalConfig(timezone="Asia/Nowhere")
