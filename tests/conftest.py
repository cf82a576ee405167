"""Test fixtures: every test runs against a real, migrated database, once on SQLite and once on PostgreSQL
(when PORTAL_TEST_POSTGRES_URL is set), through the real app with Litestar's TestClient."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.cli.main import litestar_group
from litestar.testing import TestClient
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from app import migrations
from app.accounts.models import LoginThrottle, Role, SessionRecord, User
from app.accounts.passwords import hash_password
from app.accounts.tokens import ApiToken
from app.attachments.models import Attachment
from app.audit.models import AuditEntry
from app.batches.models import Batch, BatchItem
from app.catalog.models import Service
from app.catalog.service import ensure_catalog
from app.config import PortalConfig
from app.db import make_engine
from app.imports.models import Import
from app.jobs.models import Job
from app.letters.models import Letter, LetterSettings
from app.main import create_app
from app.notifications.models import Notification
from app.ratelimit import RateLimit
from app.regions.models import Region
from app.requests.models import Request, StatusChange
from app.sequences import Counter

PG_ENV = "PORTAL_TEST_POSTGRES_URL"
PASSWORD = "Sandi-Uji-2026"
CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    """A test user: the healthchecks habit of alice and bob, widened to every role and scope."""

    username: str
    role: Role
    region_code: str
    full_name: str


# Two clerks in one district (Puri), one clerk in another (Trowulan), their district operators,
# Dukcapil staff and the admin of Kabupaten Mojokerto.
PEOPLE = {
    "alice": Person("alice", Role.CLERK, "35.16.11.2017", "Alice Kenanten"),  # Desa Kenanten, Kec. Puri
    "bob": Person("bob", Role.CLERK, "35.16.11.2009", "Bob Sumbergirang"),  # Desa Sumbergirang, Kec. Puri
    "carol": Person("carol", Role.CLERK, "35.16.12.2007", "Carol Trowulan"),  # Desa Trowulan, Kec. Trowulan
    "dave": Person("dave", Role.DISTRICT, "35.16.11", "Dave Puri"),
    "erin": Person("erin", Role.DISTRICT, "35.16.12", "Erin Trowulan"),
    "frank": Person("frank", Role.DINAS, "35.16", "Frank Dinas"),
    "grace": Person("grace", Role.ADMIN, "35.16", "Grace Admin"),
}


def _postgres_database(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL half skipped: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    yield from _postgres_database(base)


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def portal_config(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> PortalConfig:
    return PortalConfig(
        database_url=migrated_url,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key="test-secret-" + uuid.uuid4().hex,
    )


@pytest.fixture(scope="session")
def app(portal_config: PortalConfig) -> Litestar:
    return create_app(portal_config)


@pytest.fixture
def db(app: Litestar, password_hash: str) -> Iterator[Session]:
    """A session on the app's database, with the standard people present; everything a test wrote
    (users, sessions, throttles, audit, village profiles) is removed afterwards."""
    engine = app.plugins.get("PortalPlugin").db.engine
    with Session(engine, expire_on_commit=False) as session:
        session.info["portal_config"] = app.plugins.get("PortalPlugin").config
        for p in PEOPLE.values():
            session.add(
                User(
                    username=p.username,
                    full_name=p.full_name,
                    role=p.role.value,
                    region_code=p.region_code,
                    password_hash=password_hash,
                )
            )
        session.commit()
        yield session
        session.rollback()
        for model in (
            ApiToken,
            Import,
            Letter,
            LetterSettings,
            Job,
            Notification,
            RateLimit,
            Attachment,
            BatchItem,
            StatusChange,
            Request,
            Batch,
            Counter,
            SessionRecord,
            LoginThrottle,
            AuditEntry,
            User,
        ):
            session.execute(delete(model))
        session.execute(delete(Service))  # back to the shipped catalogue
        ensure_catalog(session, "35.16")
        for level in (4, 3, 2, 1):  # children before parents; the migrated Mojokerto tree stays
            session.execute(
                delete(Region).where(Region.level == level, ~Region.code.startswith("35.16"), Region.code != "35")
            )
        session.execute(
            update(Region).values(
                office_address=None,
                phone=None,
                head_title=None,
                head_name=None,
                head_nip=None,
                sign_as=None,
                signer_title=None,
                signer_name=None,
                signer_nip=None,
                updated_at=None,
            )
        )
        session.commit()


@pytest.fixture
def client(app: Litestar, db: Session) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver.local") as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, prefix: str = "") -> object:
    page = client.get(f"{prefix}/login")
    return client.post(
        f"{prefix}/login",
        data={"username": username, "password": password, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def post_form(client: TestClient, url: str, data: dict[str, str], page: str | None = None) -> object:
    """POST a form the way the browser does: with the CSRF token from a page of the portal."""
    token = csrf_from(client.get(page or "/akun/kata-sandi").text)
    return client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


@pytest.fixture
def as_user(client: TestClient):
    """Sign the client in as one of PEOPLE: ``as_user("alice")``."""

    def sign_in(name: str) -> TestClient:
        response = login(client, name)
        assert response.status_code == 303, response.text
        return client

    return sign_in


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(portal_config, db):
    """Run `litestar portal …` through Litestar's own CLI against the test database."""
    env = {
        "PORTAL_DATABASE_URL": portal_config.database_url,
        "PORTAL_DATA_DIR": str(portal_config.data_dir),
        "PORTAL_SECRET_KEY": portal_config.secret_key,
    }

    def invoke(*args: str, input: str | None = None):
        result = CliRunner().invoke(
            litestar_group,
            ["--app", "app.main:create_app", "portal", *args],
            env={**env, "COLUMNS": "300"},
            input=input,
            catch_exceptions=False,
        )
        # rich-click draws errors in a box: keep the words, drop the frame.
        result.text = " ".join(result.output.translate(str.maketrans("", "", "│╭╮╰╯─")).split())
        return result

    return invoke


