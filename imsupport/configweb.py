"""
The people of the admin and analyst pages (SPEC 17, R-WEB-1, R-SEC-5):
``[[web_users]] name, password | password_hash, role``, checked in the
style of config.py (errors name the key). A ``password`` written in the
file is hashed with argon2id as the file is read, and only the hash is
kept; no message ever shows a password or a hash.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError

from imsupport.configvalues import Bad, Table, choice, fieldDefault, unique, want

ADMIN, ANALYST = "admin", "analyst"
ROLES = (ADMIN, ANALYST)
USER_NAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,64}$")
MIN_PASSWORD = 8  # characters
MAX_PASSWORD = 1024  # characters; longer ones are refused at log-in, unhashed
HASH_HINT = ("python3 -c 'import argon2, getpass; "
             "print(argon2.PasswordHasher().hash(getpass.getpass()))'")


@dataclass(frozen=True)
class WebUser:
    name: str
    # argon2's encoded hash ($argon2id$v=19$m=...,t=...,p=...$salt$hash): never
    # the password; kept out of repr so that a logged object shows neither
    password_hash: str = field(repr=False)
    role: str = ANALYST  # "admin" also changes things; "analyst" reads


def userName(v: Any) -> str:
    if not isinstance(v, str) or not USER_NAME.fullmatch(v):
        raise want("a name of 1-64 characters without spaces", v)
    return v


def password(v: Any) -> str:
    """The messages never show the value, even a wrong one."""
    if not isinstance(v, str):
        raise Bad("must be a string (value not shown)")
    if not MIN_PASSWORD <= len(v) <= MAX_PASSWORD:
        raise Bad(f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters (value not shown)")
    return v


def passwordHash(v: Any) -> str:
    hint = f"(value not shown; make one with {HASH_HINT})"
    if not isinstance(v, str) or not v.startswith("$argon2"):
        raise Bad(f"must be an argon2 hash like $argon2id$v=19$m=65536,t=3,p=4$... {hint}")
    try:
        extract_parameters(v)
    except InvalidHashError:
        raise Bad(f"is not a whole argon2 hash {hint}") from None
    return v


def readWebUsers(tables: list[Table], hasher: PasswordHasher | None = None
                 ) -> tuple[WebUser, ...]:
    """Each table's user, its ``password`` hashed by ``hasher`` (argon2id
    with argon2-cffi's default cost when None); names are unique."""
    hashing = hasher or PasswordHasher()
    users = tuple(_user(t, hashing) for t in tables)
    unique(tables, "name", [u.name for u in users])
    return users


def _user(t: Table, hasher: PasswordHasher) -> WebUser:
    name = t.value("name", userName)
    plain = t.value("password", password, None)
    hashed = t.value("password_hash", passwordHash, None)
    if plain is not None and hashed is not None:
        raise t.fail("password", "and password_hash are both given; keep one of them")
    if plain is None and hashed is None:
        raise t.fail("password", "is required (or password_hash, its argon2 hash)")
    role = t.value("role", choice(*ROLES), fieldDefault(WebUser, "role"))
    t.finish()
    return WebUser(name, hashed if hashed is not None else hasher.hash(plain), role)
