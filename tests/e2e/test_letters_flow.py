"""In Chromium: a clerk makes the receipt of a request and downloads it; the letter, rendered to PNG with
pdftoppm, is looked at; a resident scans the QR code and checks the letter on a phone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_nik
from tests.e2e.test_home_pages import VIEWPORTS, _login
from tests.letters.helpers import pdf_png, qr_texts

pytestmark = pytest.mark.e2e


def test_receipt_download_and_verification_in_the_browser(browser, server, screenshot_dir, tmp_path):
    context = browser.new_context(viewport=VIEWPORTS["laptop"], locale="id-ID", accept_downloads=True)
    clerk = context.new_page()
    errors: list[str] = []
    clerk.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(clerk, server, "desa.kenanten", "Demo-Desa-2026")
    clerk.wait_for_url(f"{server}/")
    clerk.goto(f"{server}/permohonan/baru?layanan=KTP_BARU")
    clerk.get_by_label("NIK", exact=True).fill(make_nik("1995-03-21", "P", serial=31))
    clerk.get_by_label("Nomor KK").fill("3516110101090031")
    clerk.get_by_label("Nama lengkap").fill("Rina Marlina")
    clerk.get_by_label("Tempat lahir", exact=True).fill("Mojokerto")
    clerk.get_by_label("Tanggal lahir", exact=True).fill("1995-03-21")
    clerk.get_by_label("Jenis kelamin", exact=True).select_option("P")
    clerk.get_by_label("Alamat").fill("Dusun Kenanten RT 3")
    clerk.get_by_label("RT", exact=True).fill("3")
    clerk.get_by_label("RW", exact=True).fill("1")
    clerk.get_by_role("button", name="Simpan sebagai draf").click()
    clerk.wait_for_selector("text=PIN cek status warga")
    clerk.get_by_role("button", name="Buat surat: Tanda terima permohonan").click()
    clerk.wait_for_selector("text=Surat siap diunduh")
    clerk.locator("#surat").screenshot(path=str(screenshot_dir / "letters-section-laptop.png"))
    with clerk.expect_download() as download:
        clerk.locator("#surat").get_by_role("link", name="Tanda terima permohonan").click()
    pdf = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("tanda-terima-PPD-3516112017-2026-")
    png = pdf_png(pdf, tmp_path, name="receipt", dpi=110)
    shutil.copy(png, screenshot_dir / "letter-receipt-page1.png")
    [verify_url] = qr_texts(pdf_png(pdf, tmp_path, name="receipt-qr", dpi=150))

    resident = browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID").new_page()
    resident.on("pageerror", lambda exc: errors.append(str(exc)))
    resident.goto(verify_url.replace("http://127.0.0.1:8000", server))
    resident.wait_for_selector("text=Periksa keaslian surat")
    assert "Sah" in resident.content() and "R*** M***" in resident.content()
    upload = tmp_path / "surat-dari-warga.pdf"
    upload.write_bytes(pdf)
    resident.get_by_label("Berkas PDF").set_input_files(str(upload))
    resident.get_by_role("button", name="Cocokkan").click()
    resident.wait_for_selector("text=sama persis")
    resident.screenshot(path=str(screenshot_dir / "letter-verify-phone.png"), full_page=True)
    assert errors == []
