"""When the file store is full or cannot be written, saving the emblem and issuing a letter answer in Indonesian
(507): the settings and letters stay as they were, no number is used up and nothing half-written remains."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import select

from app.letters.models import Letter, LetterSettings
from tests.attachments.disk import partial_uploads, unwritable_store
from tests.conftest import add_request, csrf_from, login
from tests.letters.helpers import settings_form

FULL = "Penyimpanan berkas penuh atau tidak dapat ditulis"


def test_the_emblem_on_a_full_disk_is_refused_and_the_form_kept(client, db, portal_config):
    files = portal_config.data_dir / "files"
    emblem = io.BytesIO()
    Image.new("RGB", (200, 240), (0, 110, 50)).save(emblem, format="PNG")
    login(client, "grace")
    form = settings_form(
        client, number_format="{klasifikasi}/{nomor}/{jenis}/{kantor}/{tahun}", classification="400.12.9", paper="F4"
    )
    with unwritable_store(files):
        refused = client.post(
            "/admin/surat/", data=form, files={"logo": ("lambang.png", emblem.getvalue(), "image/png")}
        )
        assert refused.status_code == 507
        assert FULL in refused.text and 'value="400.12.9"' in refused.text
        assert partial_uploads(files) == []
    assert db.exec(select(LetterSettings)).first() is None  # neither the emblem nor the other fields were saved


def test_a_letter_on_a_full_disk_is_refused_and_costs_no_number(client, db, portal_config):
    files = portal_config.data_dir / "files"
    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    token = csrf_from(client.get(f"/permohonan/{item.id}").text)
    with unwritable_store(files):
        refused = client.post(f"/permohonan/{item.id}/surat", data={"_csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 507
        assert FULL in refused.text and "Hubungi admin" in refused.text
        assert partial_uploads(files) == []
    assert db.exec(select(Letter)).first() is None
    done = client.post(f"/permohonan/{item.id}/surat", data={"_csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    [letter] = db.exec(select(Letter)).all()
    assert letter.number.startswith("400.12/001/TTP/")  # the number the failed try took was given back
    assert (files / letter.sha256[:2] / letter.sha256[2:4] / letter.sha256).is_file()
