"""Encryption at rest: AES-256-GCM with per-conversation data keys wrapped by a master key.

Every conversation gets its own random 32-byte data key. Its fields are sealed with that key,
each bound (as associated data) to the conversation id and the field's name, so a ciphertext
copied into another row or field fails to open. The data key is stored beside the row only
wrapped by the master key, together with the master key's id: deleting the row shreds the
key, and rotating the master key re-wraps data keys without touching a single field.

Nothing here logs, and no message carries a key or a plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tts_agents.errors import TTSAgentError, TTSConfigError

KEY_BYTES = 32
NONCE_BYTES = 12
# The first byte of everything sealed says how it was sealed, so the format can change later.
FORMAT_V1 = b"\x01"
KEY_ENV = "TTS_AGENTS_MASTER_KEY"
KEY_FILE_ENV = "TTS_AGENTS_MASTER_KEY_FILE"


class RecordTampered(TTSAgentError):
    """A sealed field failed its integrity check: it was altered or moved. No data is returned."""

    code = "record_tampered"


class MasterKeyMissing(TTSConfigError):
    """Conversation contents need a master key and none is configured."""

    def __init__(self) -> None:
        super().__init__(
            f"conversation records need a master key: set {KEY_ENV} (32 random bytes, base64) "
            f"or {KEY_FILE_ENV}"
        )


class MasterKeyMismatch(TTSConfigError):
    """A data key was wrapped under another master key than the one configured."""

    def __init__(self, stored_id: str, configured_id: str) -> None:
        super().__init__(
            f"the record was sealed under master key {stored_id}, but the configured master "
            f"key is {configured_id}: configure that key, or rotate to this one with it"
        )
        self.stored_id = stored_id
        self.configured_id = configured_id


def _associated_data(conversation_id: str, field_name: str) -> bytes:
    # JSON keeps the pair unambiguous whatever characters the id holds.
    return json.dumps([conversation_id, field_name]).encode()


def _seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def _open(key: bytes, sealed: bytes, associated: bytes, what: str) -> bytes:
    if sealed[:1] != FORMAT_V1 or len(sealed) < 1 + NONCE_BYTES + 16:
        raise RecordTampered(f"{what} failed its integrity check")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, associated)
    except InvalidTag:
        raise RecordTampered(f"{what} failed its integrity check") from None


@dataclass(frozen=True, slots=True)
class DataKey:
    """One conversation's key: seals and opens that conversation's fields only."""

    conversation_id: str
    _key: bytes = field(repr=False)

    @classmethod
    def generate(cls, conversation_id: str) -> DataKey:
        """A fresh random key for ``conversation_id``."""
        return cls(conversation_id, AESGCM.generate_key(bit_length=KEY_BYTES * 8))

    def seal(self, field_name: str, plaintext: bytes) -> bytes:
        """``plaintext`` encrypted and bound to this conversation and ``field_name``."""
        return _seal(self._key, plaintext, _associated_data(self.conversation_id, field_name))

    def open(self, field_name: str, sealed: bytes) -> bytes:
        """The plaintext of ``sealed``; :class:`RecordTampered` if it was changed or moved."""
        associated = _associated_data(self.conversation_id, field_name)
        return _open(self._key, sealed, associated, f"{field_name} of a conversation")


@dataclass(frozen=True, slots=True)
class MasterKey:
    """The key that wraps every data key; ``key_id`` names it without revealing it."""

    key_id: str = field(init=False)
    _key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self._key) != KEY_BYTES:
            raise TTSConfigError(f"a master key must be {KEY_BYTES} bytes")
        # A labelled hash, so the id is never a hash any other system computes of the key.
        digest = hashlib.sha256(b"tts-agents master key id\x00" + self._key).hexdigest()
        object.__setattr__(self, "key_id", digest[:8])

    @classmethod
    def generate(cls) -> MasterKey:
        """A new random master key (store :meth:`to_base64` somewhere safe)."""
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        """The key from its base64 form (standard or URL-safe alphabet)."""
        cleaned = "".join(text.split())
        try:
            raw = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise TTSConfigError("the master key is not valid base64") from None
        return cls(raw)

    @classmethod
    def from_file(cls, path: Path) -> MasterKey:
        """The key from a file only its owner can read (mode 0600 or stricter)."""
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if os.name == "posix" and mode & 0o077:
                raise TTSConfigError(
                    f"{path}: mode {mode:04o} lets others read the master key; "
                    "chmod 600 it (or stricter)"
                )
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise TTSConfigError(
                f"{path}: cannot read the master key ({type(exc).__name__})"
            ) from exc
        return cls.from_base64(text)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MasterKey | None:
        """The key named by ``TTS_AGENTS_MASTER_KEY`` or ``..._FILE``; None when neither is set."""
        env = os.environ if environ is None else environ
        inline, path = env.get(KEY_ENV), env.get(KEY_FILE_ENV)
        if inline and path:
            raise TTSConfigError(f"set {KEY_ENV} or {KEY_FILE_ENV}, not both")
        if inline:
            return cls.from_base64(inline)
        if path:
            return cls.from_file(Path(path))
        return None

    def to_base64(self) -> str:
        """The key in the form :meth:`from_base64` and ``TTS_AGENTS_MASTER_KEY`` take."""
        return base64.b64encode(self._key).decode("ascii")

    def wrap(self, data_key: DataKey) -> bytes:
        """``data_key`` encrypted under this key and bound to its conversation."""
        associated = _associated_data(data_key.conversation_id, "data key")
        return _seal(self._key, data_key._key, associated)

    def unwrap(self, conversation_id: str, wrapped: bytes, key_id: str) -> DataKey:
        """The data key of ``conversation_id``, wrapped under the master key ``key_id``.

        Raises :class:`MasterKeyMismatch` when that is not this key, and
        :class:`RecordTampered` when the wrapped key was changed or belongs to another row.
        """
        if key_id != self.key_id:
            raise MasterKeyMismatch(key_id, self.key_id)
        associated = _associated_data(conversation_id, "data key")
        raw = _open(self._key, wrapped, associated, "the data key of a conversation")
        return DataKey(conversation_id, raw)


__all__ = [
    "DataKey",
    "MasterKey",
    "MasterKeyMismatch",
    "MasterKeyMissing",
    "RecordTampered",
]
