"""``litestar portal …``: migrate, seed, users and regions from the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
from litestar import Litestar
from litestar.cli._utils import LitestarGroup
from sqlmodel import select

from app import migrations
from app.accounts import service as accounts
from app.accounts.models import ROLE_LABELS, Role, User
from app.accounts.tokens import ApiToken, create_token, revoke
from app.catalog.service import ensure_all as ensure_catalogues
from app.plugin import get_plugin
from app.regions import service as regions


@click.group(cls=LitestarGroup, name="portal")
def portal_group() -> None:
    """Pelaku Para Dewi: database, demo data, users and regions."""


@portal_group.command("migrate")
def migrate(app: Litestar) -> None:
    """Create or upgrade the portal's tables (safe to run again)."""
    engine = get_plugin(app).db.engine
    before = migrations.current_revision(engine)
    migrations.upgrade(engine)
    after = migrations.current_revision(engine)
    if before == after:
        click.echo(f"Database already at revision {after}; nothing to do.")
    else:
        click.echo(f"Database migrated from {before or 'empty'} to {after}.")


@portal_group.command("revision")
@click.argument("message")
def revision(app: Litestar, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from alembic import command

    command.revision(migrations.alembic_config(get_plugin(app).db.engine), message=message, autogenerate=True)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    region_code: str
    password: str


# Printed in the README; created only by `seed --demo`, never by a migration.
DEMO_USERS = [
    DemoUser("desa.kenanten", "Siti Rahmawati", Role.CLERK, "35.16.11.2017", "Demo-Desa-2026"),
    DemoUser("desa.sumbergirang", "Agus Prasetyo", Role.CLERK, "35.16.11.2009", "Demo-Desa-2026"),
    DemoUser("kec.puri", "Bambang Sutrisno", Role.DISTRICT, "35.16.11", "Demo-Kecamatan-2026"),
    DemoUser("kec.trowulan", "Dewi Lestari", Role.DISTRICT, "35.16.12", "Demo-Kecamatan-2026"),
    DemoUser("dinas.mojokerto", "Hendra Wijaya", Role.DINAS, "35.16", "Demo-Dinas-2026"),
    DemoUser("admin.mojokerto", "Rina Kusumawati", Role.ADMIN, "35.16", "Demo-Admin-2026"),
]


@portal_group.command("seed")
@click.option("--demo", is_flag=True, help="Create the demo users (one or two per role) for Kabupaten Mojokerto.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed(app: Litestar, demo: bool, if_empty: bool) -> None:
    """Seed data: the Mojokerto regions come with the migrations; --demo adds demo users."""
    if not demo:
        raise click.UsageError("nothing to seed: pass --demo for the demo users")
    with get_plugin(app).db.session() as session:
        if if_empty and session.exec(select(User.id)).first() is not None:
            click.echo("Users already exist; demo data not added.")
            return
        regions.load_regency(session, "35.16")
        ensure_catalogues(session)
        for demo_user in DEMO_USERS:
            if accounts.find_user(session, demo_user.username):
                click.echo(f"  {demo_user.username}: already there")
                continue
            form = accounts.UserForm(
                demo_user.username, demo_user.full_name, demo_user.role.value, demo_user.region_code, demo_user.password
            )
            errors = accounts.validate_new_user(session, form, None)
            if errors:
                raise click.ClickException(f"{demo_user.username}: {errors}")
            accounts.create_user(session, form, actor=None)
            click.echo(f"  {demo_user.username} ({ROLE_LABELS[demo_user.role]}): created")
    click.echo("Demo data ready. Passwords are listed in the README.")


@portal_group.command("purge-scans")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_scans(app: Litestar, dry_run: bool) -> None:
    """Delete the scans of requests completed or rejected more than PORTAL_SCAN_RETENTION_DAYS ago (run daily)."""
    from app.attachments.controllers import file_store
    from app.attachments.retention import purge_scans as purge

    plugin = get_plugin(app)
    days = plugin.config.scan_retention_days
    with plugin.db.session() as session:
        result = purge(session, file_store(plugin.config), retention_days=days, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    summary = f"Retention {days} days: {verb} {result.files} scans of {result.requests} requests"
    summary += f" ({result.bytes / 1024 / 1024:.1f} MB)"
    summary += "." if dry_run else f"; {result.blobs} stored files removed, {result.partials} half-written uploads."
    click.echo(summary + f" Rows copied by {result.imports} older spreadsheet imports {verb}.")


@portal_group.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at the same time.")
def worker(app: Litestar, threads: int) -> None:
    """Run the background jobs (a batch's letters as one download). `make run` starts it with the server."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    get_plugin(app).jobs.consumer(workers=threads).run()


@portal_group.group("signing", cls=LitestarGroup)
def signing_group() -> None:
    """Certificates (PKCS#12) of the officials who sign letters electronically, per office."""


@signing_group.command("set")
@click.argument("office_code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passphrase-stdin", is_flag=True, help="Read the file's passphrase from standard input.")
def signing_set(app: Litestar, office_code: str, file: Path, passphrase_stdin: bool) -> None:
    """Letters issued by OFFICE_CODE (a village or district code) are signed with FILE from now on."""
    from app.letters.signing import install_certificate

    plugin = get_plugin(app)
    with plugin.db.session() as session:
        if regions.get_region(session, office_code) is None:
            raise click.ClickException(f"unknown office code {office_code}")
    passphrase = sys.stdin.readline().rstrip("\n").encode() if passphrase_stdin else b""
    try:
        subject = install_certificate(plugin.config, office_code, file.read_bytes(), passphrase)
    except Exception as exc:
        raise click.ClickException(f"the certificate could not be used: {exc}") from exc
    click.echo(f"Letters of {office_code} are now signed by: {subject}")


@signing_group.command("remove")
@click.argument("office_code")
def signing_remove(app: Litestar, office_code: str) -> None:
    """Stop signing OFFICE_CODE's letters (they carry the QR code only)."""
    from app.letters.signing import certificate_paths

    for path in certificate_paths(get_plugin(app).config, office_code):
        path.unlink(missing_ok=True)
    click.echo(f"Letters of {office_code} are no longer signed electronically.")


@portal_group.group("user", cls=LitestarGroup)
def user_group() -> None:
    """Manage user accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--region", "region_code", required=True, help="Dotted Kemendagri code, e.g. 35.16.11.2001.")
@click.option("--name", "full_name", help="Full name (defaults to the username).")
@click.option("--password", help="The initial password.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(
    app: Litestar,
    username: str,
    role: str,
    region_code: str,
    full_name: str | None,
    password: str | None,
    password_stdin: bool,
) -> None:
    """Create a user with a role and a region scope."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.UsageError("give --password or --password-stdin")
    form = accounts.UserForm(username, full_name or username, role, region_code.strip(), password)
    with get_plugin(app).db.session() as session:
        errors = accounts.validate_new_user(session, form, None)
        if errors:
            raise click.ClickException("; ".join(f"{field}: {msg}" for field, msg in errors.items()))
        user = accounts.create_user(session, form, actor=None)
        click.echo(f"Created {user.username} ({ROLE_LABELS[Role(user.role)]}, {user.region_code}).")


@user_group.command("list")
def user_list(app: Litestar) -> None:
    """List every user with role, region and state."""
    with get_plugin(app).db.session() as session:
        users = session.exec(select(User).order_by(User.username)).all()
        click.echo(f"{'USERNAME':<24} {'ROLE':<9} {'REGION':<14} {'ACTIVE':<6} NAME")
        for u in users:
            click.echo(
                f"{u.username:<24} {u.role:<9} {u.region_code:<14} {'yes' if u.is_active else 'no':<6} {u.full_name}"
            )


def _set_active(app: Litestar, username: str, active: bool) -> None:
    with get_plugin(app).db.session() as session:
        user = accounts.find_user(session, username)
        if user is None:
            raise click.ClickException(f"no user {username}")
        accounts.set_active(session, user, active, actor=None)
        click.echo(f"{user.username} is now {'active' if active else 'deactivated (sessions ended)'}.")


@user_group.command("deactivate")
@click.argument("username")
def user_deactivate(app: Litestar, username: str) -> None:
    """Deactivate a user and end their sessions."""
    _set_active(app, username, False)


@user_group.command("activate")
@click.argument("username")
def user_activate(app: Litestar, username: str) -> None:
    """Reactivate a user."""
    _set_active(app, username, True)


@portal_group.group("regions", cls=LitestarGroup)
def regions_group() -> None:
    """Load regions (provinces, regencies, districts, villages)."""


@regions_group.command("load")
@click.argument("code")
def regions_load(app: Litestar, code: str) -> None:
    """Load a regency from the national Kemendagri list, e.g. 35.15 (Sidoarjo)."""
    with get_plugin(app).db.session() as session:
        try:
            result = regions.load_regency(session, code.strip())
        except LookupError as err:
            raise click.ClickException(str(err)) from err
        ensure_catalogues(session)
    click.echo(f"Regency {code}: {result.inserted} regions added, {result.updated} updated.")


@regions_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def regions_import(app: Litestar, file: Path) -> None:
    """Import regions from a CSV of code,name rows (dotted codes; parents before or beside children)."""
    with get_plugin(app).db.session() as session:
        result = regions.import_csv(session, file)
        ensure_catalogues(session)
    if result.errors:
        for error in result.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(f"{len(result.errors)} row(s) rejected; nothing was imported.")
    click.echo(f"{result.inserted} regions added, {result.updated} updated.")


@portal_group.group("token", cls=LitestarGroup)
def token_group() -> None:
    """API tokens for village information systems."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="API", help="What the token is for, e.g. OpenSID Desa Kenanten.")
def token_create(app: Litestar, username: str, name: str) -> None:
    """Create a token for USERNAME; the token is printed once, alone on the last line."""
    with get_plugin(app).db.session() as session:
        user = accounts.find_user(session, username)
        if user is None or not user.is_active:
            raise click.ClickException(f"no active user {username}")
        token, plain = create_token(session, user, name)
        click.echo(f"Token {token.id} ({token.name}) for {user.username}. Keep it secret; it is not shown again.")
        click.echo(plain)


@token_group.command("list")
def token_list(app: Litestar) -> None:
    """Every token with its user, start and state (never the token itself)."""
    with get_plugin(app).db.session() as session:
        rows = session.exec(select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id))
        click.echo(f"{'ID':<5} {'USER':<24} {'STARTS':<12} {'STATE':<8} NAME")
        for token, user in rows.all():
            state = "revoked" if token.revoked_at else "active"
            click.echo(f"{token.id:<5} {user.username:<24} {token.hint:<12} {state:<8} {token.name}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(app: Litestar, token_id: int) -> None:
    """Revoke a token by its ID (see `token list`)."""
    with get_plugin(app).db.session() as session:
        if revoke(session, token_id) is None:
            raise click.ClickException(f"no token {token_id}")
    click.echo(f"Token {token_id} revoked.")
