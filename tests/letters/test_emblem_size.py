"""The emblem's size is read from the image header before anything is decoded: a 12000 × 12000 PNG of a few
KB (it took 6.7 s of CPU to decode) is refused at once, in Indonesian, and the settings stay as they were."""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from sqlmodel import select

from app.letters.models import LetterSettings
from tests.conftest import login
from tests.letters.helpers import settings_form


def _png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG (1 bit per pixel, all white rows): it compresses to a few KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_huge_emblem_is_refused_before_it_is_decoded(client, db):
    bomb = _png(12000, 12000)
    assert len(bomb) < 100 * 1024  # well under the 512 KB upload limit
    login(client, "grace")
    form = settings_form(client)
    started = time.process_time()
    refused = client.post("/admin/surat/", data=form, files={"logo": ("lambang.png", bomb, "image/png")})
    spent = time.process_time() - started
    assert refused.status_code == 400
    assert "Gambar lambang daerah terlalu besar (12000 × 12000 piksel)" in refused.text
    assert "Paling besar 4000 × 4000 piksel" in refused.text
    assert spent < 1.5, f"{spent:.1f} s of CPU: the image was decoded"
    assert db.exec(select(LetterSettings)).first() is None

    fine = client.post("/admin/surat/", data=form, files={"logo": ("lambang.png", _png(600, 800), "image/png")})
    assert fine.status_code == 200 and "Pengaturan surat tersimpan" in fine.text
    assert db.exec(select(LetterSettings)).one().logo_sha256
