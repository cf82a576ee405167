"""Each demo role logs in through the real login form in Chromium and lands on its own home page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

ROLES = [
    ("clerk", "desa.kenanten", "Demo-Desa-2026", "Selamat bekerja, Siti Rahmawati", "Petugas Desa Kenanten, Kec. Puri"),
    ("district", "kec.puri", "Demo-Kecamatan-2026", "Selamat bekerja, Bambang Sutrisno", "Operator Kecamatan Puri"),
    (
        "dinas",
        "dinas.mojokerto",
        "Demo-Dinas-2026",
        "Selamat bekerja, Hendra Wijaya",
        "Dispendukcapil Kabupaten Mojokerto",
    ),
    ("admin", "admin.mojokerto", "Demo-Admin-2026", "Administrasi Kabupaten Mojokerto", "Admin Kabupaten Mojokerto"),
]

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _login(page, server, username, password):
    page.goto(f"{server}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


@pytest.mark.parametrize(("role", "username", "password", "heading", "scope"), ROLES, ids=[r[0] for r in ROLES])
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_each_demo_role_logs_in_and_sees_its_home_page(
    browser, server, screenshot_dir, role, username, password, heading, scope, viewport
):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, server, username, password)
    page.wait_for_url(f"{server}/")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert scope in page.locator(".whoami").inner_text()
    assert page.locator(".flash--success").inner_text().startswith("Selamat datang")
    page.screenshot(path=str(screenshot_dir / f"home-{role}-{viewport}.png"), full_page=True)
    # Nothing on the page broke the CSP or failed to load.
    assert errors == []
    context.close()


def test_a_wrong_password_shows_the_message_and_keeps_the_username(browser, server, screenshot_dir):
    page = browser.new_page(viewport=VIEWPORTS["phone"])
    _login(page, server, "desa.kenanten", "salah-sandi-sekali")
    assert page.locator(".flash--error").inner_text() == "Nama pengguna atau kata sandi salah."
    assert page.get_by_label("Nama pengguna").input_value() == "desa.kenanten"
    page.screenshot(path=str(screenshot_dir / "login-error-phone.png"), full_page=True)
    page.close()


def test_boosted_navigation_and_logout_work_in_the_browser(browser, server, screenshot_dir):
    page = browser.new_page(viewport=VIEWPORTS["laptop"])
    _login(page, server, "admin.mojokerto", "Demo-Admin-2026")
    page.wait_for_url(f"{server}/")
    page.get_by_role("link", name="Pengguna", exact=True).click()
    page.wait_for_url(f"{server}/admin/pengguna/")
    assert page.get_by_role("heading", level=1).inner_text() == "Pengguna Kabupaten Mojokerto"
    assert page.locator("table tbody tr").count() == 6
    page.screenshot(path=str(screenshot_dir / "admin-users-laptop.png"), full_page=True)
    page.get_by_role("link", name="+ Tambah pengguna").click()
    page.wait_for_url(f"{server}/admin/pengguna/baru")
    page.get_by_label("Nama pengguna").fill("desa.brayung")
    page.get_by_label("Nama lengkap").fill("Wati Brayung")
    page.get_by_label("Peran").select_option("clerk")
    page.get_by_label("Wilayah tugas").select_option("35.16.11.2004")
    page.get_by_label("Kata sandi awal").fill("pendek")
    page.get_by_role("button", name="Simpan pengguna").click()
    page.wait_for_selector(".error")
    assert "minimal 10 karakter" in page.locator(".error").inner_text()
    assert page.get_by_label("Nama lengkap").input_value() == "Wati Brayung"
    page.screenshot(path=str(screenshot_dir / "admin-user-form-error-laptop.png"), full_page=True)
    page.get_by_label("Kata sandi awal").fill("Sandi-Brayung-2026")
    page.get_by_role("button", name="Simpan pengguna").click()
    page.wait_for_selector("text=Pengguna desa.brayung berhasil dibuat.")
    page.screenshot(path=str(screenshot_dir / "admin-user-created-laptop.png"), full_page=True)
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(f"{server}/login")
    page.goto(f"{server}/")
    assert page.url == f"{server}/login"
    page.close()


def test_a_clerk_edits_the_village_profile_on_a_phone(browser, server, screenshot_dir):
    page = browser.new_page(viewport=VIEWPORTS["phone"])
    _login(page, server, "desa.kenanten", "Demo-Desa-2026")
    page.wait_for_url(f"{server}/")
    page.get_by_role("link", name="Profil desa", exact=True).click()
    page.wait_for_url(f"{server}/wilayah/desa/35.16.11.2017")
    page.get_by_label("Alamat kantor").fill("Jl. Raya Kenanten No. 1, Puri")
    page.get_by_label("Nama kepala", exact=True).fill("H. Sutrisno")
    page.get_by_role("button", name="Simpan profil").click()
    page.wait_for_selector("text=Profil desa tersimpan.")
    assert "H. Sutrisno" in page.locator("dl.facts").inner_text()
    page.screenshot(path=str(screenshot_dir / "village-profile-phone.png"), full_page=True)
    page.close()
