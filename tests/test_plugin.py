"""The portal mounted as a plugin inside a host app that has its own routes, templates, stores and CSRF."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar, get, post
from litestar.config.csrf import CSRFConfig
from litestar.plugins.jinja import JinjaTemplateEngine as HostJinja
from litestar.response import Template
from litestar.stores.memory import MemoryStore
from litestar.template.config import TemplateConfig
from litestar.testing import TestClient

from app import PortalConfig, PortalPlugin
from tests.conftest import PASSWORD, csrf_from

HOST_TEMPLATES = Path(__file__).parent / "host_templates"


@get("/")
async def host_home() -> Template:
    return Template("host.html", context={"message": "tetap milik host"})


@post("/host-form")
async def host_form() -> str:
    return "host menerima"


@pytest.fixture
def host_app(portal_config, db):
    store = MemoryStore()
    config = PortalConfig(
        database_url=portal_config.database_url,
        data_dir=portal_config.data_dir,
        secret_key="another-secret",
        path_prefix="/layanan",
    )
    app = Litestar(
        route_handlers=[host_home, host_form],
        template_config=TemplateConfig(directory=HOST_TEMPLATES, engine=HostJinja),
        stores={"host": store},
        csrf_config=CSRFConfig(secret="host-secret", cookie_name="host_csrf"),
        plugins=[PortalPlugin(config)],
    )
    return app, store


def test_the_host_keeps_its_own_route_and_template(host_app):
    app, _ = host_app
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "Halaman aplikasi induk: tetap milik host" in page.text


def test_the_host_keeps_its_template_engine_stores_and_csrf_config(host_app):
    app, store = host_app
    assert isinstance(app.template_engine, HostJinja)
    assert app.stores.get("host") is store
    assert app.csrf_config.cookie_name == "host_csrf"
    assert app.request_class.__name__ == "Request"


def test_the_hosts_csrf_still_protects_the_hosts_forms(host_app):
    app, _ = host_app
    with TestClient(app) as client:
        client.get("/")
        assert client.post("/host-form").status_code == 403
        token = client.cookies.get("host_csrf")
        assert client.post("/host-form", headers={"x-csrftoken": token}).status_code == 201


def test_the_portal_works_under_the_prefix(host_app):
    app, _ = host_app
    with TestClient(app) as client:
        first = client.get("/layanan/", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/layanan/login"
        page = client.get("/layanan/login")
        assert 'action="/layanan/login"' in page.text
        assert "/layanan/static/css/portal.css" in page.text
        response = client.post(
            "/layanan/login",
            data={"username": "alice", "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/layanan/"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session="))
        assert "Path=/layanan" in cookie
        home = client.get("/layanan/")
        assert "Petugas Desa Kenanten, Kec. Puri" in home.text
        assert 'href="/layanan/wilayah/desa/35.16.11.2017"' in home.text
        assert client.get("/layanan/static/css/portal.css").status_code == 200
        assert client.get("/").status_code == 200


def test_the_portal_without_its_token_is_refused_under_the_prefix(host_app):
    app, _ = host_app
    with TestClient(app) as client:
        client.get("/layanan/login")
        refused = client.post("/layanan/login", data={"username": "alice", "password": PASSWORD})
        assert refused.status_code == 403


def test_security_headers_cover_the_portal_but_not_the_host(host_app):
    app, _ = host_app
    with TestClient(app) as client:
        assert "frame-ancestors 'none'" in client.get("/layanan/login").headers["content-security-policy"]
        assert "content-security-policy" not in client.get("/").headers