def make_nik(birth: str = "1990-08-12", sex: str = "L", district: str = "351611", serial: int = 1) -> str:
    """A NIK that passes every structural rule: district, birth date (+40 for women), serial."""
    year, month, day = (int(x) for x in birth.split("-"))
    return f"{district}{day + (40 if sex == 'P' else 0):02d}{month:02d}{year % 100:02d}{serial:04d}"


def add_request(
    db: Session,
    village_code: str,
    creator: str,
    *,
    status: str = "draft",
    service: str = "KTP_BARU",
    name: str = "WARGA UJI",
    serial: int = 1,
) -> Request:
    """A request straight into the database (for tests about who may see or move it)."""
    from datetime import date

    from sqlmodel import select

    from app.requests.models import StatusChange as Change

    user = db.exec(select(User).where(User.username == creator)).one()
    number = f"PPD-{village_code.replace('.', '')}-2026-{serial:06d}"
    request = Request(
        number=number,
        village_code=village_code,
        service_code=service,
        status=status,
        nik=make_nik(serial=serial),
        kk_number="3516110101090001",
        name=name,
        birth_place="MOJOKERTO",
        birth_date=date(1990, 8, 12),
        sex="L",
        address="JL. MAWAR 1",
        rt="001",
        rw="002",
        fields={},
        created_by=user.id,
    )
    db.add(request)
    db.flush()
    db.add(Change(request_id=request.id, actor_name=user.full_name, to_status=status, note="dibuat untuk uji"))
    db.commit()
    return request


def add_batch(db: Session, request: Request, creator: str, *, submitted: bool = False) -> Batch:
    """Put one request into a batch of its village (submitted or still a draft)."""
    from sqlmodel import select

    from app.db import utcnow

    user = db.exec(select(User).where(User.username == creator)).one()
    batch = Batch(
        number=f"KRM-{request.village_code.replace('.', '')}-2026-{request.id:04d}",
        village_code=request.village_code,
        form_key=f"uji-{request.id}",
        created_by=user.id,
        status="submitted" if submitted else "draft",
        submitted_at=utcnow() if submitted else None,
    )
    db.add(batch)
    db.flush()
    db.add(BatchItem(batch_id=batch.id, request_id=request.id))
    request.batch_id = batch.id
    if submitted:
        request.status = "submitted"
    db.commit()
    return batch


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def add_file(db: Session, request: Request, creator: str, *, data: bytes = PDF_BYTES, kind: str = "scan") -> object:
    """A stored file attached to ``request`` (the bytes go where the app keeps files)."""
    from sqlmodel import select

    from app.attachments.storage import FileStore

    plugin_config = db.info["portal_config"]
    digest = FileStore(plugin_config.data_dir / "files").put(data)
    user = db.exec(select(User).where(User.username == creator)).one()
    attachment = Attachment(
        request_id=request.id,
        village_code=request.village_code,
        kind=kind,
        label="Kartu Keluarga",
        media_type="application/pdf",
        size=len(data),
        sha256=digest,
        uploaded_by=user.id,
    )
    db.add(attachment)
    db.commit()
    return attachment


def add_import(db: Session, village_code: str, creator: str) -> Import:
    """A checked spreadsheet import of ``village_code`` with one good row (for scope tests)."""
    from sqlmodel import select

    user = db.exec(select(User).where(User.username == creator)).one()
    values = {
        "nik": make_nik(serial=77),
        "kk_number": "3516110101090001",
        "name": "WARGA IMPOR",
        "birth_place": "MOJOKERTO",
        "birth_date": "1990-08-12",
        "sex": "L",
        "address": "JL. MAWAR 1",
        "rt": "001",
        "rw": "002",
        "dusun": None,
        "phone": None,
        "fields": {},
    }
    item = Import(
        village_code=village_code,
        created_by=user.id,
        file_name="uji.xlsx",
        sha256=f"{village_code:0<64}"[:64],
        service_code="KTP_BARU",
        rows=1,
        valid=1,
        header=["NIK"],
        good_rows=[{"row": 2, "service": "KTP_BARU", "values": values}],
    )
    db.add(item)
    db.commit()
    return item


def add_letter(db: Session, request: Request) -> object:
    """The receipt of ``request``, issued for real (rendered, numbered, stored)."""
    from datetime import date

    from app.attachments.storage import FileStore
    from app.letters import service
    from app.letters.models import LetterKind

    config = db.info["portal_config"]
    return service.issue(
        db,
        config,
        FileStore(config.data_dir / "files"),
        LetterKind.RECEIPT,
        request=request,
        actor=None,
        today=date(2026, 11, 23),
    )


def add_job(db: Session, batch: Batch) -> object:
    """A finished bundle job of ``batch`` (its result stored like a real one)."""
    from app.attachments.storage import FileStore

    config = db.info["portal_config"]
    job = Job(
        kind="bundle-pdf",
        batch_id=batch.id,
        village_code=batch.village_code,
        status="done",
        progress=100,
        result_sha256=FileStore(config.data_dir / "files").put(PDF_BYTES),
        result_name=f"surat-{batch.number}.pdf",
    )
    db.add(job)
    db.commit()
    return job
