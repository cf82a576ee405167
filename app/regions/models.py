"""Kemendagri regions: province → regency/city → district → village, one table, codes in dotted form."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

LEVEL_PROVINCE, LEVEL_REGENCY, LEVEL_DISTRICT, LEVEL_VILLAGE = 1, 2, 3, 4


class Region(SQLModel, table=True):
    __tablename__ = "portal_region"

    code: str = Field(primary_key=True, max_length=13)
    """Dotted Kemendagri code, the one stored form: ``35``, ``35.16``, ``35.16.11``, ``35.16.11.2001``."""
    name: str = Field(max_length=100)
    level: int
    kind: str = Field(max_length=12)
    """``provinsi``, ``kabupaten``, ``kota``, ``kecamatan``, ``kelurahan`` or ``desa``."""
    parent_code: str | None = Field(default=None, foreign_key="portal_region.code", index=True, max_length=13)
    postal_code: str | None = Field(default=None, max_length=5)

    # The village (or office) profile that letters and receipts print; edited by its clerk or the admin.
    office_address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    head_title: str | None = Field(default=None, max_length=60)
    head_name: str | None = Field(default=None, max_length=100)
    head_nip: str | None = Field(default=None, max_length=30)
    """The head's identifier (NIP for civil servants; a village head has none)."""
    sign_as: str | None = Field(default=None, max_length=4)
    """How letters are signed when not by the head: ``a.n.`` (on behalf), ``Plt.`` or ``Plh.`` (acting)."""
    signer_title: str | None = Field(default=None, max_length=60)
    signer_name: str | None = Field(default=None, max_length=100)
    signer_nip: str | None = Field(default=None, max_length=30)
    updated_at: datetime | None = None
