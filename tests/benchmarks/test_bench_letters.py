"""Letters (`make bench`): one letter rendered by the portal's tuned renderer (shared CSS and font
configuration, PNG QR code) next to the naive use of WeasyPrint (a fresh HTML(...).write_pdf() with the CSS
inline) in the same run; and a stored letter downloaded again through the app."""

from __future__ import annotations

import re
import statistics
import time

from weasyprint import HTML

from app.letters.render import PDF_DIR, qr_data_uri, renderer
from tests.conftest import add_request, csrf_from, login
from tests.letters.test_rendering import COMMON, RECEIPT

# A one-page receipt with two received documents, as the rendering tests draw it.
CONTEXT = {**COMMON, **RECEIPT, "qr": qr_data_uri("http://127.0.0.1:8000/verify/" + "x" * 43)}
RUNS = 30


def _median_ms(fn, runs: int = RUNS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_one_letter_and_a_repeated_download(client, db):
    tuned = renderer()
    html = tuned.html("receipt", CONTEXT)
    css = (PDF_DIR / "letter.css").read_text()
    naive_html = html.replace("</head>", f"<style>{css}</style></head>")
    base = str(PDF_DIR) + "/"
    naive = _median_ms(lambda: HTML(string=naive_html, base_url=base).write_pdf())
    fast = _median_ms(lambda: tuned.pdf("receipt", CONTEXT))

    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    login(client, "alice")
    page = client.get(f"/permohonan/{item.id}").text
    client.post(f"/permohonan/{item.id}/surat", data={"_csrf_token": csrf_from(page)})
    letter_id = re.search(r'href="/surat/(\d+)"', client.get(f"/permohonan/{item.id}").text).group(1)
    download = _median_ms(lambda: client.get(f"/surat/{letter_id}"), runs=50)
    print(
        f"\none letter, median of {RUNS}: tuned renderer {fast:.1f} ms (target < 75 ms); naive WeasyPrint "
        f"{naive:.1f} ms; {naive / fast:.2f}x faster\n"
        f"stored letter downloaded again through the app: median {download:.1f} ms (target < 10 ms)"
    )
