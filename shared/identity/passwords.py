"""Password hashing (argon2id) and the password policy.

Parameters are OWASP's argon2id minimum (19 MiB memory, 2 iterations, 1 lane): about 20-30 ms per
hash on these machines. That cost is deliberate: it is what makes a leaked hash expensive to
attack, and it is why login is the slowest endpoint (see the benchmark). Hashes record their own
parameters, so raising them later re-hashes each password at its owner's next login.
"""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128  # bounds the hashing work one request can cause
_RULES = (
    (re.compile(r"[a-z]"), "a lowercase letter"),
    (re.compile(r"[A-Z]"), "an uppercase letter"),
    (re.compile(r"[0-9]"), "a digit"),
)


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16)


def policy_problems(password: str) -> list[str]:
    """What the password lacks under the registration rule (spec rules.md §9); empty if fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    problems.extend(f"at least {label}" for rx, label in _RULES if not rx.search(password))
    return problems


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# A real hash to verify against when the email is unknown, so an unknown email costs the same
# time as a wrong password and response times do not reveal which accounts exist.
@functools.cache
def dummy_hash() -> str:
    return hash_password("not-a-real-password-Aa1")
