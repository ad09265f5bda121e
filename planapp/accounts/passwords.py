"""Password hashing: argon2id at OWASP's parameters, with older hashes upgraded at the next sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)

MIN_LENGTH = 10
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    # Legacy Werkzeug hashes (pbkdf2:, scrypt:) from imported accounts.
    try:
        return check_password_hash(stored, password)
    except ValueError:
        return False


def needs_rehash(stored: str) -> bool:
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


# A real hash to verify against when the e-mail is unknown, so both paths cost the same time.
DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")
