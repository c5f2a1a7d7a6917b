"""The site's fediverse key pair: RSA-2048, made once, the private key kept in `.homepost/fediverse/`.

The private key is written atomically with mode 0600 (`state.write_atomic` creates its temporary
file with `tempfile.mkstemp`, which opens it 0600: no chmod comes after) and never leaves this
module as text except to sign. `HOMEPOST_FEDIVERSE_KEY` (a PEM in the environment, for CI) takes
the place of the file. No message, log line or repr carries the key: errors name the file or the
variable and what was expected.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from generator.errors import HomepostError, Problem
from generator.fediverse.signatures import Signer
from generator.state import write_atomic

log = logging.getLogger(__name__)

KEY_ENV = "HOMEPOST_FEDIVERSE_KEY"
KEY_FOLDER = Path(".homepost") / "fediverse"
KEY_NAME = "private.pem"
KEY_BITS = 2048


class FediverseKeyError(HomepostError):
    """The fediverse key cannot be read, made or rotated."""


@dataclass(frozen=True)
class KeyPair:
    """The site's key pair; `source` says where it came from (a file path or the environment variable)."""

    private_key: rsa.RSAPrivateKey = field(repr=False)
    source: str

    @property
    def public_pem(self) -> str:
        """The public key as PEM (SubjectPublicKeyInfo), for the actor document's `publicKeyPem`."""
        pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    @property
    def fingerprint(self) -> str:
        """`SHA256:` and the base64 digest of the public key (DER): safe to print, the same wherever the key is."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode("ascii").rstrip("=")

    def signer(self, actor: str) -> Signer:
        """A Signer for requests from `actor` (its URL), under the key id `ACTOR#main-key` the actor document names."""
        return Signer(actor + "#main-key", self.private_key)


@dataclass(frozen=True)
class KeyInit:
    """What `init_key` did: the key in use, whether it was made now, and the old key's file after a rotation."""

    key: KeyPair
    created: bool
    previous: Path | None = None

    @property
    def needs_actor_update(self) -> bool:
        """True after a rotation: followers' servers learn the new key only from an Update of the actor."""
        return self.previous is not None


def key_path(root: Path) -> Path:
    """Where the site in `root` keeps its private key."""
    return root / KEY_FOLDER / KEY_NAME


def load_key(root: Path) -> KeyPair | None:
    """The key from HOMEPOST_FEDIVERSE_KEY, else from the site's key file; None when neither exists."""
    from_env = _env_key()
    if from_env is not None:
        return from_env
    path = key_path(root)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FediverseKeyError(Problem(str(path), f"cannot read the fediverse key ({exc.strerror})")) from None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s: the fediverse private key is readable by others (mode %04o); run chmod 600 on it", path, mode)
    return KeyPair(_parse(data, str(path)), str(path))


def ensure_key(root: Path) -> KeyPair:
    """The site's key, made and saved on first need."""
    return load_key(root) or init_key(root).key


def init_key(root: Path, rotate: bool = False) -> KeyInit:
    """Make the site's key pair unless there is one; with `rotate`, a new one, the old kept as `private.pem.1`."""
    from_env = _env_key()
    if from_env is not None:
        if rotate:
            message = "the key comes from the environment: put a new PEM in it instead of rotating"
            raise FediverseKeyError(Problem(KEY_ENV, message))
        return KeyInit(from_env, created=False)
    path = key_path(root)
    existing = load_key(root)
    if existing is not None and not rotate:
        return KeyInit(existing, created=False)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    _make_folder(path.parent)
    previous = None
    if existing is not None:
        previous = path.with_name(KEY_NAME + ".1")
        write_atomic(previous, path.read_bytes())
    write_atomic(path, _pem(key))
    return KeyInit(KeyPair(key, str(path)), created=True, previous=previous)


def _env_key() -> KeyPair | None:
    """The key in HOMEPOST_FEDIVERSE_KEY, or None when it is unset or empty."""
    text = os.environ.get(KEY_ENV, "").strip()
    return KeyPair(_parse(text.encode("utf-8"), KEY_ENV), KEY_ENV) if text else None


def _parse(data: bytes, where: str) -> rsa.RSAPrivateKey:
    """The RSA private key in `data`; the error names `where` and what was expected, never the data."""
    try:
        key: PrivateKeyTypes = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):  # their text may quote the input: not passed on
        expected = "an unencrypted RSA private key in PEM form (-----BEGIN PRIVATE KEY-----)"
        raise FediverseKeyError(Problem(where, f"not a usable fediverse key: expected {expected}")) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
        raise FediverseKeyError(Problem(where, f"the fediverse key must be RSA of {KEY_BITS} bits or more"))
    return key


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _make_folder(folder: Path) -> None:
    """The key's folder, made readable by its owner only when it is new."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
