"""Rendering letters with WeasyPrint: Jinja HTML + CSS from ``pdf/``, fonts shipped in ``pdf/fonts/``, PDF/A-2b,
a QR code as a PNG, and no network: the URL fetcher serves only the project's own ``pdf/`` and ``static/``.

One renderer per process keeps the parsed stylesheet and the font configuration (WeasyPrint is not
thread-safe: callers render one letter at a time per process)."""

from __future__ import annotations

import base64
import gc
import io
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from app.config import REPO_ROOT, STATIC_DIR
from app.web import MONTHS_ID

PDF_DIR = REPO_ROOT / "pdf"
# WeasyPrint reports every rendering step at INFO: hundreds of lines per batch, and time spent writing them.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
PAPER = {"A4": "210mm 297mm", "F4": "215mm 330mm"}
PDF_VARIANT = "pdf/a-2b"


class OfflineFetcher(URLFetcher):
    """Serves ``data:`` URLs and files under ``pdf/`` and ``static/``; refuses everything else (and counts it)."""

    ROOTS = (PDF_DIR.resolve(), STATIC_DIR.resolve())

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in self.ROOTS):
                self.refused.append(url)
                raise ValueError(f"letters may not read {url}")
        elif parts.scheme != "data":
            self.refused.append(url)
            raise ValueError(f"letters never fetch from the network: {url}")
        return super().fetch(url, headers)


def roman(month: int) -> str:
    return ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")[month - 1]


def date_text(value: Any) -> str:
    return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"


def qr_data_uri(text: str) -> str:
    """The QR code as a PNG of one pixel per module, printed 26mm wide without smoothing (``image-rendering:
    pixelated`` in letter.css): cheaper for WeasyPrint than inline SVG, and sharp at any zoom. The data mask is
    fixed: letting segno score all eight masks took 5 of its 6 ms per letter, and any mask decodes (the tokens
    are random, so no mask makes long runs); the tests scan the printed codes."""
    out = io.BytesIO()
    segno.make(text, error="m", mask=0, micro=False).save(out, kind="png", scale=1, border=2)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


class LetterHTML(HTML):
    """A letter's HTML with the letters' own small set of browser defaults (``pdf/letter-ua.css``) in place of
    WeasyPrint's full HTML5 one. ``_ua_stylesheets`` is the hook WeasyPrint's own test suite overrides the same
    way; ``weasyprint`` is pinned, and tests/letters/test_rendering.py renders every letter kind with both sheets
    and compares the pages."""

    user_agent_css: CSS | None = None

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if LetterHTML.user_agent_css is None:
            LetterHTML.user_agent_css = CSS(filename=str(PDF_DIR / "letter-ua.css"))
        return [LetterHTML.user_agent_css]


class LetterRenderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(PDF_DIR / "templates")),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["date_text"] = date_text
        self.fetcher = OfflineFetcher()
        self.font_config = FontConfiguration()
        self.css = CSS(filename=str(PDF_DIR / "letter.css"), url_fetcher=self.fetcher, font_config=self.font_config)
        self._page_css: dict[str, CSS] = {}
        self._lock = threading.Lock()

    def _paper(self, paper: str) -> CSS:
        if paper not in self._page_css:
            self._page_css[paper] = CSS(
                string=f"@page {{ size: {PAPER.get(paper, PAPER['A4'])}; }}", font_config=self.font_config
            )
        return self._page_css[paper]

    def html(self, kind: str, context: dict[str, Any]) -> str:
        return self.env.get_template(f"{kind}.html").render(**context)

    def pdf(self, kind: str, context: dict[str, Any], *, paper: str = "A4") -> bytes:
        """The letter's PDF bytes. Raises on any rendering problem (the caller then issues nothing)."""
        return self.pdf_from_html(self.html(kind, context), paper=paper)

    def pdf_from_html(self, html: str, *, paper: str = "A4", html_class: type[HTML] = LetterHTML) -> bytes:
        with self._lock:  # one rendering at a time per process
            document = html_class(string=html, base_url=str(PDF_DIR) + "/", url_fetcher=self.fetcher)
            return document.write_pdf(
                stylesheets=[self.css, self._paper(paper)],
                font_config=self.font_config,
                pdf_variant=PDF_VARIANT,
                custom_metadata=True,
            )


def start_rendering_process() -> None:
    """Set up a process of its own for rendering many letters (a job's process pool): the renderer and
    WeasyPrint's caches warmed by a first rendering and kept out of garbage collection (``gc.freeze``), and the
    cyclic collector run between letters (``collect_garbage``, after each letter of ``produce_pooled``) instead
    of during them. WeasyPrint makes hundreds of thousands of objects per letter; automatic collections in the
    middle of a layout took about a fifth of the time."""
    sample = renderer()
    sample.pdf_from_html("<p>Pelaku Para Dewi <b>1</b> <i>2</i></p>")
    gc.collect()
    gc.freeze()
    gc.disable()


def collect_garbage() -> None:
    """After a letter in a rendering process (see ``start_rendering_process``)."""
    if not gc.isenabled():
        gc.collect()


_renderer: LetterRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> LetterRenderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = LetterRenderer()
        return _renderer
