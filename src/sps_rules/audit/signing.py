"""Ed25519 signatures for decision records (optional: ``pip install 'sps-rules[sign]'``).

The municipality keeps the private key and may publish the public key, so that anyone can
check that a record was signed by it and not changed since. A key is named by its
fingerprint, ``SHA256:`` and the unpadded base64 of the sha256 of the raw 32-byte public
key (the form OpenSSH prints). Keys are stored as PEM: PKCS#8 for the private key (file mode
0600), SubjectPublicKeyInfo for the public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.errors import SpsRulesError
from ..model.io import read_bounded, write_atomic

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KeySource = Path | str | bytes
MAX_KEY_BYTES = 16_384
PRIVATE_NAME, PUBLIC_NAME = "sps-rules-signing.key", "sps-rules-signing.pub"


class SigningError(SpsRulesError, ValueError):
    """A key that cannot be read or used, or signing without the ``sign`` extra installed."""


def _require() -> None:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise SigningError("signed records need the cryptography library: pip install 'sps-rules[sign]'") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """``SHA256:<base64>`` of the raw public key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return _fingerprint_raw(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def _fingerprint_raw(raw: bytes) -> str:
    return "SHA256:" + _b64(hashlib.sha256(raw).digest()).rstrip("=")


def _read(source: KeySource, what: str) -> tuple[str, bytes]:
    if isinstance(source, bytes):
        return what, source
    name = str(source)
    data = read_bounded(source, MAX_KEY_BYTES, what=what, error=SigningError)
    return name, data


def load_private_key(source: KeySource | Ed25519PrivateKey) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM bytes or a PEM file that only its owner can read."""
    _require()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if isinstance(source, Ed25519PrivateKey):
        return source
    if isinstance(source, (str, Path)):
        try:
            mode = os.stat(source).st_mode
        except OSError as exc:
            raise SigningError(f"{source}: cannot read the private key: {exc.strerror}") from None
        if stat.S_ISREG(mode) and mode & 0o077:
            raise SigningError(f"{source}: the private key can be read by others (mode {stat.S_IMODE(mode):04o}); "
                               "run: chmod 600 on it")
    name, data = _read(source, "private key")
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningError(f"{name}: not an unencrypted PEM private key") from None
    except Exception:  # cryptography's UnsupportedAlgorithm and the like
        raise SigningError(f"{name}: not a usable private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{name}: not an Ed25519 private key")
    return key


def load_public_key(source: KeySource | Ed25519PublicKey) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes or a PEM file."""
    _require()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if isinstance(source, Ed25519PublicKey):
        return source
    name, data = _read(source, "public key")
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise SigningError(f"{name}: not a PEM public key") from None
    except Exception:
        raise SigningError(f"{name}: not a usable public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{name}: not an Ed25519 public key")
    return key


def sign(key: Ed25519PrivateKey, message: bytes) -> dict[str, str]:
    """The signature block a record carries."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"algorithm": "Ed25519", "key": _fingerprint_raw(raw), "public_key": _b64(raw), "value": _b64(key.sign(message))}


def verify(block: dict[str, Any], message: bytes, expected: Ed25519PublicKey | None = None) -> str | None:
    """None if ``block`` is a valid signature of ``message`` (by ``expected``, if given); else why not."""
    _require()
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(block["public_key"], validate=True)
        value = base64.b64decode(block["value"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, KeyError):
        return "the record's signature block is malformed"
    if _fingerprint_raw(raw) != block.get("key"):
        return "the record's signature names a key other than the one it carries: it was altered"
    if expected is not None and fingerprint(expected) != block["key"]:
        return f"the record was signed by {block['key']}, not by the given key {fingerprint(expected)}"
    try:
        public.verify(value, message)
    except InvalidSignature:
        return "the signature does not match the record's content: it was altered after it was signed"
    return None


def new_keys(folder: Path) -> tuple[Path, Path, str]:
    """Write a new key pair into ``folder``; never over an existing file. Returns both paths and the fingerprint."""
    _require()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = folder / PRIVATE_NAME, folder / PUBLIC_NAME
    for path in (private_path, public_path):
        if os.path.lexists(path):
            raise SigningError(f"{path}: exists already; a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    write_atomic(private_path, private_pem, permissions=0o600, replace=False, error=SigningError)
    write_atomic(public_path, public_pem, permissions=0o644, replace=False, error=SigningError)
    return private_path, public_path, fingerprint(key.public_key())
