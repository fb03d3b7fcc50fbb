"""[[web_users]] (SPEC 17): passwords hashed as the file is read, hashes
checked, every mistake named by its key path, no password or hash ever in
a message."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from imsupport.config import parseConfig
from imsupport.configvalues import ConfigError, Table
from imsupport.configweb import ADMIN, ANALYST, readWebUsers

BASE = '[service]\ndomain = "support.example.org"\n[xmpp]\nsecret = "s"\n'
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRET = "a long secret"
HASH = CHEAP.hash(SECRET)


def user(**fields: str) -> str:
    values = {"name": '"ada"', "password": f'"{SECRET}"', "role": '"admin"', **fields}
    return "[[web_users]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v)


def read(text: str):
    import tomllib
    tables = Table("/etc/imsupport.toml", "", tomllib.loads(text)).tables("web_users")
    return readWebUsers(tables, CHEAP)


def test_none_by_default():
    assert parseConfig(BASE).web_users == ()


def test_a_password_is_kept_only_as_its_argon2_hash():
    (ada,) = parseConfig(BASE + user()).web_users
    assert ada.name == "ada" and ada.role == ADMIN
    assert ada.password_hash.startswith("$argon2id$") and SECRET not in ada.password_hash
    assert PasswordHasher().verify(ada.password_hash, SECRET)
    assert SECRET not in repr(ada) and ada.password_hash not in repr(ada)


def test_a_hash_is_taken_as_it_is_and_the_role_defaults_to_analyst():
    users = read(user(password="", password_hash=f'"{HASH}"', role="")
                 + user(name='"alan"', role='"analyst"'))
    assert users[0].password_hash == HASH and users[0].role == ANALYST
    assert users[1].role == ANALYST and CHEAP.verify(users[1].password_hash, SECRET)


@pytest.mark.parametrize(("text", "message"), [
    (user(password=""), "web_users[0].password is required (or password_hash"),
    (user(password_hash=f'"{HASH}"'), "web_users[0].password and password_hash are both given"),
    (user(password='"short"'), "web_users[0].password must be 8 to 1024 characters "
                               "(value not shown)"),
    (user(password="12345678"), "web_users[0].password must be a string (value not shown)"),
    (user(password="", password_hash='"$2b$12$abcdefghijklmnopqrstuv"'),
     "web_users[0].password_hash must be an argon2 hash like $argon2id$"),
    (user(password="", password_hash=f'"{HASH[:30]}"'),
     "web_users[0].password_hash is not a whole argon2 hash (value not shown"),
    (user(role='"root"'), 'web_users[0].role must be "admin" or "analyst", got "root"'),
    (user(name='"a b"'), "web_users[0].name must be a name of 1-64 characters without spaces"),
    (user(name=""), "web_users[0].name is required"),
    (user(pasword='"x"'), "unknown key web_users[0].pasword"),
    (user() + user(), 'web_users[1].name "ada" is already used by web_users[0]'),
])
def test_mistakes_name_the_key_and_never_show_a_secret(text: str, message: str):
    with pytest.raises(ConfigError) as caught:
        read(text)
    said = str(caught.value)
    assert said.startswith("/etc/imsupport.toml: ") and message in said, said
    for secret in (SECRET, "short", "12345678", HASH[10:30], "abcdefghijkl"):
        assert secret not in said


def test_the_whole_file_reads_them():
    with pytest.raises(ConfigError, match="web_users.0..role must be"):
        parseConfig(BASE + user(role='"boss"'), "imsupport.toml")
