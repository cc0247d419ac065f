"""Silero VAD v6 (ONNX) on a live 16 kHz stream, as a turn detector.

The model ships inside the ``faster-whisper`` wheel (extra ``whisper``), runs on
onnxruntime (~0.1 ms per 32 ms window) and gives a speech probability per window of 512
samples, carrying its LSTM state and 64 samples of context from window to window.
:class:`SileroTurnDetector` has the same interface and events as the WebRTC
:class:`~tts_agents.stt.vad.TurnDetector`: onset after ``min_speech_ms`` of windows above
``ONSET`` (hysteresis: a turn goes on while windows stay above ``OFFSET``), end after
``end_silence_ms`` below it. Unlike WebRTC's VAD plus an energy gate, it tells speech from
loud non-speech (music, keyboard, traffic), so noise at 10 dB SNR does not start turns.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np

from tts_agents.errors import MissingExtraError, TTSValidationError
from tts_agents.stt.vad import SpeechEnded, SpeechStarted, VadEvent

RATE = 16_000
WINDOW = 512  # samples: 32 ms
CONTEXT = 64
WINDOW_MS = WINDOW * 1000 // RATE
ONSET = 0.5
OFFSET = 0.35


def silero_path() -> Path | None:
    """The model file inside the installed faster-whisper package, if there is one."""
    try:
        import faster_whisper
    except ImportError:
        return None
    path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    return path if path.is_file() else None


@functools.cache
def _session() -> Any:
    path = silero_path()
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise MissingExtraError("Silero voice activity detection", "whisper") from exc
    if path is None:
        raise MissingExtraError("Silero voice activity detection", "whisper")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class SileroVAD:
    """Speech probabilities of a stream, one per 32 ms window."""

    def __init__(self) -> None:
        self._session = _session()
        self.reset()

    def reset(self) -> None:
        """Forget the stream."""
        self._state = (np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32))
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def feed(self, pcm16: bytes) -> list[float]:
        """Probabilities of the whole windows this audio completed."""
        usable = len(pcm16) - len(pcm16) % 2
        samples = np.frombuffer(pcm16[:usable], dtype="<i2").astype(np.float32) / 32768.0
        data = np.concatenate([self._pending, samples])
        count = len(data) // WINDOW
        self._pending = data[count * WINDOW :]
        probabilities = []
        h, c = self._state
        for index in range(count):
            window = data[index * WINDOW : (index + 1) * WINDOW]
            framed = np.concatenate([self._context, window])[np.newaxis, :]
            out, h, c = self._session.run(None, {"input": framed, "h": h, "c": c})
            self._context = window[-CONTEXT:]
            probabilities.append(float(out.reshape(-1)[0]))
        self._state = (h, c)
        return probabilities


class SileroTurnDetector:
    """Turn starts and ends from Silero's probabilities; see the module docstring."""

    def __init__(self, *, end_silence_ms: int = 300, min_speech_ms: int = 60) -> None:
        for name, value in (("end_silence_ms", end_silence_ms), ("min_speech_ms", min_speech_ms)):
            if value < WINDOW_MS:
                raise TTSValidationError(name, f"must be at least {WINDOW_MS} ms")
        self.end_silence_ms = end_silence_ms
        self._onset_windows = max(1, math.ceil(min_speech_ms / WINDOW_MS))
        self._vad = SileroVAD()
        self.reset()

    @property
    def stream_ms(self) -> int:
        """Milliseconds of audio analysed so far (whole windows)."""
        return self._windows * WINDOW_MS

    @property
    def in_speech(self) -> bool:
        """True between a :class:`SpeechStarted` and its :class:`SpeechEnded`."""
        return self._started_ms is not None

    @property
    def silence_ms(self) -> int:
        """How long the user has been quiet within the current turn (0 outside a turn)."""
        return 0 if self._started_ms is None else self.stream_ms - self._voiced_until_ms

    def reset(self) -> None:
        """Forget all audio and state; stream time starts again at 0."""
        self._vad.reset()
        self._windows = 0
        self._run = 0
        self._started_ms: int | None = None
        self._voiced_until_ms = 0

    def feed(self, pcm16: bytes) -> list[VadEvent]:
        """Analyse more 16 kHz s16le audio; the events it completed."""
        events: list[VadEvent] = []
        for probability in self._vad.feed(pcm16):
            start_ms = self.stream_ms
            self._windows += 1
            event = self._step(start_ms, probability)
            if event is not None:
                events.append(event)
        return events

    def _step(self, start_ms: int, probability: float) -> VadEvent | None:
        if self._started_ms is None:
            self._run = self._run + 1 if probability >= ONSET else 0
            if self._run >= self._onset_windows:
                self._started_ms = start_ms - (self._run - 1) * WINDOW_MS
                self._voiced_until_ms = start_ms + WINDOW_MS
                return SpeechStarted(self._started_ms)
            return None
        if probability >= OFFSET:
            self._voiced_until_ms = start_ms + WINDOW_MS
        elif start_ms + WINDOW_MS - self._voiced_until_ms >= self.end_silence_ms:
            ended = SpeechEnded(self._voiced_until_ms, self._started_ms)
            self._started_ms = None
            self._run = 0
            return ended
        return None


__all__ = ["SileroTurnDetector", "SileroVAD", "silero_path"]
