"""Migrations: from an empty database to head on SQLite and PostgreSQL, idempotent, and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from app import migrations
from app.db import make_engine
from app.models import metadata


def test_it_migrates_from_empty_to_head_and_again_changes_nothing(database_url):
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision(engine)
    with engine.connect() as conn:
        before = conn.execute(text("select count(*) from portal_region")).scalar()
    migrations.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from portal_region")).scalar() == before
    engine.dispose()


def test_it_keeps_its_version_in_its_own_table_and_creates_only_portal_tables(migrated_url):
    engine = make_engine(migrated_url)
    tables = set(inspect(engine).get_table_names())
    assert "portal_alembic_version" in tables
    assert "alembic_version" not in tables  # a host app's own Alembic table stays free
    assert all(t.startswith("portal_") for t in tables)
    engine.dispose()


def test_the_models_match_the_migrations(migrated_url):
    engine = make_engine(migrated_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, metadata)
            if not str(d).startswith("('remove_table', Table('portal_alembic")
        ]
    engine.dispose()
    assert diff == []


def test_demo_users_never_come_from_a_migration(migrated_url):
    engine = make_engine(migrated_url)
    with engine.connect() as conn:
        # The test fixtures add users per test and remove them after; a fresh migration has none.
        names = {r[0] for r in conn.execute(text("select username from portal_user"))}
    engine.dispose()
    assert not names & {"desa.kenanten", "kec.puri", "dinas.mojokerto", "admin.mojokerto"}
