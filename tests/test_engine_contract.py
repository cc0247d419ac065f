"""The contract every engine must meet, run against the real espeak-ng, Kokoro and Piper."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tts_agents import TTSConfig
from tts_agents.audio.formats import get_format
from tts_agents.engines import Engine, SynthesisOptions, create_engine
from tts_agents.errors import TTSAPIError, TTSValidationError, VoiceNotFoundError
from tts_agents.synthesis import SpeechStream
from tts_agents.text.segment import segment_text
from tts_agents.types import AudioChunk

TEXT = "The quick brown fox jumps over the lazy dog. It was not amused."
LOCAL_ENGINES = ["espeak", "kokoro", "piper"]


@pytest.fixture(params=LOCAL_ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "espeak":
        return create_engine("espeak")
    models: Path = request.getfixturevalue("models_dir")
    return create_engine(request.param, TTSConfig(models_dir=models))


@pytest.fixture
def espeak() -> Engine:
    return create_engine("espeak")


async def collect(engine: Engine, text: str = TEXT, **options: object) -> list:
    opts = SynthesisOptions(voice=engine.resolve_voice("alloy"), **options)  # type: ignore[arg-type]
    return [chunk async for chunk in engine.synthesize(text, opts)]


async def test_yields_whole_s16_samples_at_its_rate(engine: Engine) -> None:
    chunks = await collect(engine)
    assert chunks and all(len(c.pcm) % 2 == 0 for c in chunks)
    assert {c.sample_rate for c in chunks} == {engine.capabilities.sample_rate}
    assert sum(c.samples for c in chunks) / engine.capabilities.sample_rate > 2.0


async def test_word_marks_point_at_the_words_in_order(engine: Engine) -> None:
    assert engine.capabilities.word_timestamps
    text = "Café naïve résumé, twenty words later."
    marks = [m for c in await collect(engine, text) for m in c.marks]
    words = [text[m.text_start : m.text_end] for m in marks]
    assert words[:3] == ["Café", "naïve", "résumé"]
    samples = [m.sample for m in marks]
    assert samples == sorted(samples)
    if engine.name == "espeak":
        assert samples[0] == 0  # espeak-ng starts speaking at once
    else:  # neural engines keep 100 ms of the model's lead-in, so the onset is not clipped
        assert 0 < samples[0] < 0.3 * engine.capabilities.sample_rate


async def test_capabilities_are_truthful(engine: Engine) -> None:
    caps = engine.capabilities
    low, high = caps.speed_range
    slow = sum(c.samples for c in await collect(engine, speed=low))
    fast = sum(c.samples for c in await collect(engine, speed=high))
    assert slow > 0.5 * (high / low) * fast  # pauses and minimum durations do not scale
    quiet = await collect(engine, volume=0.2)
    loud = await collect(engine, volume=1.5)
    assert peak(loud) > 2 * peak(quiet)


def peak(chunks: list[AudioChunk]) -> int:
    pcm = b"".join(c.pcm for c in chunks)
    return int(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)).max())


async def test_aclose_is_idempotent(engine: Engine) -> None:
    await engine.aclose()
    await engine.aclose()


async def test_cancellation_stops_synthesis_and_frees_the_engine(engine: Engine) -> None:
    # espeak streams as it goes: ~20 minutes of audio. Neural engines speak the pieces the
    # pipeline cuts for them (a few model runs here).
    repeat = 2000 if engine.name == "espeak" else 6
    long_text = "This sentence keeps going and going. " * repeat
    opts = SynthesisOptions(voice=engine.resolve_voice("alloy"))
    stream = engine.synthesize(long_text, opts)
    first = await anext(stream)
    assert first.samples > 0
    started = time.perf_counter()
    await stream.aclose()
    # The engine's thread is free again at once: a short synthesis finishes promptly.
    chunks = await asyncio.wait_for(collect(engine, "Next."), timeout=5)
    assert chunks
    assert time.perf_counter() - started < 5


async def test_concurrent_requests_do_not_mix(engine: Engine) -> None:
    """espeak-ng and Piper add random jitter, so compare lengths: each stream keeps its own."""
    count = 6 if engine.name == "espeak" else 3
    texts = [
        ("Hi. " if i % 2 else "Request number one says a much longer hello. ") * (i + 1)
        for i in range(count)
    ]
    tolerance = {"espeak": 0.03, "kokoro": 0.01, "piper": 0.25}[engine.name]
    serial = [sum(c.samples for c in await collect(engine, t)) for t in texts]
    concurrent = await asyncio.gather(*(collect(engine, t) for t in texts))
    for alone, chunks in zip(serial, concurrent, strict=True):
        assert abs(sum(c.samples for c in chunks) - alone) <= tolerance * alone


async def test_unknown_voice_is_a_named_error(engine: Engine) -> None:
    with pytest.raises(VoiceNotFoundError, match="voice"):
        engine.resolve_voice("no-such-voice")


def test_openai_names_follow_the_language(espeak: Engine) -> None:
    assert espeak.resolve_voice("nova") == "en-us+anika"
    assert espeak.resolve_voice("nova", "fr") == "fr+anika"
    assert espeak.resolve_voice("de+m3") == "de+m3"
    assert espeak.resolve_voice("English (America)") == "en-us"
    assert espeak.resolve_voice("21m00Tcm4TlvDq8ikWAM") == "en-us+anika"  # Rachel
    assert espeak.resolve_voice("JBFqnCBsd6RMkjVDRZzb").startswith("en+m")  # George, British


async def test_lists_every_espeak_voice(espeak: Engine) -> None:
    voices = await espeak.voices()
    ids = {v.id for v in voices}
    assert {"alloy", "echo", "en-us", "fr", "de", "ja", "cmn"} <= ids
    assert len([v for v in voices if v.description is None]) > 100


@pytest.mark.parametrize(
    ("local", "error", "message"),
    [(True, TTSValidationError, "nothing to speak"), (False, TTSAPIError, "produced no audio")],
)
async def test_an_engine_that_yields_nothing_is_an_error(
    local: bool, error: type[Exception], message: str
) -> None:
    """Our own engine had no sound for the text (400); a provider failed to answer (502)."""

    class Silent:
        name = "silent"
        capabilities = replace(create_engine("espeak").capabilities, local=local)

        async def synthesize(self, text: str, options: SynthesisOptions):  # type: ignore[no-untyped-def]
            return
            yield

    segments = list(segment_text(["hi"]))
    stream = SpeechStream(Silent(), segments, SynthesisOptions(voice="x"), get_format("wav"), 22050)  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        async for _ in stream.encoded():
            pass
