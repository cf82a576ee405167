"""The service catalogue (jenis layanan) as shipped: codes, names, required documents, outputs, the fields
each service needs, and default targets in working days. Regencies copy it and then edit their copy
(requirement texts, targets, on/off); the field definitions stay here, because the validators use them.

Sources: ../shared/domain.md (Perpres 96/2018, Permendagri 108/2019: no village letter is required except
for a first registration)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str = "text"
    """``text``, ``textarea``, ``date``, ``time``, ``nik`` (16 digits, checked like a NIK) or ``select``."""
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class ServiceDefinition:
    code: str
    name: str
    output: str
    requirements: tuple[str, ...]
    target_days: int
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)


SEX_OPTIONS = (("L", "Laki-laki"), ("P", "Perempuan"))
LOSS_OPTIONS = (("hilang", "Hilang"), ("rusak", "Rusak"))
CHANGE = (
    FieldSpec("element", "Elemen data yang diubah", hint="Mis. nama, pendidikan, pekerjaan, status perkawinan"),
    FieldSpec("new_value", "Data baru"),
)

SERVICES: tuple[ServiceDefinition, ...] = (
    ServiceDefinition(
        "BIODATA",
        "Pendaftaran biodata penduduk (NIK baru)",
        "Biodata penduduk dan NIK",
        (
            "Surat pengantar RT/RW",
            "Bukti peristiwa kependudukan/penting",
            "Bukti pendidikan terakhir",
            "Formulir F-1.04 bila dokumen tidak lengkap",
        ),
        3,
        (FieldSpec("reason", "Keterangan", "textarea", required=False),),
    ),
    ServiceDefinition(
        "KK_BARU",
        "Kartu Keluarga baru",
        "Kartu Keluarga",
        ("Buku nikah/kutipan akta perkawinan atau akta perceraian", "Surat keterangan pindah (SKP) bila pindah datang"),
        3,
        (
            FieldSpec(
                "reason",
                "Alasan KK baru",
                "select",
                options=(
                    ("menikah", "Membentuk keluarga baru (menikah)"),
                    ("pindah_datang", "Pindah datang"),
                    ("cerai", "Perceraian"),
                    ("lainnya", "Lainnya"),
                ),
            ),
        ),
    ),
    ServiceDefinition(
        "KK_UBAH",
        "Perubahan data Kartu Keluarga",
        "Kartu Keluarga",
        ("Kartu Keluarga lama", "Bukti perubahan data"),
        3,
        CHANGE,
    ),
    ServiceDefinition(
        "KK_HILANG",
        "Kartu Keluarga hilang/rusak",
        "Kartu Keluarga",
        ("Surat keterangan hilang dari kepolisian atau KK yang rusak", "KTP-el"),
        3,
        (FieldSpec("cause", "Sebab", "select", options=LOSS_OPTIONS),),
    ),
    ServiceDefinition(
        "KK_PECAH",
        "Pisah Kartu Keluarga",
        "Kartu Keluarga",
        ("Formulir F-1.02", "Buku nikah/akta perceraian atau surat pernyataan", "Kartu Keluarga"),
        3,
        (FieldSpec("reason", "Alasan pisah KK", "textarea"),),
    ),
    ServiceDefinition(
        "KTP_BARU",
        "KTP-el baru (usia 17 tahun atau sudah menikah)",
        "KTP-el (perekaman biometrik di tempat)",
        ("Kartu Keluarga",),
        14,
    ),
    ServiceDefinition(
        "KTP_UBAH",
        "KTP-el perubahan/hilang/rusak",
        "KTP-el",
        ("KTP-el lama dan bukti perubahan, atau surat kehilangan kepolisian/KTP-el yang rusak", "Kartu Keluarga"),
        14,
        (
            FieldSpec(
                "cause",
                "Sebab",
                "select",
                options=(("perubahan", "Perubahan data"), ("hilang", "Hilang"), ("rusak", "Rusak")),
            ),
            FieldSpec("element", "Elemen data yang diubah", required=False),
        ),
    ),
    ServiceDefinition(
        "KIA",
        "Kartu Identitas Anak",
        "KIA",
        (
            "Kutipan akta kelahiran",
            "Kartu Keluarga orang tua",
            "KTP-el orang tua",
            "Pas foto 2×3 (anak usia 5 tahun ke atas)",
        ),
        7,
    ),
    ServiceDefinition(
        "AKTA_LAHIR",
        "Akta kelahiran",
        "Kutipan akta kelahiran dan KK terbaru",
        (
            "Surat keterangan lahir dari dokter/bidan atau SPTJM kebenaran data kelahiran",
            "Buku nikah/akta perkawinan atau SPTJM kebenaran sebagai pasangan suami istri",
            "Kartu Keluarga",
            "Identitas dua orang saksi",
        ),
        3,
        (
            FieldSpec("child_name", "Nama anak"),
            FieldSpec("child_sex", "Jenis kelamin anak", "select", options=SEX_OPTIONS),
            FieldSpec("child_birth_place", "Tempat lahir anak"),
            FieldSpec("child_birth_date", "Tanggal lahir anak", "date"),
            FieldSpec("child_birth_time", "Jam lahir", "time", required=False),
            FieldSpec("father_nik", "NIK ayah", "nik", required=False, hint="Kosongkan bila tidak tercatat"),
            FieldSpec("mother_nik", "NIK ibu", "nik"),
        ),
    ),
    ServiceDefinition(
        "AKTA_MATI",
        "Akta kematian",
        "Kutipan akta kematian dan KK terbaru",
        ("Surat keterangan kematian dari dokter atau kepala desa/lurah", "Kartu Keluarga"),
        1,
        (
            FieldSpec("deceased_nik", "NIK yang meninggal", "nik"),
            FieldSpec("deceased_name", "Nama yang meninggal"),
            FieldSpec("death_date", "Tanggal meninggal", "date"),
            FieldSpec("death_place", "Tempat meninggal"),
            FieldSpec("death_cause", "Sebab kematian"),
        ),
    ),
    ServiceDefinition(
        "PINDAH",
        "Surat keterangan pindah (SKPWNI)",
        "SKPWNI; KK baru di tempat tujuan",
        ("Kartu Keluarga", "Formulir F-1.03"),
        3,
        (
            FieldSpec("destination_address", "Alamat tujuan", "textarea"),
            FieldSpec("destination_region", "Desa/kelurahan, kecamatan, kabupaten/kota tujuan"),
            FieldSpec(
                "reason",
                "Alasan pindah",
                "select",
                options=(
                    ("pekerjaan", "Pekerjaan"),
                    ("pendidikan", "Pendidikan"),
                    ("keluarga", "Keluarga"),
                    ("keamanan", "Keamanan"),
                    ("kesehatan", "Kesehatan"),
                    ("perumahan", "Perumahan"),
                    ("lainnya", "Lainnya"),
                ),
            ),
            FieldSpec("members", "Anggota keluarga yang ikut pindah", "textarea", required=False),
        ),
    ),
    ServiceDefinition(
        "AKTA_KAWIN",
        "Akta perkawinan (non-Muslim)",
        "Kutipan akta perkawinan",
        (
            "Surat keterangan perkawinan dari pemuka agama",
            "Pas foto berdampingan",
            "KTP-el",
            "Kartu Keluarga",
            "Identitas dua orang saksi",
        ),
        5,
        (
            FieldSpec("spouse_nik", "NIK pasangan", "nik"),
            FieldSpec("spouse_name", "Nama pasangan"),
            FieldSpec("marriage_date", "Tanggal perkawinan", "date"),
            FieldSpec("marriage_place", "Tempat pemberkatan/perkawinan"),
        ),
    ),
    ServiceDefinition(
        "AKTA_CERAI",
        "Akta perceraian",
        "Kutipan akta perceraian",
        (
            "Salinan putusan pengadilan yang berkekuatan hukum tetap",
            "Kutipan akta perkawinan",
            "Kartu Keluarga",
            "KTP-el",
        ),
        5,
        (FieldSpec("ruling_number", "Nomor putusan pengadilan"), FieldSpec("ruling_date", "Tanggal putusan", "date")),
    ),
)

BY_CODE = {s.code: s for s in SERVICES}
