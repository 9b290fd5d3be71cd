"""Password hashing with argon2id at RFC 9106's recommended parameters (argon2-cffi's defaults).

Only with OPEX_ENV=test (the browser tests' app and their users) does it hash at argon2's cheapest cost: a
strong hash costs 0.7 s of CPU on a busy two-core machine, and every login of a browser test paid it, enough to
time out the tests that wait for the login. Hashes carry their own parameters, so a verification always costs
what its hash was made with; production (OPEX_ENV=prod) and dev always hash strongly (tests/services/test_passwords.py).
"""

from __future__ import annotations

import secrets

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from opex_app.auth.common_passwords import is_common
from opex_app.settings import get_settings

STRONG: Parameters = profiles.RFC_9106_LOW_MEMORY  # argon2id, t=3, 64 MiB, p=4: argon2-cffi's default
TEST_ONLY: Parameters = profiles.CHEAPEST


def hasher_for(env: str) -> PasswordHasher:
    """The hasher of an OPEX_ENV: the strong parameters everywhere but in 'test'."""
    return PasswordHasher.from_parameters(TEST_ONLY if env == "test" else STRONG)


_hasher = hasher_for(get_settings().env)
# A real hash of a random password: verifying against it when the account does not exist keeps
# the time of a failed login the same, so timing does not reveal which e-mails have accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def check_password_strength(password: str) -> None:
    """Refuse (ValueError, a sentence to show) a password shorter than MIN_PASSWORD_LENGTH or on the list of
    common passwords (auth/common_passwords.py)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if is_common(password):
        raise ValueError("password is on a list of the most common passwords: choose another one")
