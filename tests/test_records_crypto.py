"""Sealing and key handling: AES-256-GCM fields bound to their place, wrapped data keys."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from tts_agents.errors import TTSAgentError, TTSConfigError
from tts_agents.records.crypto import (
    DataKey,
    MasterKey,
    MasterKeyMismatch,
    MasterKeyMissing,
    RecordTampered,
)

# Looked for in every log line of the run by conftest's _no_key_in_any_log.
KEY = base64.b64encode(bytes(range(32))).decode()
SECRET = b"my card number is 4111 1111 1111 1111"


def test_seal_opens_only_in_its_own_conversation_and_field() -> None:
    key = DataKey.generate("conv-1")
    sealed = key.seal("turn 0 text", SECRET)
    assert SECRET not in sealed
    assert key.seal("turn 0 text", SECRET) != sealed, "every seal takes a fresh nonce"
    assert key.open("turn 0 text", sealed) == SECRET
    with pytest.raises(RecordTampered):
        key.open("turn 1 text", sealed)
    same_key_other_row = DataKey("conv-2", key._key)
    with pytest.raises(RecordTampered):
        same_key_other_row.open("turn 0 text", sealed)


@pytest.mark.parametrize("position", [0, 1, 13, -1])
def test_any_changed_byte_is_refused_without_data(position: int) -> None:
    key = DataKey.generate("conv-1")
    sealed = bytearray(key.seal("variables", SECRET))
    sealed[position] ^= 0x01
    with pytest.raises(RecordTampered) as caught:
        key.open("variables", bytes(sealed))
    assert "4111" not in str(caught.value)
    assert isinstance(caught.value, TTSAgentError)


def test_truncated_ciphertext_is_tampered() -> None:
    key = DataKey.generate("conv-1")
    with pytest.raises(RecordTampered):
        key.open("variables", key.seal("variables", SECRET)[:20])
    with pytest.raises(RecordTampered):
        key.open("variables", b"")


def test_wrapped_data_key_opens_under_its_master_only() -> None:
    master, other = MasterKey.from_base64(KEY), MasterKey.generate()
    data_key = DataKey.generate("conv-1")
    wrapped = master.wrap(data_key)
    assert data_key._key not in wrapped
    assert master.unwrap("conv-1", wrapped, master.key_id) == data_key
    with pytest.raises(MasterKeyMismatch) as caught:
        other.unwrap("conv-1", wrapped, master.key_id)
    assert master.key_id in str(caught.value) and other.key_id in str(caught.value)
    assert isinstance(caught.value, TTSConfigError)
    # A wrapped key copied onto another conversation's row does not open there.
    with pytest.raises(RecordTampered):
        master.unwrap("conv-2", wrapped, master.key_id)


def test_key_id_names_the_key_without_revealing_it() -> None:
    master = MasterKey.from_base64(KEY)
    assert len(master.key_id) == 8 and int(master.key_id, 16) >= 0
    assert MasterKey.from_base64(KEY).key_id == master.key_id
    assert MasterKey.generate().key_id != master.key_id
    assert KEY not in repr(master) and master.key_id in repr(master)
    assert "_key" not in repr(DataKey.generate("conv-1"))
    assert master.to_base64() == KEY


@pytest.mark.parametrize(
    "text",
    ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(bytes(33)).decode()],
)
def test_bad_master_key_is_a_config_error_that_hides_it(text: str) -> None:
    with pytest.raises(TTSConfigError) as caught:
        MasterKey.from_base64(text)
    assert text not in str(caught.value)


def test_url_safe_base64_and_whitespace_are_accepted() -> None:
    raw = bytes([0xFB, 0xFF] * 16)
    text = base64.urlsafe_b64encode(raw).decode()
    assert MasterKey.from_base64(f"  {text}\n").to_base64() == base64.b64encode(raw).decode()


def key_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "master.key"
    path.write_text(KEY + "\n")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_key_file_is_read(tmp_path: Path, mode: int) -> None:
    assert MasterKey.from_file(key_file(tmp_path, mode)).to_base64() == KEY


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file(tmp_path, mode)
    with pytest.raises(TTSConfigError) as caught:
        MasterKey.from_file(path)
    message = str(caught.value)
    assert str(path) in message and f"{mode:04o}" in message
    assert "\n" not in message and KEY not in message


def test_missing_key_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(TTSConfigError, match="cannot read"):
        MasterKey.from_file(tmp_path / "absent.key")


def test_master_key_from_environment(tmp_path: Path) -> None:
    assert MasterKey.from_env({}) is None
    assert MasterKey.from_env({"TTS_AGENTS_MASTER_KEY": KEY}).to_base64() == KEY  # type: ignore[union-attr]
    path = str(key_file(tmp_path, 0o600))
    from_file = MasterKey.from_env({"TTS_AGENTS_MASTER_KEY_FILE": path})
    assert from_file is not None and from_file.to_base64() == KEY
    with pytest.raises(TTSConfigError, match="not both"):
        MasterKey.from_env({"TTS_AGENTS_MASTER_KEY": KEY, "TTS_AGENTS_MASTER_KEY_FILE": path})


def test_missing_master_key_says_what_to_set() -> None:
    message = str(MasterKeyMissing())
    assert "TTS_AGENTS_MASTER_KEY" in message and isinstance(MasterKeyMissing(), TTSConfigError)
