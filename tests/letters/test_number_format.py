"""The letter number format is tried with every placeholder before it is saved: a stray brace, an unknown or
unnamed placeholder is refused under the field with the typed values kept. A bad format stored earlier never
takes the settings page down, and issuing answers 409 in Indonesian without taking a number."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.letters.models import Letter, LetterSettings
from app.sequences import Counter
from tests.conftest import add_request, csrf_from, login

GOOD = "{klasifikasi}/{nomor}/{jenis}/{kantor}/{bulan}/{tahun}"


def _save(client, number_format: str, classification: str = "400.12.3"):
    return client.post(
        "/admin/surat/",
        data={
            "_csrf_token": csrf_from(client.get("/admin/surat/").text),
            "number_format": number_format,
            "classification": classification,
            "paper": "F4",
        },
        files={"logo": ("lambang.png", b"", "image/png")},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("{klasifikasi}/{nomor}/{jenis}/{kantor}/{bulan}/{tahun}}", "Kurung kurawal tidak berpasangan"),
        ("{klasifikasi}/{nomor}/{jenis}/{kantor}/{bulan}/{tahun", "Kurung kurawal tidak berpasangan"),
        ("{klasifikasi}/{nomor}/{jenis}/{kantor}/{desa}/{tahun}", "Bagian tidak dikenal: {desa}."),
        ("{}/{nomor}/{jenis}/{kantor}/{tahun}", "Bagian tanpa nama seperti {} atau {0}"),
        ("{0}/{nomor}/{jenis}/{kantor}/{tahun}", "Bagian tanpa nama seperti {} atau {0}"),
        ("{nomor:>200}/{jenis}/{kantor}/{tahun}", "Bagian tidak dikenal: {nomor:&gt;200}."),
        ("{nomor.real}/{jenis}/{kantor}/{tahun}", "Bagian tidak dikenal: {nomor.real}."),
        ("NOMOR-SURAT-DESA-" * 4 + "{nomor}/{jenis}/{kantor}/{tahun}", "Nomor yang dihasilkan terlalu panjang"),
    ],
    ids=["stray-closing", "unclosed", "unknown", "positional", "numbered", "format-spec", "attribute", "too-long"],
)
def test_a_format_that_cannot_make_a_number_is_refused_under_the_field(client, db, typed, reason):
    login(client, "grace")
    response = _save(client, typed)
    assert response.status_code == 400
    page = response.text
    field = page[page.index('id="f-number_format"') :]
    assert f'value="{typed}"'.replace(">", "&gt;") in field[:400]  # what was typed is kept
    assert reason in field[: field.index("</div>")]  # the reason is under the field
    assert 'value="400.12.3"' in page and '<option value="F4" selected>' in page
    assert db.exec(select(LetterSettings)).first() is None  # nothing saved


def test_a_bad_format_stored_earlier_shows_a_warning_and_costs_no_number(client, db):
    db.add(LetterSettings(regency_code="35.16", number_format="{klasifikasi}/{nomor}/{jenis}/{kantor}/{tahun}}"))
    db.commit()
    login(client, "grace")
    page = client.get("/admin/surat/")
    assert page.status_code == 200
    assert "Format nomor surat tersimpan" in page.text and "tidak sah: Kurung kurawal tidak berpasangan" in page.text
    assert 'value="{klasifikasi}/{nomor}/{jenis}/{kantor}/{tahun}}"' in page.text  # the stored value, to correct
    preview = client.get("/admin/surat/pratinjau.pdf")
    assert preview.status_code == 409 and "perbaiki" in preview.text.lower()

    item = add_request(db, "35.16.11.2017", "alice")
    login(client, "alice")
    token = csrf_from(client.get(f"/permohonan/{item.id}").text)
    issued = client.post(f"/permohonan/{item.id}/surat", data={"_csrf_token": token}, follow_redirects=False)
    assert issued.status_code == 409
    assert "Format nomor surat tidak sah" in issued.text and "/admin/surat/" in issued.text
    assert db.exec(select(Letter)).first() is None
    assert db.exec(select(Counter).where(Counter.key.startswith("letter:"))).first() is None

    login(client, "grace")
    assert _save(client, GOOD, classification="400.12").status_code == 303
    login(client, "alice")
    token = csrf_from(client.get(f"/permohonan/{item.id}").text)
    assert client.post(f"/permohonan/{item.id}/surat", data={"_csrf_token": token}).status_code == 200
    [letter] = db.exec(select(Letter)).all()
    assert letter.number.startswith("400.12/001/TTP/35.16.11.2017/")  # the first number: none was lost


def test_the_api_answers_409_for_a_bad_stored_format(client, db):
    from app.accounts.models import User
    from app.accounts.tokens import create_token

    db.add(LetterSettings(regency_code="35.16", number_format="{nomor}/{jenis}/{kantor}/{tahun}/{desa}"))
    db.commit()
    item = add_request(db, "35.16.11.2017", "alice")
    _, plain = create_token(db, db.exec(select(User).where(User.username == "alice")).one(), "uji")
    response = client.get(f"/api/v1/requests/{item.id}/letters", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 409
    assert "Bagian tidak dikenal: {desa}" in response.json()["detail"]
    assert db.exec(select(Letter)).first() is None
