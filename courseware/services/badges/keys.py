"""The platform's Ed25519 signing keys: created on first start in the instance folder, rotated by an operator.

Each key is one file, `<SIGNING_KEYS_DIR>/ed25519-NNNN.json` (mode 0600; the folder 0700), never committed. The
newest key signs new credentials and status lists; every older key stays published in the issuer profiles, so
credentials it signed keep verifying. A file appears complete or not at all: it is written under a temporary name
and hard-linked into place, which fails if the name exists (like O_EXCL), so two processes starting at once, or two
rotations, never make two keys with one number or read a half-written file.

Keys are read once per process (`keyring()`); a stat of the folder per call notices a rotation by another process.
"""
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from threading import Lock

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from .multibase import ed25519_multikey

FILE_PATTERN = re.compile(r"^ed25519-(\d{4,})\.json$")


class KeyStoreError(RuntimeError):
    """A key file that cannot be read: the operator must restore it from the backup."""


@dataclass(frozen=True, eq=False)
class SigningKey:
    number: int
    created: datetime
    private_key: Ed25519PrivateKey = field(repr=False)
    public_key: bytes
    multikey: str  # publicKeyMultibase, "z6Mk..."; also the fragment of the key's verificationMethod ids

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


@dataclass(frozen=True)
class KeyRing:
    keys: tuple  # SigningKey, oldest first

    @property
    def current(self) -> SigningKey:
        """The key that signs from now on: the newest."""
        return self.keys[-1]

    def find(self, multikey: str) -> SigningKey | None:
        """The key with this publicKeyMultibase, or None."""
        return next((key for key in self.keys if key.multikey == multikey), None)


def keys_dir() -> Path:
    """The folder of the signing keys (SIGNING_KEYS_DIR)."""
    return Path(current_app.config["SIGNING_KEYS_DIR"])


_lock = Lock()


def keyring() -> KeyRing:
    """This process's keys (the first one is created if there is none), re-read only when the folder changed."""
    directory = keys_dir()
    cache = current_app.extensions.setdefault("courseware_signing_keys", {})
    stamp = _stamp(directory)
    cached = cache.get(str(directory))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        # The stamp from before reading: a key made meanwhile (by us or another process) means one more reading.
        ring = ensure_keys(directory)
        cache[str(directory)] = (stamp, ring)
        return ring


def _stamp(directory: Path):
    try:
        return directory.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def ensure_keys(directory: Path, now: datetime | None = None) -> KeyRing:
    """The keys in `directory`, after creating the first one there if it has none (race-safe)."""
    ring = read_keys(directory)
    if ring.keys:
        return ring
    _create_key(directory, 1, now)  # a process that lost the race to create key 1 simply reads it
    return read_keys(directory)


def rotate_key(directory: Path, now: datetime | None = None) -> SigningKey:
    """Make a new key, which signs from now on; the old ones stay published. Returns the new key."""
    ensure_keys(directory, now)
    while True:
        number = max(key.number for key in read_keys(directory).keys) + 1
        if _create_key(directory, number, now):
            return read_keys(directory).keys[-1]


def read_keys(directory: Path) -> KeyRing:
    """Every key file in `directory`, oldest first; KeyStoreError for a file that cannot be read."""
    if not directory.is_dir():
        return KeyRing(())
    keys = []
    for path in directory.iterdir():
        match = FILE_PATTERN.match(path.name)
        if match:
            keys.append(_read_key(path, int(match.group(1))))
    return KeyRing(tuple(sorted(keys, key=lambda key: key.number)))


def _read_key(path: Path, number: int) -> SigningKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        private_key = serialization.load_pem_private_key(data["private_key_pem"].encode("ascii"), password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError("not an Ed25519 key")
        created = datetime.fromisoformat(data["created"].replace("Z", "+00:00")).astimezone(timezone.utc)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise KeyStoreError(f"{path}: not a readable signing key ({error})") from error
    public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(number, created, private_key, public, ed25519_multikey(public))


def _create_key(directory: Path, number: int, now: datetime | None) -> bool:
    """Write key `number`; False if that file exists already (another process made it first)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
    text = json.dumps({"number": number, "algorithm": "Ed25519", "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "private_key_pem": pem}, indent=1) + "\n"
    temporary = directory / f".ed25519-{number:04d}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, directory / f"ed25519-{number:04d}.json")  # fails if the name exists, as O_EXCL
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)
