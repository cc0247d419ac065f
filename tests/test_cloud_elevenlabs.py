"""The ElevenLabs engine against a real local server speaking its API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.http_server import Reply
from tests.fakes.providers import (
    ELEVENLABS_KEY,
    ENCODED,
    ElevenLabsFake,
    elevenlabs_config,
    serve,
)
from tts_agents import TTSAgent
from tts_agents.engines.base import SynthesisOptions
from tts_agents.engines.elevenlabs import CharAligner, ElevenLabsEngine
from tts_agents.errors import TTSAPIError, UnsupportedFormatError, VoiceNotFoundError
from tts_agents.types import AudioChunk

TEXT = "Hello world, it's a fine day. Café naïve résumé!"
RACHEL = "21m00Tcm4TlvDq8ikWAM"


@pytest.fixture
def fake() -> Iterator[ElevenLabsFake]:
    fake = ElevenLabsFake()
    with serve(fake):
        yield fake


@pytest.fixture
async def engine(fake: ElevenLabsFake) -> AsyncIterator[ElevenLabsEngine]:
    assert fake.server is not None
    engine = ElevenLabsEngine(elevenlabs_config(fake.server))
    yield engine
    await engine.aclose()


async def collect(
    engine: ElevenLabsEngine, text: str = TEXT, **options: object
) -> list[AudioChunk]:
    opts = SynthesisOptions(voice=engine.resolve_voice("alloy"), **options)  # type: ignore[arg-type]
    return [chunk async for chunk in engine.synthesize(text, opts)]


async def test_request_matches_the_documented_shape(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    await collect(engine)
    (request,) = fake.requests
    assert request.method == "POST"
    assert request.path == f"/v1/text-to-speech/{RACHEL}/stream/with-timestamps"
    assert request.query == {"output_format": "pcm_24000"}
    assert request.headers["xi-api-key"] == ELEVENLABS_KEY
    assert "authorization" not in request.headers
    assert request.headers["accept"] == "application/json"
    assert request.json() == {"text": TEXT, "model_id": "eleven_multilingual_v2"}


async def test_speed_model_and_language_go_where_the_api_wants_them(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    await collect(engine, speed=1.15, model="eleven_turbo_v2_5", language="en-gb")
    await collect(engine, model="tts-1", language="en")  # an OpenAI model name is not sent
    first, second = (request.json() for request in fake.requests)
    assert first == {
        "text": TEXT,
        "model_id": "eleven_turbo_v2_5",
        "voice_settings": {"speed": 1.15},
        "language_code": "en",
    }
    assert second == {"text": TEXT, "model_id": "eleven_multilingual_v2"}


async def test_pcm_comes_in_whole_samples_with_word_marks_into_the_input(
    engine: ElevenLabsEngine,
) -> None:
    chunks = await collect(engine)
    assert all(len(c.pcm) % 2 == 0 and c.sample_rate == 24000 for c in chunks)
    marks = [mark for chunk in chunks for mark in chunk.marks]
    words = [TEXT[m.text_start : m.text_end] for m in marks]
    assert words == ["Hello", "world", "it's", "a", "fine", "day", "Café", "naïve", "résumé"]
    samples = [mark.sample for mark in marks]
    assert samples == sorted(samples) and samples[0] == 0
    # The fake speaks 30 ms per character: "world" starts at character 6.
    assert samples[1] == round(6 * 0.03 * 24000)
    total = sum(chunk.samples for chunk in chunks)
    assert total == pytest.approx(len(TEXT) * 0.03 * 24000, abs=50)


def test_aligner_skips_characters_the_provider_added_or_dropped() -> None:
    text = "Dr. Smith paid $5 today"
    aligner = CharAligner(text, 1000)
    timings = [(" ", 0.0)] + [
        (c, i / 10) for i, c in enumerate("Dr. Smith paid $5 today") if c != "$"
    ]
    marks = aligner.feed(timings)
    assert [text[m.text_start : m.text_end] for m in marks] == ["Dr", "Smith", "paid", "5", "today"]
    assert aligner.feed([("x", 9.0)]) == ()


async def test_unknown_voice_is_a_404_summarized_without_retrying(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    with pytest.raises(TTSAPIError, match="HTTP 404 voice_not_found: A voice with") as caught:
        async for _ in engine.synthesize(TEXT, SynthesisOptions(voice="nosuchvoice")):
            pass
    assert caught.value.status_code == 404 and len(fake.requests) == 1


async def test_validation_errors_are_summarized(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    fake.queue(
        Reply.json(
            422, {"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "missing"}]}
        )
    )
    with pytest.raises(TTSAPIError, match="HTTP 422 missing: field required"):
        await collect(engine)


async def test_voices_models_and_name_resolution(engine: ElevenLabsEngine) -> None:
    voices = await engine.voices()
    assert [(v.id, v.name, v.gender) for v in voices] == [
        (RACHEL, "Rachel", "female"),
        ("pNInz6obpgDQGcFmaJgB", "Adam", "male"),
    ]
    assert engine.resolve_voice("adam") == "pNInz6obpgDQGcFmaJgB"
    assert engine.resolve_voice("alloy") == RACHEL
    assert engine.resolve_voice(RACHEL) == RACHEL
    with pytest.raises(VoiceNotFoundError):
        engine.resolve_voice("not a voice/../x")
    assert await engine.models() == ["eleven_multilingual_v2"]


@pytest.mark.parametrize(
    ("fmt", "path", "output_format"),
    [
        ("mp3", "/stream", "mp3_44100_128"),
        ("wav", "", "wav_24000"),
    ],
)
async def test_encoded_audio_passes_through_byte_for_byte(
    fake: ElevenLabsFake, engine: ElevenLabsEngine, fmt: str, path: str, output_format: str
) -> None:
    opts = SynthesisOptions(voice=RACHEL)
    data = b"".join([part async for part in engine.synthesize_encoded(TEXT, opts, fmt)])
    assert data == ENCODED[fmt]
    request = fake.requests[-1]
    assert request.path == f"/v1/text-to-speech/{RACHEL}{path}"
    assert request.query == {"output_format": output_format}


async def test_raw_pcm_pass_through_and_refused_formats(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    opts = SynthesisOptions(voice=RACHEL)
    data = b"".join([part async for part in engine.synthesize_encoded(TEXT, opts, "pcm")])
    assert len(data) == 2 * round(0.3 * 24000)
    with pytest.raises(UnsupportedFormatError):
        async for _ in engine.synthesize_encoded(TEXT, opts, "aac"):
            pass
    assert engine.capabilities.native_formats == ("mp3", "pcm", "wav")


async def test_audio_where_json_was_expected_is_refused(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    fake.queue(Reply(200, {"content-type": "audio/mpeg"}, [ENCODED["mp3"]]))
    with pytest.raises(TTSAPIError, match="expected json"):
        await collect(engine)


async def test_lines_that_are_not_json_are_skipped(
    fake: ElevenLabsFake, engine: ElevenLabsEngine
) -> None:
    good = b'{"audio_base64": "AAABAAIAAwA=", "alignment": null}\n'
    fake.queue(
        Reply(
            200,
            {"content-type": "application/json"},
            [b"data: junk\n", good[:10], good[10:], b"\n"],
        )
    )
    chunks = await collect(engine)
    assert b"".join(c.pcm for c in chunks) == b"\x00\x00\x01\x00\x02\x00\x03\x00"


async def test_bad_key_is_a_clear_error(fake: ElevenLabsFake) -> None:
    assert fake.server is not None
    engine = ElevenLabsEngine(
        elevenlabs_config(fake.server, elevenlabs_api_key="sk_wrongwrongwrong")
    )
    with pytest.raises(TTSAPIError, match="HTTP 401 invalid_api_key.*ELEVENLABS_API_KEY"):
        await collect(engine)
    await engine.aclose()


async def test_through_the_agent_with_word_timings(fake: ElevenLabsFake) -> None:
    assert fake.server is not None
    async with TTSAgent(elevenlabs_config(fake.server, engine="elevenlabs")) as agent:
        response = await agent.generate_speech("Good morning, dear listener.", format="pcm")
    assert response.success and response.metadata["engine"] == "elevenlabs"
    assert len(response.words) == 4
    assert response.sample_rate == 24000
