"""A clerk records a request through the form; everyone finds requests in their scope in the list."""

from __future__ import annotations

from sqlmodel import select

from app.audit.models import AuditEntry
from app.requests.models import Request, StatusChange
from tests.conftest import add_request, csrf_from, make_nik

FORM = {
    "service": "KTP_BARU",
    "nik": "3516111208900001",
    "kk_number": "3516110101090001",
    "name": "Budi Santoso",
    "birth_place": "Mojokerto",
    "birth_date": "1990-08-12",
    "sex": "L",
    "address": "Jl. Mawar 1",
    "rt": "1",
    "rw": "2",
    "dusun": "Kenanten",
    "phone": "081234567890",
}


def _post(client, url, data):
    token = csrf_from(client.get("/permohonan/baru?layanan=KTP_BARU").text)
    return client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


def test_the_clerk_picks_a_service_then_fills_its_form(as_user):
    client = as_user("alice")
    choose = client.get("/permohonan/baru")
    assert "Permohonan baru: pilih layanan" in choose.text
    assert choose.text.count('class="card service-card"') == 13
    form = client.get("/permohonan/baru?layanan=AKTA_LAHIR")
    assert "NIK ibu" in form.text and "Surat keterangan lahir dari dokter/bidan" in form.text
    assert "Surat pengantar RT/RW atau desa tidak diperlukan" in form.text


def test_a_request_is_saved_as_a_draft_with_a_public_number(as_user, db):
    client = as_user("alice")
    response = _post(client, "/permohonan/baru", FORM)
    assert response.status_code == 303
    saved = db.exec(select(Request)).one()
    assert response.headers["location"] == f"/permohonan/{saved.id}"
    assert saved.number == "PPD-3516112017-2026-000001" or saved.number.startswith("PPD-3516112017-")
    assert (saved.status, saved.village_code, saved.name, saved.rt) == ("draft", "35.16.11.2017", "BUDI SANTOSO", "001")
    page = client.get(response.headers["location"])
    assert "tersimpan sebagai draf" in page.text
    assert "3516111208900001" in page.text  # the full NIK, on the request page only
    history = db.exec(select(StatusChange).where(StatusChange.request_id == saved.id)).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "draft")]


def test_numbers_count_up_per_village_and_year(as_user, db):
    client = as_user("alice")
    _post(client, "/permohonan/baru", FORM)
    _post(client, "/permohonan/baru", {**FORM, "nik": make_nik(serial=2)})
    numbers = sorted(r.number for r in db.exec(select(Request)))
    assert [n[-6:] for n in numbers] == ["000001", "000002"]
    assert len({n[:-7] for n in numbers}) == 1


def test_a_form_with_errors_keeps_everything_typed_and_names_each_problem(as_user, db):
    client = as_user("alice")
    response = _post(client, "/permohonan/baru", {**FORM, "nik": "351611120890001", "birth_date": "1990-08-13"})
    assert response.status_code == 400
    assert "NIK harus 16 digit; yang diisi 15 digit." in response.text
    assert 'value="Budi Santoso"' in response.text and 'value="Jl. Mawar 1"' in response.text
    assert 'value="351611120890001"' in response.text
    assert db.exec(select(Request)).first() is None


def test_an_unknown_district_and_an_open_duplicate_warn_but_save(as_user, db):
    client = as_user("alice")
    _post(client, "/permohonan/baru", FORM)
    response = _post(client, "/permohonan/baru", FORM)
    page = client.get(response.headers["location"])
    assert "NIK ini masih punya permohonan" in page.text
    odd = {**FORM, "nik": "3516991208900001"}
    page = client.get(_post(client, "/permohonan/baru", odd).headers["location"])
    assert "pemekaran" in page.text
    assert len(db.exec(select(Request)).all()) == 3


def test_viewing_a_full_record_is_logged(as_user, db):
    client = as_user("alice")
    location = _post(client, "/permohonan/baru", FORM).headers["location"]
    client.get(location)
    views = db.exec(select(AuditEntry).where(AuditEntry.action == "request.view")).all()
    assert len(views) == 1 and views[0].actor_username == "alice"


def test_lists_mask_niks_and_show_only_the_scope(as_user, db):
    add_request(db, "35.16.11.2017", "alice", name="WARGA KENANTEN", serial=1)
    add_request(db, "35.16.11.2009", "bob", name="WARGA SUMBERGIRANG", serial=2)
    add_request(db, "35.16.12.2007", "carol", name="WARGA TROWULAN", serial=3)
    client = as_user("alice")
    page = client.get("/permohonan/").text
    assert "WARGA KENANTEN" in page and "WARGA SUMBERGIRANG" not in page
    assert "3516••••••••0001" in page and make_nik(serial=1) not in page
    client.cookies.clear()
    client = as_user("dave")
    page = client.get("/permohonan/").text
    assert "WARGA KENANTEN" in page and "WARGA SUMBERGIRANG" in page and "WARGA TROWULAN" not in page


def test_search_takes_a_name_a_number_or_a_whole_nik_never_part_of_one(as_user, db):
    first = add_request(db, "35.16.11.2017", "alice", name="SITI AMINAH", serial=1)
    add_request(db, "35.16.11.2017", "alice", name="BUDI", serial=2)
    client = as_user("alice")

    def found(q):
        return client.get("/permohonan/", params={"q": q}, headers={"hx-request": "true"}).text

    assert "SITI AMINAH" in found("aminah") and "BUDI" not in found("aminah")
    assert "SITI AMINAH" in found(first.number.lower())
    assert "SITI AMINAH" in found(first.nik) and "BUDI" not in found(first.nik)
    partial = found(first.nik[:10])
    assert "SITI AMINAH" not in partial and "BUDI" not in partial


def test_htmx_filtering_returns_only_the_results(as_user, db):
    add_request(db, "35.16.11.2017", "alice", serial=1)
    client = as_user("alice")
    partial = client.get("/permohonan/?status=draft", headers={"hx-request": "true"})
    assert "<html" not in partial.text and "1 permohonan" in partial.text
    none = client.get("/permohonan/?status=completed", headers={"hx-request": "true"})
    assert "Tidak ada permohonan yang cocok" in none.text
    full = client.get("/permohonan/?status=draft")
    assert "<html" in full.text


def test_pages_of_fifty(as_user, db):
    for serial in range(1, 53):
        add_request(db, "35.16.11.2017", "alice", serial=serial)
    client = as_user("alice")
    first = client.get("/permohonan/").text
    assert "52 permohonan · halaman 1 dari 2" in first and first.count("<tr>") == 51  # header + 50
    second = client.get("/permohonan/?page=2").text
    assert second.count("<tr>") == 3


def test_district_operators_and_dinas_cannot_create_requests(as_user):
    client = as_user("dave")
    assert client.get("/permohonan/baru").status_code == 403
    token = csrf_from(client.get("/").text)
    assert client.post("/permohonan/baru", data={**FORM, "_csrf_token": token}).status_code == 403


def test_a_submitted_request_can_no_longer_be_edited(as_user, db):
    item = add_request(db, "35.16.11.2017", "alice", status="submitted")
    client = as_user("alice")
    response = client.get(f"/permohonan/{item.id}/ubah")
    assert response.status_code == 409
    assert "sudah dikirim dan tidak dapat diubah lagi" in response.text
