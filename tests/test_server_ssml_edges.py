"""SSML with nothing but silence, or nothing at all, on both APIs: never a server error."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import decode
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "test-key-ssml-edges"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running_server(create_app(ServerSettings(api_keys=(KEY,), engine="espeak"))) as base:
        yield base


def _both(url: str, text: str, speed: float = 1.0) -> tuple[httpx.Response, httpx.Response]:
    openai = httpx.post(
        url + "/v1/audio/speech",
        headers=HEADERS,
        json={
            "model": "tts-1",
            "voice": "alloy",
            "input": text,
            "response_format": "wav",
            "speed": speed,
        },
    )
    elevenlabs = httpx.post(
        url + "/v1/text-to-speech/alloy?output_format=pcm_16000",
        headers={"xi-api-key": KEY},
        json={"text": text, "voice_settings": {"speed": speed}},
    )
    return openai, elevenlabs


def test_a_break_alone_is_its_silence(url: str) -> None:
    openai, elevenlabs = _both(url, '<speak><break time="1s"/></speak>')
    assert openai.status_code == 200 and elevenlabs.status_code == 200
    wav = decode(openai.content)
    assert abs(wav.duration - 1.0) < 0.05 and not wav.samples.any()
    assert abs(len(elevenlabs.content) / 2 / 16000 - 1.0) < 0.05


@pytest.mark.parametrize(
    "text",
    [
        "<speak></speak>",
        '<speak><mark name="x"/></speak>',
        '<speak><sub alias=""></sub></speak>',
    ],
)
def test_nothing_to_speak_is_a_clear_400(url: str, text: str) -> None:
    openai, elevenlabs = _both(url, text)
    assert openai.status_code == 400 and "nothing to speak" in openai.json()["error"]["message"]
    assert elevenlabs.status_code == 400
    assert "nothing to speak" in elevenlabs.json()["detail"]["message"]


def test_text_without_a_sound_is_a_400_not_an_engine_error(url: str) -> None:
    # Found by schemathesis: espeak-ng makes 10 ms of sound for "-", less than a sample
    # once it is sped up; that was a 502 "produced no audio".
    openai, elevenlabs = _both(url, "\t\u2005-", speed=2.77)
    assert openai.status_code == 400 and "nothing to speak" in openai.json()["error"]["message"]
    assert elevenlabs.status_code == 400
    assert "nothing to speak" in elevenlabs.json()["detail"]["message"]


def test_breaks_are_capped_per_request(url: str) -> None:
    amplifier = "<speak>a" + '<break time="10s"/>' * 212 + "</speak>"  # 4.5 KB asking 35 min
    openai, elevenlabs = _both(url, amplifier)
    assert openai.status_code == 400 and elevenlabs.status_code == 400
    assert "breaks add up to 2120 s; at most 60 s" in openai.json()["error"]["message"]
    within = "<speak>a" + '<break time="10s"/>' * 5 + "</speak>"
    openai, _ = _both(url, within)
    assert openai.status_code == 200 and decode(openai.content).duration > 50
