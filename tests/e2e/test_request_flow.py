"""In Chromium: a clerk records a request (first with a mistake), batches and sends it; the district
operator approves it; the clerk sees the new status. Screenshots of each page."""

from __future__ import annotations

import pytest

from tests.conftest import make_nik
from tests.e2e.test_home_pages import VIEWPORTS, _login

pytestmark = pytest.mark.e2e


def test_request_batch_and_approval_in_the_browser(browser, server, screenshot_dir):
    clerk = browser.new_context(viewport=VIEWPORTS["laptop"], locale="id-ID").new_page()
    errors: list[str] = []
    clerk.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(clerk, server, "desa.kenanten", "Demo-Desa-2026")
    clerk.wait_for_url(f"{server}/")
    clerk.get_by_role("link", name="+ Permohonan baru").click()
    clerk.wait_for_url(f"{server}/permohonan/baru")
    clerk.screenshot(path=str(screenshot_dir / "request-choose-service-laptop.png"), full_page=True)
    clerk.get_by_role("link", name="Akta kelahiran").click()
    clerk.wait_for_url("**/permohonan/baru?layanan=AKTA_LAHIR")

    good_nik = make_nik("1990-08-12", "P", serial=77)
    clerk.get_by_label("NIK", exact=True).fill(good_nik[:15])  # one digit short
    clerk.get_by_label("Nomor KK").fill("3516110101090077")
    clerk.get_by_label("Nama lengkap").fill("Dewi Anggraini")
    clerk.get_by_label("Tempat lahir", exact=True).fill("Mojokerto")
    clerk.get_by_label("Tanggal lahir", exact=True).fill("1990-08-12")
    clerk.get_by_label("Jenis kelamin", exact=True).select_option("P")
    clerk.get_by_label("Alamat").fill("Dusun Kenanten RT 2")
    clerk.get_by_label("RT", exact=True).fill("2")
    clerk.get_by_label("RW", exact=True).fill("1")
    clerk.get_by_label("Nama anak").fill("Putri Anggraini")
    clerk.get_by_label("Jenis kelamin anak").select_option("P")
    clerk.get_by_label("Tempat lahir anak").fill("Mojokerto")
    clerk.get_by_label("Tanggal lahir anak").fill("2026-11-01")
    clerk.get_by_label("NIK ibu").fill(good_nik)
    clerk.get_by_role("button", name="Simpan sebagai draf").click()
    clerk.wait_for_selector("text=NIK harus 16 digit; yang diisi 15 digit.")
    assert clerk.get_by_label("Nama lengkap").input_value() == "Dewi Anggraini"
    assert clerk.get_by_label("Nama anak").input_value() == "Putri Anggraini"
    clerk.screenshot(path=str(screenshot_dir / "request-form-error-laptop.png"), full_page=True)

    clerk.get_by_label("NIK", exact=True).fill(good_nik)
    clerk.get_by_role("button", name="Simpan sebagai draf").click()
    clerk.wait_for_selector("text=tersimpan sebagai draf")
    assert good_nik in clerk.locator("dl.facts").first.inner_text()
    clerk.screenshot(path=str(screenshot_dir / "request-detail-draft-laptop.png"), full_page=True)

    clerk.get_by_label("Navigasi utama").get_by_role("link", name="Permohonan", exact=True).click()
    clerk.wait_for_url(f"{server}/permohonan/")
    clerk.wait_for_selector("#hasil >> text=DEWI ANGGRAINI")
    assert good_nik not in clerk.content()  # masked in the list
    clerk.get_by_label("Status").select_option("draft")  # htmx swaps the results in place
    clerk.wait_for_url("**status=draft**")
    searches: list[str] = []
    clerk.on("request", lambda r: searches.append(r.method) if r.url.endswith("/permohonan/cari") else None)
    clerk.get_by_label("Cari").fill(good_nik)  # a whole NIK: sent in the body, never put in the address
    clerk.get_by_label("Cari").press("Enter")
    clerk.wait_for_url("**cari=**")
    clerk.wait_for_timeout(300)
    assert searches == ["POST"]  # one search per Enter (the text field's own change event does not add one)
    assert good_nik not in clerk.url and "status=draft" in clerk.url
    clerk.wait_for_selector("#hasil >> text=DEWI ANGGRAINI")
    clerk.reload()  # the address bar's search still works
    clerk.wait_for_selector("#hasil >> text=DEWI ANGGRAINI")
    assert clerk.get_by_label("Cari").input_value() == good_nik
    clerk.get_by_label("Pilih PPD-").first.check()
    clerk.screenshot(path=str(screenshot_dir / "request-list-select-laptop.png"), full_page=True)
    clerk.get_by_role("button", name="Buat kiriman dari yang dipilih").click()
    clerk.wait_for_selector("text=Periksa isinya lalu kirim ke kecamatan")
    clerk.get_by_role("button", name="Kirim ke kecamatan (1 permohonan)").click()
    clerk.wait_for_selector("text=terkirim ke kecamatan")
    batch_url = clerk.url
    clerk.screenshot(path=str(screenshot_dir / "batch-submitted-laptop.png"), full_page=True)

    operator = browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID").new_page()
    operator.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(operator, server, "kec.puri", "Demo-Kecamatan-2026")
    operator.wait_for_url(f"{server}/")
    assert "Kiriman menunggu verifikasi (1)" in operator.content()
    operator.screenshot(path=str(screenshot_dir / "district-home-waiting-phone.png"), full_page=True)
    operator.goto(batch_url)
    operator.screenshot(path=str(screenshot_dir / "batch-review-phone.png"), full_page=True)
    operator.get_by_role("button", name="Setujui", exact=True).click()
    operator.wait_for_selector("text=Keputusan tersimpan: Disetujui.")
    assert "Selesai diverifikasi" in operator.content()
    operator.screenshot(path=str(screenshot_dir / "batch-reviewed-phone.png"), full_page=True)

    operator.goto(f"{server}/")
    wide, narrow = operator.locator("svg.chart__svg--wide"), operator.locator("svg.chart__svg--narrow")
    assert narrow.is_visible() and not wide.is_visible()  # a phone gets the drawing made for its width
    assert narrow.locator("text.chart__label").first.bounding_box()["height"] >= 12  # legible, not shrunk
    operator.screenshot(path=str(screenshot_dir / "district-home-chart-phone.png"), full_page=True)

    clerk.goto(f"{server}/permohonan/")
    assert "Disetujui kecamatan" in clerk.locator("#hasil").inner_text()
    assert clerk.locator(".counter").inner_text() == "1"  # the batch was reviewed
    clerk.goto(f"{server}/")
    clerk.screenshot(path=str(screenshot_dir / "clerk-home-counts-laptop.png"), full_page=True)
    clerk.get_by_role("link", name="Notifikasi").click()
    clerk.wait_for_selector("text=selesai diverifikasi kecamatan: 1 disetujui")
    clerk.screenshot(path=str(screenshot_dir / "notifications-laptop.png"), full_page=True)

    # The resident checks the status with the public number and PIN from the request page.
    clerk.goto(batch_url)
    clerk.locator(".item a").first.click()
    clerk.wait_for_selector("text=PIN cek status warga")
    number = clerk.locator("p.muted code").first.inner_text()
    pin = clerk.locator("dd code").nth(2).inner_text()
    resident = browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID").new_page()
    resident.goto(f"{server}/cek-status")
    resident.get_by_label("Nomor permohonan").fill(number)
    resident.get_by_label("PIN").fill(pin)
    resident.get_by_role("button", name="Cek status").click()
    resident.wait_for_selector("text=Disetujui kecamatan")
    assert "D*** A***" in resident.content()
    resident.screenshot(path=str(screenshot_dir / "public-status-phone.png"), full_page=True)
    assert errors == []
