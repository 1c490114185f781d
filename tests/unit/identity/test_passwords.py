"""argon2id hashing and the registration password rule."""

from shared.identity.passwords import (
    hash_password,
    needs_rehash,
    policy_problems,
    verify_password,
)


def test_hash_verifies_only_the_right_password() -> None:
    h = hash_password("Correct1horse")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "Correct1horse")
    assert not verify_password(h, "correct1horse")
    assert not verify_password("not-a-hash", "Correct1horse")
    assert not needs_rehash(h)


def test_policy_requires_length_cases_and_digit() -> None:
    assert policy_problems("Abcdefg1") == []
    assert "at least 8 characters" in policy_problems("Ab1")
    assert policy_problems("abcdefgh1") == ["at least an uppercase letter"]
    assert policy_problems("ABCDEFGH1") == ["at least a lowercase letter"]
    assert policy_problems("Abcdefghi") == ["at least a digit"]
    assert "at most 128 characters" in policy_problems("Aa1" * 50)
