"""Reading issued letters the way a person would: their text (pdftotext), their look (pdftoppm) and their
QR code (zxing-cpp), plus the XMP metadata and fonts (pdfinfo, pdffonts). Poppler comes from `make test`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def pdf_png(pdf: bytes, tmp_path: Path, name: str = "page", dpi: int = 150) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", str(path), str(tmp_path / name)], check=True
    )
    return next(tmp_path.glob(f"{name}-*1.png"))


def qr_texts(png: Path) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(png))]


def pdf_meta(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "meta.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True).stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def settings_form(client, **values: str) -> dict[str, str]:
    """The admin's letter settings form as it comes, with its CSRF token; ``values`` replace fields."""
    from tests.conftest import csrf_from

    return {
        "_csrf_token": csrf_from(client.get("/admin/surat/").text),
        "number_format": "{klasifikasi}/{nomor}/{jenis}/{kantor}/{bulan}/{tahun}",
        "classification": "400.12",
        "paper": "A4",
        **values,
    }
