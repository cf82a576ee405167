"""Spreadsheets built to take the server down are refused with a reason, and the portal keeps answering.

Each workbook here is a few kilobytes. Before the reader checked a sheet's extent and ran in a child process
with memory and time limits, the first one aborted the whole server (`memory allocation of 549755813888 bytes
failed`) and the second cost 110 s of CPU and 6.5 GB."""

from __future__ import annotations

import io
import random
import re
import string
import struct
import threading
import time
import zipfile

import pytest

from app.imports import isolation
from tests.conftest import login
from tests.imports.helpers import upload
from tests.imports.test_files import _refused

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _sheet_xml(cells: dict[str, str], *, dimension: str | None = None, extra_rows: str = "") -> bytes:
    rows: dict[int, list[str]] = {}
    for ref, value in cells.items():
        cell = f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
        rows.setdefault(int(re.sub(r"[A-Z]", "", ref)), []).append(cell)
    body = "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in sorted(rows.items())) + extra_rows
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{dim}<sheetData>{body}</sheetData></worksheet>'.encode()


def _xlsx(sheet_xml: bytes, shared_strings: str = "") -> bytes:
    """A minimal workbook as Excel lays it out: one sheet named after the service, optional shared strings."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
            '<sheet name="KTP_BARU" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{MAIN}">{shared_strings}</sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def _huge_shared_string_workbook() -> bytes:
    """One 1-MB string (random letters, so it does not compress away) shown in 10,000 cells: 0.8 MB on disk,
    10 GB once every cell holds its own copy."""
    text = "".join(random.choices(string.ascii_letters, k=1_000_000))
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}" t="s"><v>0</v></c></row>' for r in range(1, 5001)
    )
    sheet = f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()
    return _xlsx(sheet, f"<si><t>{text}</t></si>")


@pytest.mark.parametrize(
    ("cells", "dimension", "extra_rows", "far_cell"),
    [
        ({"A1": "NIK", "XFD1048576": "x"}, None, "", "XFD1048576"),  # aborted the server process
        ({"A1": "NIK", "XFD10000": "x"}, None, "", "XFD10000"),  # 110 s of CPU and 6.5 GB
        ({"A1": "NIK", "A2": "x"}, "A1:XFD1048576", "", "XFD1048576"),  # declared huge, holds two cells
        ({"A1": "NIK", "A2": "x", "A20000": "y"}, "A1:A2", "", "A20000"),  # declared small, data far below
        ({"A1": "NIK", "A2": "x"}, None, '<row r="1048576"/>', "A1048576"),  # a million empty rows
    ],
    ids=["a1-and-xfd1048576", "a1-and-xfd10000", "declared-huge", "declared-small", "empty-rows"],
)
def test_a_sheet_reaching_far_beyond_the_template_is_refused_before_it_is_read(
    client, db, cells, dimension, extra_rows, far_cell
):
    login(client, "alice")
    started = time.monotonic()
    problem = _refused(client, db, _xlsx(_sheet_xml(cells, dimension=dimension, extra_rows=extra_rows)))
    assert time.monotonic() - started < 10
    assert far_cell in problem and "di luar tabel" in problem
    assert "80 kolom" in problem and "10.000 baris" in problem


def test_a_file_that_needs_too_much_memory_is_refused_and_the_portal_keeps_answering(client, db):
    login(client, "alice")
    data = _huge_shared_string_workbook()
    assert len(data) < 1024 * 1024
    outcome: dict[str, object] = {}

    def hostile_upload() -> None:
        outcome["response"] = upload(client, data)

    worker = threading.Thread(target=hostile_upload)
    worker.start()
    slowest = 0.0
    while worker.is_alive():  # while the child reads and hits its memory ceiling, pages still come back
        started = time.monotonic()
        assert client.get("/permohonan").status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.05)
    worker.join()
    assert slowest < 1.0
    assert outcome["response"].status_code == 303
    page = client.get(outcome["response"].headers["location"])
    assert "terlalu besar atau terlalu rumit" in page.text


def test_a_reader_that_runs_out_of_time_is_stopped_and_the_file_refused(client, db, monkeypatch):
    login(client, "alice")
    monkeypatch.setattr(isolation, "WALL_SECONDS", 0.01)  # no child starts Python that fast
    problem = _refused(client, db, _xlsx(_sheet_xml({"A1": "NIK", "A2": "x"})))
    assert "batas memori atau waktu" in problem


def _understate_size(data: bytes, member: str) -> bytes:
    """The member's uncompressed size in its local and central headers set to 10 bytes (a disguised bomb)."""
    raw = bytearray(data)
    name = member.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := raw.find(signature, start)) != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + len(name)] == name:
                raw[at + size_at : at + size_at + 4] = struct.pack("<I", 10)
            start = at + 4
    return bytes(raw)


def test_a_workbook_whose_headers_understate_a_size_is_named_damaged(client, db):
    login(client, "alice")
    data = _understate_size(_xlsx(_sheet_xml({"A1": "NIK", "A2": "x" * 5000})), "xl/worksheets/sheet1.xml")
    problem = _refused(client, db, data)
    assert "rusak" in problem
