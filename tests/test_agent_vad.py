"""Turn detection on real synthesized speech: onset, end of turn, clicks, chunking, noise."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tts_agents import TTSAgent
from tts_agents.errors import TTSValidationError
from tts_agents.stt.vad import SpeechEnded, SpeechStarted, TurnDetector

RATE = 16_000
PAD_MS = 1000


def _speak(text: str) -> np.ndarray:
    async def run() -> bytes:
        async with TTSAgent() as agent:
            response = await agent.generate_speech(
                text, voice="alloy", format="pcm", sample_rate=RATE
            )
            return response.audio_data or b""

    samples = np.frombuffer(asyncio.run(run()), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 500)
    return samples[loud[0] : loud[-1] + 1]  # exactly the speech, no espeak padding


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return _speak("How do I install the speech server?")


@pytest.fixture(scope="module")
def second_phrase() -> np.ndarray:
    return _speak("Which voices are there?")


def silence(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, dtype="<i2")


def timed_events(
    detector: TurnDetector, audio: np.ndarray, chunk: int = 640
) -> list[tuple[SpeechStarted | SpeechEnded, int]]:
    """Each event with the stream time (ms) at which ``feed`` reported it."""
    data = audio.astype("<i2").tobytes()
    found = []
    for offset in range(0, len(data), chunk):
        for event in detector.feed(data[offset : offset + chunk]):
            found.append((event, detector.stream_ms))
    return found


def ms(samples: int) -> float:
    return samples * 1000 / RATE


def test_onset_and_end_are_found_within_tolerance(speech: np.ndarray) -> None:
    audio = np.concatenate([silence(PAD_MS), speech, silence(PAD_MS)])
    detector = TurnDetector(end_silence_ms=300)
    found = timed_events(detector, audio)

    assert [type(event) for event, _ in found] == [SpeechStarted, SpeechEnded]
    (started, reported_start), (ended, reported_end) = found
    true_end = PAD_MS + ms(len(speech))
    assert abs(started.at_ms - PAD_MS) <= 30
    # Onset is reported after min_speech_ms of speech (plus one 20 ms chunk), not later.
    assert reported_start - started.at_ms <= detector.min_speech_ms + 40
    assert ended.started_ms == started.at_ms
    assert true_end - 50 <= ended.at_ms <= true_end + 150
    assert reported_end - ended.at_ms >= 300
    assert reported_end - ended.at_ms <= 300 + 40
    assert not detector.in_speech


def test_end_of_turn_silence_is_configurable(speech: np.ndarray, second_phrase: np.ndarray) -> None:
    audio = np.concatenate([silence(500), speech, silence(250), second_phrase, silence(PAD_MS)])
    one_turn = timed_events(TurnDetector(end_silence_ms=400), audio)
    two_turns = timed_events(TurnDetector(end_silence_ms=150), audio)

    assert [type(event) for event, _ in one_turn] == [SpeechStarted, SpeechEnded]
    assert [type(event) for event, _ in two_turns] == [SpeechStarted, SpeechEnded] * 2
    first_end = two_turns[1][0]
    assert isinstance(first_end, SpeechEnded)
    assert abs(first_end.at_ms - (500 + ms(len(speech)))) <= 150


def test_a_long_end_silence_waits_that_long(speech: np.ndarray) -> None:
    audio = np.concatenate([silence(300), speech, silence(2000)])
    found = timed_events(TurnDetector(end_silence_ms=1200), audio)
    ended, reported = found[-1]
    assert isinstance(ended, SpeechEnded)
    assert reported - ended.at_ms >= 1200


def test_a_click_or_a_short_noise_burst_is_not_a_turn() -> None:
    rng = np.random.default_rng(7)
    audio = silence(2000)
    audio[8000:8080] = (rng.standard_normal(80) * 15000).astype("<i2")  # a 5 ms click
    audio[20000:20480] = (rng.standard_normal(480) * 8000).astype("<i2")  # a 30 ms burst
    assert timed_events(TurnDetector(), audio) == []


def test_any_chunk_size_gives_the_same_events(speech: np.ndarray) -> None:
    audio = np.concatenate([silence(700), speech, silence(700)])
    reference = [event for event, _ in timed_events(TurnDetector(), audio)]
    assert len(reference) == 2
    whole = TurnDetector().feed(audio.astype("<i2").tobytes())
    assert whole == reference
    for chunk in (1, 7, 333, 4001):
        assert [event for event, _ in timed_events(TurnDetector(), audio, chunk)] == reference


def test_speech_over_steady_noise(speech: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    clean = np.concatenate([silence(1500), speech, silence(1000)]).astype(np.float32)
    noisy = np.clip(clean + rng.standard_normal(len(clean)) * 60, -32768, 32767)
    found = timed_events(TurnDetector(), noisy.astype("<i2"))
    assert [type(event) for event, _ in found] == [SpeechStarted, SpeechEnded]
    assert abs(found[0][0].at_ms - 1500) <= 60


def test_reset_restarts_stream_time(speech: np.ndarray) -> None:
    detector = TurnDetector()
    audio = np.concatenate([silence(400), speech[: RATE // 2]])
    timed_events(detector, audio)
    assert detector.in_speech and detector.stream_ms > 0
    detector.reset()
    assert not detector.in_speech and detector.stream_ms == 0
    found = timed_events(detector, np.concatenate([silence(200), speech, silence(500)]))
    assert abs(found[0][0].at_ms - 200) <= 30


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"sample_rate": 22050}, "sample_rate"),
        ({"aggressiveness": 4}, "aggressiveness"),
        ({"end_silence_ms": 0}, "end_silence_ms"),
        ({"min_speech_ms": 5}, "min_speech_ms"),
    ],
)
def test_bad_settings_are_rejected(options: dict[str, int], field: str) -> None:
    with pytest.raises(TTSValidationError) as caught:
        TurnDetector(**options)
    assert caught.value.field == field
