"""In Chromium: a clerk downloads a template, fills it, uploads it (watching the progress), reads the
preview with the bad row explained, commits the good rows into a new batch. Screenshots of each step."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.test_home_pages import VIEWPORTS, _login
from tests.imports.helpers import fill, person

pytestmark = pytest.mark.e2e


def test_spreadsheet_import_in_the_browser(browser, server, screenshot_dir, tmp_path):
    context = browser.new_context(viewport=VIEWPORTS["laptop"], locale="id-ID", accept_downloads=True)
    clerk = context.new_page()
    errors: list[str] = []
    clerk.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(clerk, server, "desa.sumbergirang", "Demo-Desa-2026")
    clerk.wait_for_url(f"{server}/")
    clerk.get_by_role("link", name="Impor Excel").click()
    clerk.wait_for_selector("text=Impor permohonan dari Excel")
    clerk.screenshot(path=str(screenshot_dir / "import-start-laptop.png"), full_page=True)

    with clerk.expect_download() as download:
        clerk.get_by_role("link", name="KTP-el baru (usia 17 tahun atau sudah menikah)").click()
    template = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == "templat-impor-ktp-baru.xlsx"
    rows = [person(serial) for serial in range(1, 400)] + [{**person(400), "NIK": "3516"}]
    upload = tmp_path / "jemput-bola.xlsx"
    upload.write_bytes(fill(template, rows))

    # A slow village connection, so the progress can be seen.
    cdp = context.new_cdp_session(clerk)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 16 * 1024},
    )
    clerk.get_by_label("Berkas (.xlsx, .xls, .ods atau .csv", exact=False).set_input_files(str(upload))
    clerk.get_by_role("button", name="Unggah dan periksa").click()
    clerk.wait_for_selector(".progress:not([hidden])")
    bar = clerk.locator(".progress progress")
    deadline = time.monotonic() + 30
    while float(bar.get_attribute("value") or 0) == 0:  # (the CSP forbids wait_for_function's eval)
        assert time.monotonic() < deadline, "the progress bar never moved"
        time.sleep(0.05)
    assert "Mengunggah…" in clerk.locator(".progress p").inner_text()
    clerk.screenshot(path=str(screenshot_dir / "import-uploading-laptop.png"), full_page=True)
    clerk.wait_for_selector("text=Hasil pemeriksaan impor", timeout=60_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    preview = clerk.locator("main").inner_text()
    assert "399\nBenar, siap disimpan" in preview and "1\nSalah, tidak disimpan" in preview
    assert "NIK harus 16 digit; yang diisi 4 digit." in preview
    clerk.screenshot(path=str(screenshot_dir / "import-preview-laptop.png"), full_page=False)

    phone = browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID").new_page()
    _login(phone, server, "desa.sumbergirang", "Demo-Desa-2026")
    phone.wait_for_url(f"{server}/")
    phone.goto(clerk.url)
    phone.screenshot(path=str(screenshot_dir / "import-preview-phone.png"), full_page=False)

    clerk.get_by_role("button", name="Simpan 399 permohonan").click()
    clerk.wait_for_selector("text=399 permohonan tersimpan sebagai draf dan dimasukkan ke kiriman")
    assert "Kirim ke kecamatan (399 permohonan)" in clerk.content()
    clerk.screenshot(path=str(screenshot_dir / "import-committed-batch-laptop.png"), full_page=False)
    assert errors == []
