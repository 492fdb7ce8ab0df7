"""Keys the server creates at first start, and the hashing and encryption built on them.

Three files in the server's home folder, each written once with mode 0600:
- ``token.key`` signs bearer tokens: the database stores HMAC(token.key, token), never the
  token itself.
- ``data.key`` is the Fernet key that encrypts password properties at rest. Keep it apart from
  database backups: a copy of the database alone reveals no password.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_password_hasher = PasswordHasher()


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def load_or_create_key(path: Path, create) -> bytes:
    """Return the key stored at ``path``, creating it with ``create()`` on first use."""
    if not path.exists():
        write_private_file(path, create())
    os.chmod(path, 0o600)
    return path.read_bytes().strip()


class KeyStore:
    def __init__(self, home: Path) -> None:
        self.token_key = load_or_create_key(home / "token.key", lambda: secrets.token_hex(32).encode())
        self.fernet = Fernet(load_or_create_key(home / "data.key", Fernet.generate_key))

    def hash_token(self, token: str) -> str:
        return hmac.new(self.token_key, token.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, text: str) -> str:
        return self.fernet.encrypt(text.encode()).decode()

    def decrypt(self, text: str) -> str:
        try:
            return self.fernet.decrypt(text.encode()).decode()
        except InvalidToken as error:
            raise RuntimeError("stored data cannot be decrypted: data.key does not match this database") from error


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    # Hex, not token_urlsafe: a URL-safe token starts with "-" one time in 64, and then
    # `stackyard agent --registration-token TOKEN` reads it as an option.
    return secrets.token_hex(32)
