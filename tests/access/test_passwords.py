"""access/passwords.py and sign-in: argon2id hashes, old scrypt hashes upgraded on success, no user enumeration."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.errors import InvalidCredentials
from cxloop.access.models import User
from cxloop.access.passwords import hash_password, needs_rehash, verify_password
from cxloop.access.schemas import UserUpdate
from cxloop.storage.database import Database

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.production_password_hashing  # the other tests hash with argon2's cheap test profile


def test_hashes_are_salted_argon2id_and_verify_only_the_right_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert first != second  # a random salt each time
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)
    assert not needs_rehash(first)
    assert not verify_password(PASSWORD, "not a hash")
    assert needs_rehash("not a hash")


def test_weaker_parameters_and_old_scrypt_hashes_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert verify_password(PASSWORD, weak)
    assert needs_rehash(weak)
    salt = bytes(range(16))
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1)
    legacy = f"scrypt${salt.hex()}${digest.hex()}"
    assert verify_password(PASSWORD, legacy)
    assert not verify_password("wrong", legacy)
    assert not verify_password(PASSWORD, "scrypt$zz$00")
    assert needs_rehash(legacy)


def test_sign_in_checks_the_password_and_upgrades_an_old_hash(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        user = access.create_user(session, email="Ana@Example.com", role=Role.analyst, password=PASSWORD)
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        user.password_hash = old
        user_id = user.id
    with db.unit_of_work(write=True) as session:
        signed_in = access.authenticate_user(session, email=" ana@example.com", password=PASSWORD)
        assert signed_in.id == user_id
    with db.unit_of_work() as session:
        stored = session.get(User, user_id)
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash != old and not needs_rehash(stored.password_hash)


def test_wrong_password_unknown_email_no_password_and_inactive_users_are_refused_alike(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        user = access.create_user(session, email="ana@example.com", role=Role.analyst, password=PASSWORD)
        access.create_user(session, email="bo@example.com", role=Role.viewer)
        messages = set()
        for email, password in [
            ("ana@example.com", "wrong password"),
            ("nobody@example.com", PASSWORD),
            ("bo@example.com", PASSWORD),
        ]:
            with pytest.raises(InvalidCredentials) as refused:
                access.authenticate_user(session, email=email, password=password)
            messages.add(refused.value.message)
        access.update_user(session, user_id=user.id, data=UserUpdate(is_active=False))
        with pytest.raises(InvalidCredentials):
            access.authenticate_user(session, email="ana@example.com", password=PASSWORD)
    assert messages == {"the email or password is wrong"}
