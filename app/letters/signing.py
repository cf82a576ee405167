"""Electronic signatures on letters: when the issuing office's official has a PKCS#12 certificate, the PDF
is signed with pyHanko (PAdES baseline B-B), which any PDF reader can check. Without one, the letter carries
the QR code only.

Certificates live in ``PORTAL_DATA_DIR/signing/<office code>.p12`` with the passphrase in
``<office code>.pass`` (both mode 0600), put there by ``litestar portal signing set``."""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from app.config import PortalConfig


def signing_dir(config: PortalConfig) -> Path:
    return config.data_dir / "signing"


def certificate_paths(config: PortalConfig, office_code: str) -> tuple[Path, Path]:
    base = signing_dir(config)
    return base / f"{office_code}.p12", base / f"{office_code}.pass"


def install_certificate(config: PortalConfig, office_code: str, pkcs12: bytes, passphrase: bytes) -> str:
    """Check that the file opens with the passphrase, then keep both (mode 0600); returns the subject."""
    signer = _load(pkcs12, passphrase)
    base = signing_dir(config)
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o700)
    p12, secret = certificate_paths(config, office_code)
    for path, data in ((p12, pkcs12), (secret, passphrase)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return signer.signing_cert.subject.human_friendly


def _load(pkcs12: bytes, passphrase: bytes) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=[], passphrase=passphrase)
    if signer is None:
        raise ValueError("the PKCS#12 file could not be opened with this passphrase")
    return signer


def certificate_for(config: PortalConfig, office_code: str) -> tuple[str, str] | None:
    """The office's certificate and passphrase files, when it has a certificate."""
    p12, secret = certificate_paths(config, office_code)
    return (str(p12), str(secret)) if p12.is_file() else None


def load_signer(p12: str, secret: str) -> signers.SimpleSigner:
    """The signer of a certificate file, opened once per process while the file stays the same."""
    return _cached_signer(p12, secret, os.stat(p12).st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _cached_signer(p12: str, secret: str, _mtime_ns: int) -> signers.SimpleSigner:
    passphrase = Path(secret).read_bytes() if Path(secret).is_file() else b""
    return _load(Path(p12).read_bytes(), passphrase)


def sign(pdf: bytes, signer: signers.SimpleSigner, *, reason: str, location: str) -> bytes:
    """A PAdES signature over the whole letter, added as an incremental update (the PDF/A content is kept)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="TandaTanganElektronik",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    out = signers.sign_pdf(writer, metadata, signer=signer)
    return out.getvalue()
