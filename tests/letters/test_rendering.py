"""The letters' own browser defaults (pdf/letter-ua.css, used in place of WeasyPrint's full HTML5 sheet to
save a tenth of each rendering) must not change how any letter looks: every kind, with a logo, an official
signing on behalf, long lists over several pages and the CONTOH sample mark, page for page, pixel for pixel."""

from __future__ import annotations

import base64
import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw
from weasyprint import HTML

from app.letters.render import PDF_DIR, renderer
from app.letters.service import Office


def _logo() -> str:
    image = Image.new("RGB", (120, 140), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(60, 5), (115, 40), (100, 135), (20, 135), (5, 40)], fill=(0, 90, 40), outline="black")
    draw.ellipse((40, 50, 80, 90), fill=(230, 190, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


OFFICE = Office(
    "35.16.11.2017",
    ("Pemerintah Kabupaten Mojokerto", "Kecamatan Puri"),
    "Pemerintah Desa Kenanten",
    "Desa Kenanten",
    "Desa Kenanten, Kabupaten Mojokerto",
    "Jl. Raya Kenanten No. 1 · Telepon 0321-123456 · Kode Pos 61363",
    "Kenanten",
)
COMMON = {
    "number": "400.12/001/TTP/35.16.11.2017/XI/2026",
    "issued_on": date(2026, 11, 23),
    "office": OFFICE,
    "signer": {
        "sign_as": None,
        "head_title": "Kepala Desa Kenanten",
        "title": "Kepala Desa Kenanten",
        "name": "SUPRIYADI",
        "nip": None,
    },
    "logo": None,
    "qr": None,  # filled in below
    "verify_url_short": "http://127.0.0.1:8000/verify/…",
    "status_url": "http://127.0.0.1:8000/cek-status",
    "regency_name": "Kabupaten Mojokerto",
    "district_name": "Puri",
    "village_office": "Desa Kenanten",
}
REQUEST = {
    "number": "PPD-3516112017-2026-000001",
    "name": "SITI AMINAH",
    "status_pin": "123456",
    "output_number": "3516-LU-23112026-0001",
}
ROWS = [
    {
        "number": f"PPD-3516112017-2026-{n:06d}",
        "name": f"WARGA NOMOR {n} DENGAN NAMA YANG CUKUP PANJANG",
        "nik": "3516••••••••0001",
        "service": "KTP-el baru (usia 17 tahun atau sudah menikah)" if n % 3 else "Kartu Keluarga baru",
        "reason": None,
    }
    for n in range(1, 81)
]
RECEIPT = {
    "title": "Tanda terima permohonan",
    "request": REQUEST,
    "nik_masked": "3516••••••••0001",
    "service_name": "KTP-el baru",
    "output": "KTP-el",
    "received": ["Kartu Keluarga", "Surat keterangan pindah"],
}
CASES = {
    "receipt": ("receipt", RECEIPT),
    "receipt-logo-an": (
        "receipt",
        {
            **RECEIPT,
            "received": [],
            "logo": "LOGO",
            "signer": {
                "sign_as": "a.n.",
                "head_title": "Kepala Desa Kenanten",
                "title": "Sekretaris Desa",
                "name": "AHMAD FAUZI",
                "nip": "198001012005011001",
            },
        },
    ),
    "cover-long": (
        "cover",
        {
            "title": "Surat pengantar kiriman",
            "batch": {"number": "KRM-3516112017-2026-0001"},
            "items": ROWS,
            "counts": [("KTP-el baru (usia 17 tahun atau sudah menikah)", 53), ("Kartu Keluarga baru", 27)],
        },
    ),
    "review": (
        "review",
        {
            "title": "Hasil verifikasi kecamatan",
            "batch": {"number": "KRM-3516112017-2026-0001"},
            "approved": ROWS[:3],
            "rejected": [{**ROWS[3], "reason": "NIK tidak cocok"}],
            "returned": [{**ROWS[4], "reason": "Foto KK buram"}],
            "sections": [
                ("Disetujui dan diteruskan ke Dinas", ROWS[:3]),
                ("Ditolak", [{**ROWS[3], "reason": "NIK tidak cocok"}]),
                ("Dikembalikan untuk perbaikan", [{**ROWS[4], "reason": "Foto KK buram"}]),
            ],
        },
    ),
    "completion-sample": (
        "completion",
        {
            "title": "Tanda bukti selesai",
            "request": REQUEST,
            "nik_masked": "3516••••••••0001",
            "service_name": "KTP-el baru",
            "output": "KTP-el",
            "completed_on": date(2026, 11, 20),
            "collection": "Dokumen diambil di kantor desa.",
            "sample": True,
        },
    ),
}


def _pages(pdf: bytes, tmp_path: Path, name: str) -> list[Image.Image]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / name)], check=True)
    return [Image.open(page).convert("RGB") for page in sorted(tmp_path.glob(f"{name}-*.png"))]


@pytest.mark.parametrize("case", sorted(CASES))
def test_letters_look_the_same_with_the_letters_own_browser_defaults(case, tmp_path):
    from app.letters.render import qr_data_uri

    kind, extra = CASES[case]
    context = {**COMMON, **extra, "qr": qr_data_uri("http://127.0.0.1:8000/verify/" + "x" * 43)}
    if context["logo"] == "LOGO":
        context["logo"] = _logo()
    tuned = renderer()
    html = tuned.html(kind, context)
    ours = _pages(tuned.pdf_from_html(html), tmp_path, "ours")
    full = _pages(tuned.pdf_from_html(html, html_class=HTML), tmp_path, "full")
    assert len(ours) == len(full) >= (2 if case == "cover-long" else 1)
    for number, (mine, theirs) in enumerate(zip(ours, full, strict=True), 1):
        assert ImageChops.difference(mine, theirs).getbbox() is None, f"{case}: page {number} differs"


def test_printed_qr_codes_scan_whatever_their_token(tmp_path):
    """The QR code's data mask is fixed (choosing it cost 5 ms per letter): thirty random tokens, printed at the
    letters' size and look, one per small page, all scan from the pages rendered at 150 dpi."""
    import secrets

    import zxingcpp

    from app.letters.render import qr_data_uri

    urls = [f"http://127.0.0.1:8000/verify/{secrets.token_urlsafe(32)}" for _ in range(30)]
    qr_style = re.search(r"\.qr img \{(.*?)\}", (PDF_DIR / "letter.css").read_text()).group(1)  # as on letters
    pages = "".join(
        f'<div style="break-after: page"><img src="{qr_data_uri(url)}" style="{qr_style}"></div>' for url in urls
    )
    pdf = renderer().pdf_from_html(
        f"<html><head><style>@page {{ size: 40mm 40mm; margin: 6mm }}</style></head><body>{pages}</body></html>"
    )
    path = tmp_path / "codes.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "code")], check=True)
    scanned = [[c.text for c in zxingcpp.read_barcodes(Image.open(png))] for png in sorted(tmp_path.glob("code-*.png"))]
    assert scanned == [[url] for url in urls]
