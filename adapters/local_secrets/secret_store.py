"""LocalSecretStore: one AES-GCM encrypted file per secret (the embedded profile), and its key-file loader."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import stat
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.ports.secret_store import (
    SecretStore,
    make_secret_ref,
    secret_name_from_ref,
    validate_secret_name,
    validate_secret_value,
)
from domain.errors import NotFound, ServiceUnavailable, UpstreamError

KEY_BYTES = 32
_NONCE_BYTES = 12
_MAGIC = b"MAS1"  # file format version 1: magic, 96-bit nonce, AES-256-GCM ciphertext with its 128-bit tag
_AAD_PREFIX = b"mailagent/local-secrets/v1\x00"
_SUFFIX = ".secret"
_KEY_CHECK_FILE = ".key-check"
_KEY_CHECK_AAD = b"mailagent/local-secrets/key-check/v1"
_NOT_FOUND = "No secret is stored under this reference (it may have been deleted)."
_CANNOT_READ = "The local secret store cannot be read."
_CANNOT_WRITE = "The local secret store cannot be written."


class SecretIntegrityError(UpstreamError):
    """A stored secret could not be decrypted: altered, moved from another name, or the key changed."""

    code = "secret_integrity_error"

    def __init__(self) -> None:
        super().__init__(
            "A stored secret failed its integrity check: the file was altered or moved, "
            "or the encryption key changed. Store the secret again (e.g. reconnect the account).",
            service="secret_store",
        )


class SecretKeyFileError(RuntimeError):
    """The key is unsafe, malformed, or not the one the secrets were written with; the message says why."""


class LocalSecretStore(SecretStore):
    """Files live in `directory` (created 0700), named by a keyed hash of the secret name, each 0600.

    The secret name is the AES-GCM associated data: a file copied over another name's file fails to decrypt.
    """

    scheme = "local"

    def __init__(self, directory: Path, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise ValueError(f"LocalSecretStore needs a {KEY_BYTES * 8}-bit key ({KEY_BYTES} bytes).")
        self._directory = Path(directory)
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._aead = AESGCM(_derive(key, b"mailagent/local-secrets/aes-gcm/v1"))
        # A keyed hash, so someone who can list the directory cannot confirm which names exist by guessing.
        self._name_key = _derive(key, b"mailagent/local-secrets/file-names/v1")
        self._check_key()

    def put(self, name: str, value: str) -> str:
        validate_secret_name(name)
        validate_secret_value(value)
        nonce = os.urandom(_NONCE_BYTES)
        blob = _MAGIC + nonce + self._aead.encrypt(nonce, value.encode("utf-8"), _aad(name))
        try:
            self._write_atomically(self._path_for(name), blob)
        except OSError:
            raise ServiceUnavailable(_CANNOT_WRITE, service="secret_store") from None
        return make_secret_ref(self.scheme, name)

    def get(self, ref: str) -> str:
        name = secret_name_from_ref(self.scheme, ref)
        try:
            blob = self._path_for(name).read_bytes()
        except FileNotFoundError:
            raise NotFound(_NOT_FOUND) from None
        except OSError:
            raise ServiceUnavailable(_CANNOT_READ, service="secret_store") from None
        header = len(_MAGIC) + _NONCE_BYTES
        if len(blob) < header + 16 or not blob.startswith(_MAGIC):
            raise SecretIntegrityError()
        nonce = blob[len(_MAGIC) : header]
        try:
            plaintext = self._aead.decrypt(nonce, blob[header:], _aad(name))
        except InvalidTag:
            raise SecretIntegrityError() from None
        return plaintext.decode("utf-8")

    def delete(self, ref: str) -> None:
        try:
            name = secret_name_from_ref(self.scheme, ref)
        except NotFound:
            return
        try:
            self._path_for(name).unlink(missing_ok=True)
        except OSError:
            raise ServiceUnavailable(_CANNOT_WRITE, service="secret_store") from None
        self._fsync_directory()

    def exists(self, ref: str) -> bool:
        try:
            name = secret_name_from_ref(self.scheme, ref)
        except NotFound:
            return False
        return self._path_for(name).is_file()

    def path_for_ref(self, ref: str) -> Path:
        """Where the file for `ref` lives (for operators and tests; the file holds only ciphertext)."""
        return self._path_for(secret_name_from_ref(self.scheme, ref))

    def _check_key(self) -> None:
        """Refuse a key other than the one this directory was written with (its files would look missing)."""
        path = self._directory / _KEY_CHECK_FILE
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            nonce = os.urandom(_NONCE_BYTES)
            self._write_atomically(path, _MAGIC + nonce + self._aead.encrypt(nonce, b"ok", _KEY_CHECK_AAD))
            return
        header = len(_MAGIC) + _NONCE_BYTES
        try:
            self._aead.decrypt(blob[len(_MAGIC) : header], blob[header:], _KEY_CHECK_AAD)
        except (InvalidTag, ValueError):
            raise SecretKeyFileError(
                f"The secrets in {self._directory} were encrypted with a different key. Restore the original "
                "key file, or move the directory away to start afresh (its secrets are then lost)."
            ) from None

    def _path_for(self, name: str) -> Path:
        digest = hmac.new(self._name_key, name.encode("utf-8"), hashlib.sha256).hexdigest()
        return self._directory / f"{digest}{_SUFFIX}"

    def _write_atomically(self, path: Path, data: bytes) -> None:
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=_SUFFIX, dir=self._directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        self._fsync_directory()

    def _fsync_directory(self) -> None:
        # Makes the rename durable; not every platform lets you open a directory.
        with contextlib.suppress(OSError):
            dir_fd = os.open(self._directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def load_or_create_key(path: Path) -> bytes:
    """Return the 256-bit key in `path`, creating it (0600, parent 0700) when missing.

    The file holds the key base64-encoded (as `openssl rand -base64 32` prints it); 32 raw bytes are accepted
    too. A key file that the group or others may read, or that does not hold exactly 32 bytes, is refused.
    """
    path = Path(path)
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


def _create_key_file(path: Path) -> None:
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask
    encoded = base64.b64encode(os.urandom(KEY_BYTES)) + b"\n"
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-key-", dir=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(encoded)
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if another process created the key meanwhile: then that key wins and is read below.
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)


def _read_key_file(path: Path) -> bytes:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SecretKeyFileError(f"Cannot read the secret key file {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretKeyFileError(f"The secret key file {path} is not a regular file.")
    if os.name == "posix" and info.st_mode & 0o077:
        raise SecretKeyFileError(
            f"The secret key file {path} may be read by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"restrict it with `chmod 600 {path}`."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SecretKeyFileError(f"Cannot read the secret key file {path}: {exc.strerror}.") from None
    if len(raw) == KEY_BYTES:
        return raw
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SecretKeyFileError(
            f"The secret key file {path} must hold a base64-encoded {KEY_BYTES}-byte key "
            f"(e.g. from `openssl rand -base64 {KEY_BYTES}`)."
        ) from None
    if len(key) != KEY_BYTES:
        raise SecretKeyFileError(
            f"The secret key file {path} holds a {len(key)}-byte key; it must be exactly {KEY_BYTES} bytes "
            f"(e.g. from `openssl rand -base64 {KEY_BYTES}`)."
        )
    return key


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(key)


def _aad(name: str) -> bytes:
    return _AAD_PREFIX + name.encode("utf-8")
