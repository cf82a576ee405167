"""The layout: Indonesian pages per role, navigation by role, vendored htmx, no CDN, security headers."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO, login

HEADERS = ("content-security-policy", "x-frame-options", "referrer-policy", "x-content-type-options")


def _assert_security_headers(response):
    for name in HEADERS:
        assert name in response.headers, name
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("who", "heading", "nav", "not_nav"),
    [
        ("alice", "Selamat bekerja, Alice Kenanten", "Profil desa", "Pengguna"),
        ("dave", "Selamat bekerja, Dave Puri", "Desa/kelurahan", "Pengguna"),
        ("frank", "Selamat bekerja, Frank Dinas", "Wilayah", "Pengguna"),
        ("grace", "Administrasi Kabupaten Mojokerto", "Pengguna", "Profil desa"),
    ],
)
def test_each_role_gets_its_home_page_and_navigation(client, who, heading, nav, not_nav):
    login(client, who)
    page = client.get("/")
    assert page.status_code == 200
    assert heading in page.text
    menu = page.text.split('aria-label="Navigasi utama"')[1].split("</nav>")[0]
    assert f">{nav}</a>" in menu and f">{not_nav}</a>" not in menu
    assert '<html lang="id">' in page.text


def test_the_scope_label_names_the_office(client):
    for who, label in [
        ("dave", "Operator Kecamatan Puri"),
        ("frank", "Dispendukcapil Kabupaten Mojokerto"),
        ("grace", "Admin Kabupaten Mojokerto"),
        ("carol", "Petugas Desa Trowulan, Kec. Trowulan"),
    ]:
        client.cookies.clear()
        login(client, who)
        assert label in client.get("/").text


def _row_cells(html: str, name: str) -> list[str]:
    row = re.search(rf"<tr>\s*<td><a [^>]*>{name}</a>.*?</tr>", html, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_admin_home_shows_staffing_per_district(client):
    login(client, "grace")
    page = client.get("/").text
    assert '>301</div><div class="stat__label">Desa tanpa petugas aktif' in page.replace("\n", "").replace("  ", "")
    puri = _row_cells(page, "Puri")
    assert puri[:4] == ["Puri", "16", "2", "1"]  # alice and bob are clerks there, dave operates it
    assert puri[4].startswith("Tampungrejo, Plososari, Kintelan, Brayung dan 10 lainnya")
    assert _row_cells(page, "Jatirejo")[1:4] == ["19", "0", "0"]


def test_pages_carry_security_headers_including_errors_and_static_files(client):
    _assert_security_headers(client.get("/login"))
    _assert_security_headers(client.get("/static/css/portal.css"))
    missing = client.get("/tidak-ada-halaman-ini")
    assert missing.status_code == 404 and "Halaman tidak ditemukan" in missing.text
    _assert_security_headers(missing)
    refused = client.post("/login", data={})
    assert refused.status_code == 403
    _assert_security_headers(refused)
    login(client, "alice")
    _assert_security_headers(client.get("/"))
    forbidden = client.get("/admin/pengguna/")
    assert forbidden.status_code == 403
    _assert_security_headers(forbidden)


def test_htmx_2_is_vendored_with_version_and_licence(client):
    files = list((REPO / "static/vendor/htmx").iterdir())
    names = {f.name for f in files}
    assert {"LICENSE", "VERSION"} <= names
    script = next(f for f in files if f.name.endswith(".min.js"))
    assert re.match(r"htmx-2\.0\.\d+\.min\.js", script.name)
    assert 'version:"2.0.' in script.read_text().replace(" ", "")
    page = client.get("/login")
    src = re.search(r'<script src="([^"]+)"', page.text).group(1)
    served = client.get(src)
    assert served.status_code == 200 and served.content == script.read_bytes()


def test_templates_have_no_inline_script_or_style_and_no_external_urls():
    for path in [*(REPO / "templates").rglob("*.html"), REPO / "static/css/portal.css"]:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), f"inline script in {path}"
        assert not re.search(r"\sstyle=", text), f"inline style in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"inline handler in {path}"
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"external URL in {path}"


def test_every_page_boosts_navigation_and_sends_the_csrf_header(client):
    login(client, "alice")
    body = re.search(r"<body[^>]*>", client.get("/").text).group(0)
    assert 'hx-boost="true"' in body
    assert "x-csrftoken" in body


def test_pages_vary_on_htmx_requests(client):
    assert "HX-Request" in client.get("/login").headers.get("vary", "")
