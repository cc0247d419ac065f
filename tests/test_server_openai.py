"""The official openai SDK against a live server: every format decodes back to audio."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import openai
import pytest
from openai import OpenAI

from tests.conftest import decode
from tts_agents import TTSAgent, TTSConfig
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "test-key-openai"
TEXT = "Hello there, this is a test."


@pytest.fixture(scope="module", params=[0, 1], ids=["in-process", "worker-pool"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    settings = ServerSettings(api_keys=(KEY, "second-key"), synthesis_workers=request.param)
    with running_server(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> OpenAI:
    return OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)


@pytest.fixture(scope="module")
def pcm_duration(client: OpenAI) -> float:
    audio = client.audio.speech.create(
        model="tts-1", input=TEXT, voice="alloy", response_format="pcm"
    ).content
    return decode(audio, pcm_rate=24000).duration


@pytest.mark.parametrize(
    ("fmt", "rate", "codec"),
    [
        ("mp3", 24000, "mp3"),
        ("opus", 48000, "opus"),
        ("aac", 24000, "aac"),
        ("flac", 24000, "flac"),
        ("wav", 24000, "pcm_s16le"),
    ],
)
def test_every_format_decodes(
    client: OpenAI, pcm_duration: float, fmt: str, rate: int, codec: str
) -> None:
    audio = client.audio.speech.create(
        model="tts-1", input=TEXT, voice="alloy", response_format=fmt
    ).content
    decoded = decode(audio)
    assert decoded.sample_rate == rate
    assert decoded.codec == codec
    assert abs(decoded.duration - pcm_duration) < 0.2


def test_pcm_is_24k_s16(pcm_duration: float) -> None:
    assert 1.0 < pcm_duration < 5.0


def test_speed_and_instructions(client: OpenAI, pcm_duration: float) -> None:
    audio = client.audio.speech.create(
        model="gpt-4o-mini-tts",
        input=TEXT,
        voice={"id": "nova"} if _voice_objects() else "nova",
        response_format="pcm",
        speed=2.0,
        instructions="Speak cheerfully.",
    ).content
    assert decode(audio, pcm_rate=24000).duration < pcm_duration * 0.7


def test_streaming_response_streams_bytes(client: OpenAI) -> None:
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", input=TEXT, voice="echo", response_format="mp3"
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        parts = list(response.iter_bytes())
    assert len(parts) >= 1
    assert decode(b"".join(parts)).duration > 1.0


def test_sse_deltas_and_done(client: OpenAI, pcm_duration: float) -> None:
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", input=TEXT, voice="alloy", response_format="pcm", stream_format="sse"
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [
            json.loads(line.removeprefix("data: "))
            for line in response.iter_lines()
            if line.startswith("data: ")
        ]
    deltas = [event for event in events if event["type"] == "speech.audio.delta"]
    assert len(deltas) >= 2
    assert events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    audio = b"".join(base64.b64decode(event["audio"]) for event in deltas)
    assert abs(decode(audio, pcm_rate=24000).duration - pcm_duration) < 0.05


def test_models_list(client: OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts"} <= set(ids)


def test_voices_list(url: str) -> None:
    import httpx

    data = httpx.get(url + "/v1/audio/voices", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert "alloy" in {voice["id"] for voice in data["data"]}


def test_second_key_works(url: str) -> None:
    client = OpenAI(base_url=url + "/v1", api_key="second-key", max_retries=0)
    assert client.models.list().data


def test_bad_key_is_authentication_error(url: str) -> None:
    client = OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.audio.speech.create(model="tts-1", input="Hi", voice="alloy")
    assert caught.value.status_code == 401


def test_bad_voice_is_bad_request(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", input="Hi", voice="no-such-voice")
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["param"] == "voice"
    assert "unknown voice" in body["message"]


@pytest.mark.parametrize("model", ["whisper-1", "gpt-4o", "TTS-1", "eleven_multilingual_v2"])
def test_unknown_speech_model_is_bad_request(client: OpenAI, model: str) -> None:
    """A transcription model (or any other name) cannot speak: 400, naming what can."""
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model=model, input="Hi", voice="alloy")
    body = caught.value.body
    assert isinstance(body, dict)
    assert (body["param"], body["type"]) == ("model", "invalid_request_error")
    assert f"unknown speech model {model!r}" in body["message"]
    for accepted in ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "auto", "espeak", "kokoro"):
        assert accepted in body["message"]


@pytest.mark.parametrize("model", ["tts-1-hd", "auto", "espeak"])
def test_speech_models_and_engine_names_are_accepted(client: OpenAI, model: str) -> None:
    audio = client.audio.speech.create(
        model=model, input=TEXT, voice="alloy", response_format="wav"
    ).content
    assert decode(audio).duration > 1.0
    assert model in {listed.id for listed in client.models.list()}


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"response_format": "ogg"}, "response_format"),
        ({"speed": 9.0}, "speed"),
        ({"input": ""}, "input"),
        ({"input": "x" * 5000}, "input"),
    ],
)
def test_invalid_fields_name_the_param(client: OpenAI, overrides: dict, param: str) -> None:
    body = {"model": "tts-1", "input": "Hi", "voice": "alloy", **overrides}
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/audio/speech", body=body, cast_to=bytes)
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"


def _voice_objects() -> bool:
    """openai 3.x accepts ``{"id": ...}`` voices; 1.x only names."""
    return int(openai.__version__.split(".")[0]) >= 2


def test_normalize_extension_field(client: OpenAI) -> None:
    """The server says what the library says with the same switch (as long, to 20 ms)."""
    from tests.test_server_elevenlabs import library_pcm

    for mode in ("on", "off"):
        audio = client.audio.speech.create(
            model="tts-1",
            voice="alloy",
            input="Due 3/4/2024",
            response_format="pcm",
            extra_body={"normalize": mode},
        ).read()
        expected = library_pcm("Due 3/4/2024", 24000, mode)
        assert abs(len(audio) - len(expected)) <= 2 * 24000 * 0.02, mode


def test_the_configured_default_model_is_accepted_too() -> None:
    """An operator's own model name (an OpenAI-compatible server's) stays usable."""
    agent = TTSAgent(TTSConfig(default_model="house-voice-v2"))
    settings = ServerSettings(api_keys=("k-default-model",), synthesis_workers=0)
    with running_server(create_app(settings, agent)) as base:
        client = OpenAI(api_key="k-default-model", base_url=base + "/v1", max_retries=0)
        audio = client.audio.speech.create(
            model="house-voice-v2", voice="alloy", input="Hi.", response_format="wav"
        ).read()
        assert decode(audio).duration > 0.1
        with pytest.raises(openai.BadRequestError, match="house-voice-v2"):
            client.audio.speech.create(model="nope", voice="alloy", input="Hi.")
