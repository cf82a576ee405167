"""Alembic environment: the portal's own tables only, in its own version table."""

from __future__ import annotations

from alembic import context

import app.models  # noqa: F401 - registers every table on SQLModel.metadata
from app.config import PortalConfig
from app.db import make_engine
from app.migrations import VERSION_TABLE
from app.models import metadata


def include_object(obj, name, type_, reflected, compare_to):
    # A host app may share the database: never touch tables that are not the portal's.
    return type_ != "table" or name.startswith("portal_")


def run() -> None:
    engine = context.config.attributes.get("engine") or make_engine(PortalConfig.from_env().database_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A migration may rewrite a large table: the web app's bounded waits do not apply to it.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run()
