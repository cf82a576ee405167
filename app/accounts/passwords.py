"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommended profile)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("no user has this password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password. With no hash (unknown user) a dummy hash is checked, so timing reveals nothing."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, in Indonesian, or None."""
    if len(password) < MIN_LENGTH:
        return f"Kata sandi minimal {MIN_LENGTH} karakter."
    if len(password) > 200:
        return "Kata sandi paling banyak 200 karakter."
    if password.isdigit():
        return "Kata sandi tidak boleh hanya berisi angka."
    return None
