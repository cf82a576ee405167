"""In Chromium: a clerk makes the receipt of a request and downloads it; the letter, rendered to PNG with
pdftoppm, is looked at; a resident scans the QR code and checks the letter on a phone."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pytest

from tests.conftest import make_nik
from tests.e2e.test_home_pages import VIEWPORTS, _login
from tests.letters.helpers import pdf_png, pdf_text, qr_texts

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


def test_batch_bundle_download_in_the_browser(browser, server, screenshot_dir, tmp_path):
    """The district operator downloads all letters of a reviewed batch as one PDF, made by the worker."""
    clerk = browser.new_context(viewport=VIEWPORTS["laptop"], locale="id-ID").new_page()
    _login(clerk, server, "desa.sumbergirang", "Demo-Desa-2026")  # Kenanten's counters belong to another test
    clerk.wait_for_url(f"{server}/")
    names = []
    for serial, name in enumerate(["Ahmad Fauzi", "Bunga Citra"], 40):
        clerk.goto(f"{server}/permohonan/baru?layanan=KTP_BARU")
        clerk.get_by_label("NIK", exact=True).fill(make_nik("1990-01-15", "L", serial=serial))
        clerk.get_by_label("Nomor KK").fill(f"35161101010900{serial}")
        clerk.get_by_label("Nama lengkap").fill(name)
        clerk.get_by_label("Tempat lahir", exact=True).fill("Mojokerto")
        clerk.get_by_label("Tanggal lahir", exact=True).fill("1990-01-15")
        clerk.get_by_label("Jenis kelamin", exact=True).select_option("L")
        clerk.get_by_label("Alamat").fill("Dusun Kenanten")
        clerk.get_by_label("RT", exact=True).fill("1")
        clerk.get_by_label("RW", exact=True).fill("1")
        clerk.get_by_role("button", name="Simpan sebagai draf").click()
        clerk.wait_for_selector("text=PIN cek status warga")
        names.append(name.upper())
    clerk.goto(f"{server}/permohonan/?status=draft")
    for name in names:
        clerk.locator("tr", has_text=name).get_by_role("checkbox").check()
    clerk.get_by_role("button", name="Buat kiriman dari yang dipilih").click()
    clerk.get_by_role("button", name="Kirim ke kecamatan (2 permohonan)").click()
    clerk.wait_for_selector("text=terkirim ke kecamatan")
    batch_url = clerk.url

    context = browser.new_context(viewport=VIEWPORTS["laptop"], locale="id-ID", accept_downloads=True)
    operator = context.new_page()
    errors: list[str] = []
    operator.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(operator, server, "kec.puri", "Demo-Kecamatan-2026")
    operator.wait_for_url(f"{server}/")
    operator.goto(batch_url)
    operator.get_by_role("button", name="Setujui semua yang tersisa (2)").click()
    operator.wait_for_selector("text=Selesai diverifikasi")
    operator.get_by_role("button", name="PDF gabungan (siap cetak)").click()
    operator.wait_for_selector("#bundel .job")
    operator.wait_for_selector("text=Siap diunduh", timeout=60_000)  # htmx polled until the worker finished
    operator.locator("#bundel").screenshot(path=str(screenshot_dir / "bundle-ready-laptop.png"))
    with operator.expect_download() as download:
        operator.locator("#bundel").get_by_role("link", name="Unduh").first.click()
    pdf = Path(download.value.path()).read_bytes()
    with pikepdf.open(io.BytesIO(pdf)) as merged:
        assert len(merged.pages) == 4  # cover letter, review result, two receipts
    text = pdf_text(pdf, tmp_path)
    assert "PEMERINTAH DESA SUMBERGIRANG" in text and "SURAT PENGANTAR KIRIMAN" in text
    assert "HASIL VERIFIKASI KECAMATAN" in text
    assert all(name in text for name in names)
    shutil.copy(pdf_png(pdf, tmp_path, name="review", dpi=90), screenshot_dir / "letter-cover-page1.png")
    assert errors == []
