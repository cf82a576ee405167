"""PDFs for upload tests, built with pikepdf: a plain scan (one page showing a grey image, opening at "fit page"
as many scanner apps set it) and the same scan carrying active content."""

from __future__ import annotations

import io
import random

import pikepdf
from pikepdf import Array, Dictionary, Name, String


def scan_pdf(side: int = 320, seed: int = 7) -> bytes:
    """A one-page scan of ``side`` × ``side`` grey pixels (random, so about side² bytes)."""
    pdf = pikepdf.new()
    image = pdf.make_stream(
        random.Random(seed).randbytes(side * side),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=side,
        Height=side,
        ColorSpace=Name.DeviceGray,
        BitsPerComponent=8,
    )
    pdf.add_blank_page(page_size=(side, side))
    page = pdf.pages[0]
    page.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.Contents = pdf.make_stream(f"q {side} 0 0 {side} 0 0 cm /Im0 Do Q".encode())
    pdf.Root.OpenAction = Array([page.obj, Name.Fit])  # a view, not an action: allowed
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _changed(change) -> bytes:
    with pikepdf.open(io.BytesIO(scan_pdf())) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def with_open_action_javascript() -> bytes:
    """Runs a script as soon as the file is opened in a PDF reader."""

    def change(pdf):
        pdf.Root.OpenAction = pdf.make_indirect(
            Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String("app.alert('pindaian');"))
        )

    return _changed(change)


def with_launch_on_page_open() -> bytes:
    """Starts a program when the page is shown (an additional action on the page)."""

    def change(pdf):
        pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.Launch, F=String("cmd.exe")))

    return _changed(change)


def with_embedded_file() -> bytes:
    """Carries another file inside (a name tree of embedded files)."""

    def change(pdf):
        attached = pdf.make_stream(b"MZ\x90\x00 a program", Type=Name.EmbeddedFile)
        spec = Dictionary(Type=Name.Filespec, F=String("ktp.exe"), EF=Dictionary(F=attached))
        pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("ktp.exe"), spec])))

    return _changed(change)


def with_hidden_javascript_name() -> bytes:
    """JavaScript under a name written with an escape (``/J#61vaScript`` reads as ``/JavaScript``), in a
    handwritten file without a cross-reference table, so a byte search for the name finds nothing."""
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        b"4 0 obj << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def html_polyglot(*, with_pdf_after: bool) -> bytes:
    """``%PDF-`` and then a web page; with ``with_pdf_after`` a whole PDF follows, which PDF readers still open."""
    html = b"%PDF-1.4\n<html><body><script>fetch('/akun/kata-sandi')</script></body></html>\n"
    return html + (scan_pdf().split(b"\n", 1)[1] if with_pdf_after else b"")
