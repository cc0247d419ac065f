"""Silero VAD v6 as a turn detector, on real synthesized speech, silence and 10 dB noise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_agent_vad import _speak, ms, silence, timed_events
from tts_agents.errors import TTSValidationError
from tts_agents.stt import create_turn_detector
from tts_agents.stt.silero import SileroTurnDetector
from tts_agents.stt.vad import SpeechEnded, SpeechStarted

RATE = 16_000


@pytest.fixture(scope="module")
def question() -> np.ndarray:
    return _speak("How do I install the speech server?")


def _with_noise(audio: np.ndarray, speech: np.ndarray, kind: str, snr_db: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    if kind == "white":
        noise = rng.standard_normal(len(audio))
    else:  # a chord with a beat: loud, tonal, not speech
        t = np.arange(len(audio)) / RATE
        noise = sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330)) * (
            0.5 + 0.5 * (np.sin(2 * np.pi * 2 * t) > 0.9)
        )
    power = np.mean(speech.astype(np.float64) ** 2)
    noise *= np.sqrt(power / np.mean(noise**2) / 10 ** (snr_db / 10))
    return np.clip(audio + noise, -32768, 32767).astype("<i2")


def test_one_question_is_one_turn(question: np.ndarray) -> None:
    detector = SileroTurnDetector(end_silence_ms=300)
    audio = np.concatenate([silence(800), question, silence(800)])
    events = timed_events(detector, audio)
    kinds = [type(event) for event, _ in events]
    assert kinds == [SpeechStarted, SpeechEnded]
    start, end = events[0][0], events[1][0]
    assert abs(start.at_ms - 800) <= 100  # where the speech really begins
    assert abs(end.at_ms - (800 + ms(len(question)))) <= 150
    assert events[1][1] - end.at_ms >= 300  # reported after the end-of-turn silence


@pytest.mark.parametrize("kind", ["white", "music"])
def test_noise_at_10_db_starts_no_turn_and_hides_no_speech(question: np.ndarray, kind: str) -> None:
    detector = SileroTurnDetector(end_silence_ms=300)
    audio = np.concatenate([silence(2000), question, silence(2000)])
    events = timed_events(detector, _with_noise(audio, question, kind, 10.0))
    starts = [event for event, _ in events if isinstance(event, SpeechStarted)]
    assert len(starts) == 1 and 1800 <= starts[0].at_ms <= 2200


def test_pause_is_measured_inside_a_turn(question: np.ndarray) -> None:
    detector = SileroTurnDetector(end_silence_ms=600)
    timed_events(detector, np.concatenate([silence(500), question, silence(200)]))
    assert detector.in_speech and 150 <= detector.silence_ms <= 300
    detector.reset()
    assert not detector.in_speech and detector.silence_ms == 0 and detector.stream_ms == 0


def test_settings_are_checked_and_auto_picks_silero() -> None:
    with pytest.raises(TTSValidationError, match="end_silence_ms"):
        SileroTurnDetector(end_silence_ms=10)
    assert isinstance(create_turn_detector("auto", end_silence_ms=300), SileroTurnDetector)
    assert not isinstance(create_turn_detector("webrtc", end_silence_ms=300), SileroTurnDetector)
