"""Electronic signatures: with an official's PKCS#12 certificate the letter is PAdES-signed and pyHanko
validates it; without one it carries the QR code only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import select

from app.letters.models import Letter
from tests.conftest import add_request, csrf_from, login
from tests.letters.helpers import pdf_meta, pdf_text


def _throwaway_certificate(tmp_path):
    """A self-signed certificate for the village head, as a PKCS#12 file with a passphrase."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pemerintah Desa Kenanten"),
            x509.NameAttribute(NameOID.COMMON_NAME, "SUPRIYADI"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"kenanten", key, cert, None, serialization.BestAvailableEncryption(b"sandi-tte")
    )
    path = tmp_path / "kades.p12"
    path.write_bytes(data)
    return path, cert


def test_a_configured_certificate_signs_letters_and_pyhanko_validates_them(run, client, db, tmp_path):
    p12, cert = _throwaway_certificate(tmp_path)
    wrong = run("signing", "set", "35.16.11.2017", str(p12), "--passphrase-stdin", input="salah\n")
    assert wrong.exit_code != 0 and "could not be used" in wrong.text
    result = run("signing", "set", "35.16.11.2017", str(p12), "--passphrase-stdin", input="sandi-tte\n")
    assert result.exit_code == 0, result.output
    assert "SUPRIYADI" in result.text

    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    login(client, "alice")
    page = client.get(f"/permohonan/{item.id}").text
    client.post(f"/permohonan/{item.id}/surat", data={"_csrf_token": csrf_from(page)})
    letter = db.exec(select(Letter)).one()
    assert letter.signed
    pdf = client.get(f"/surat/{letter.id}").content
    reader = PdfFileReader(io.BytesIO(pdf))
    [signature] = reader.embedded_signatures
    trust = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[trust]))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    assert letter.number in pdf_text(pdf, tmp_path)  # still the letter, still PDF/A
    assert 'pdfaid:part="2"' in pdf_meta(pdf, tmp_path)

    run("signing", "remove", "35.16.11.2017")
    other = add_request(db, "35.16.11.2017", "alice", serial=2)
    client.post(f"/permohonan/{other.id}/surat", data={"_csrf_token": csrf_from(page)})
    unsigned = db.exec(select(Letter).where(Letter.request_id == other.id)).one()
    assert not unsigned.signed
    assert PdfFileReader(io.BytesIO(client.get(f"/surat/{unsigned.id}").content)).embedded_signatures == []
