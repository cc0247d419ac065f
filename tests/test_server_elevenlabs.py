"""The official elevenlabs SDK against a live server: every output_format decodes."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Iterator

import av
import numpy as np
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core import ApiError

from tests.conftest import Decoded, decode
from tts_agents import TTSAgent
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "test-key-elevenlabs"
TEXT = "Hello there, this is a test."


@pytest.fixture(scope="module", params=[0, 1], ids=["in-process", "worker-pool"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    settings = ServerSettings(api_keys=(KEY,), synthesis_workers=request.param)
    with running_server(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> ElevenLabs:
    return ElevenLabs(base_url=url, api_key=KEY)


@pytest.fixture(scope="module")
def reference_duration(client: ElevenLabs) -> float:
    audio = b"".join(client.text_to_speech.convert("alloy", text=TEXT, output_format="pcm_16000"))
    return decode(audio, pcm_rate=16000).duration


def _decode_g711(data: bytes, container: str) -> Decoded:
    """Raw G.711 has no header: the rate is given, and the byte count proves it."""
    with av.open(io.BytesIO(data), format=container, options={"sample_rate": "8000"}) as source:
        stream = source.streams.audio[0]
        frames = [frame.to_ndarray().reshape(-1) for frame in source.decode(stream)]
        return Decoded(np.concatenate(frames), stream.sample_rate, stream.codec_context.name)


@pytest.mark.parametrize(
    ("output_format", "rate", "codec"),
    [
        ("mp3_22050_32", 22050, "mp3"),
        ("mp3_24000_48", 24000, "mp3"),
        ("mp3_44100_128", 44100, "mp3"),
        ("mp3_44100_192", 44100, "mp3"),
        ("opus_48000_64", 48000, "opus"),
        ("wav_22050", 22050, "pcm_s16le"),
    ],
)
def test_convert_encoded_formats(
    client: ElevenLabs, reference_duration: float, output_format: str, rate: int, codec: str
) -> None:
    audio = b"".join(client.text_to_speech.convert("alloy", text=TEXT, output_format=output_format))
    decoded = decode(audio)
    assert (decoded.sample_rate, decoded.codec) == (rate, codec)
    assert abs(decoded.duration - reference_duration) < 0.2


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 32000, 44100, 48000])
def test_convert_pcm_rates(client: ElevenLabs, reference_duration: float, rate: int) -> None:
    audio = b"".join(client.text_to_speech.convert("alloy", text=TEXT, output_format=f"pcm_{rate}"))
    assert abs(decode(audio, pcm_rate=rate).duration - reference_duration) < 0.05


@pytest.mark.parametrize(
    ("output_format", "container"), [("ulaw_8000", "mulaw"), ("alaw_8000", "alaw")]
)
def test_convert_g711(
    client: ElevenLabs, reference_duration: float, output_format: str, container: str
) -> None:
    audio = b"".join(client.text_to_speech.convert("alloy", text=TEXT, output_format=output_format))
    decoded = _decode_g711(audio, container)
    assert decoded.sample_rate == 8000
    assert len(audio) == len(decoded.samples)  # one byte per sample
    assert abs(decoded.duration - reference_duration) < 0.05
    assert np.abs(decoded.samples).max() > 1000  # speech, not silence


def test_bit_rate_is_honoured(client: ElevenLabs) -> None:
    low = b"".join(client.text_to_speech.convert("alloy", text=TEXT, output_format="mp3_44100_32"))
    high = b"".join(
        client.text_to_speech.convert("alloy", text=TEXT, output_format="mp3_44100_192")
    )
    assert len(high) > 3 * len(low)


def test_default_format_is_mp3_44100(client: ElevenLabs) -> None:
    decoded = decode(b"".join(client.text_to_speech.convert("alloy", text=TEXT)))
    assert (decoded.codec, decoded.sample_rate) == ("mp3", 44100)


def test_stream_and_voice_settings_speed(client: ElevenLabs, reference_duration: float) -> None:
    parts = list(
        client.text_to_speech.stream(
            "alloy", text=TEXT, output_format="pcm_16000", voice_settings={"speed": 2.0}
        )
    )
    assert decode(b"".join(parts), pcm_rate=16000).duration < reference_duration * 0.7


def test_convert_with_timestamps(client: ElevenLabs, reference_duration: float) -> None:
    result = client.text_to_speech.convert_with_timestamps(
        "alloy", text=TEXT, output_format="pcm_16000"
    )
    audio = base64.b64decode(result.audio_base_64)
    assert abs(decode(audio, pcm_rate=16000).duration - reference_duration) < 0.05
    alignment = result.alignment
    assert alignment is not None
    assert "".join(alignment.characters) == TEXT
    starts, ends = alignment.character_start_times_seconds, alignment.character_end_times_seconds
    assert len(starts) == len(ends) == len(TEXT)
    assert starts == sorted(starts)
    assert 0 < ends[-1] <= reference_duration + 0.01


def test_stream_with_timestamps_ndjson(client: ElevenLabs, reference_duration: float) -> None:
    text = "Hello there. This sentence is a little longer, so it streams in parts."
    lines = list(
        client.text_to_speech.stream_with_timestamps("alloy", text=text, output_format="pcm_16000")
    )
    assert len(lines) >= 2
    audio = b"".join(base64.b64decode(line.audio_base_64 or "") for line in lines)
    assert decode(audio, pcm_rate=16000).duration > reference_duration
    characters = [c for line in lines if line.alignment for c in line.alignment.characters]
    assert "".join(characters) == text
    starts = [
        t for line in lines if line.alignment for t in line.alignment.character_start_times_seconds
    ]
    assert starts == sorted(starts)


def test_voices_and_models(client: ElevenLabs) -> None:
    voices = client.voices.get_all().voices
    assert "alloy" in {voice.voice_id for voice in voices}
    models = client.models.list()
    assert "eleven_multilingual_v2" in {model.model_id for model in models}


def test_voice_get_and_search(client: ElevenLabs) -> None:
    assert client.voices.get("alloy").voice_id == "alloy"
    first = client.voices.search(page_size=2)
    assert len(first.voices) == 2
    assert first.has_more
    assert first.total_count > 2
    found = client.voices.search(search="shimmer")
    assert [voice.voice_id for voice in found.voices] == ["shimmer"]
    assert not found.has_more
    with pytest.raises(ApiError) as caught:
        client.voices.get("no-such-voice")
    assert caught.value.status_code == 404


def test_unknown_voice_is_404(client: ElevenLabs) -> None:
    with pytest.raises(ApiError) as caught:
        b"".join(client.text_to_speech.convert("no-such-voice", text="Hi"))
    assert caught.value.status_code == 404
    assert "unknown voice" in caught.value.body["detail"]["message"]
    assert caught.value.body["detail"]["param"] == "voice_id"


def test_bad_output_format_is_400(client: ElevenLabs) -> None:
    with pytest.raises(ApiError) as caught:
        b"".join(client.text_to_speech.convert("alloy", text="Hi", output_format="mp3_44100_999"))
    assert caught.value.status_code == 400
    assert caught.value.body["detail"]["param"] == "output_format"


def test_bad_key_is_401(url: str) -> None:
    with pytest.raises(ApiError) as caught:
        ElevenLabs(base_url=url, api_key="wrong").voices.get_all()
    assert caught.value.status_code == 401
    assert caught.value.body["detail"]["code"] == "invalid_api_key"


def test_apply_text_normalization_reaches_the_front_end(client: ElevenLabs) -> None:
    """The server says what the library says with the same switch (as long, to 20 ms)."""
    text = "Due 3/4/2024"
    on, off = library_pcm(text, 16000, "on"), library_pcm(text, 16000, "off")
    assert abs(len(on) - len(off)) > 2 * 16000 * 0.2  # "March fourth, ..." vs "three slash ..."
    for mode, expected in (("on", on), ("off", off)):
        audio = b"".join(
            client.text_to_speech.convert(
                "alloy", text=text, output_format="pcm_16000", apply_text_normalization=mode
            )
        )
        assert abs(len(audio) - len(expected)) <= 2 * 16000 * 0.02, mode


def library_pcm(text: str, rate: int, normalize: str) -> bytes:
    async def speak() -> bytes:
        async with TTSAgent() as agent:
            stream = agent.prepare(
                text, voice="alloy", format="pcm", sample_rate=rate, normalize=normalize
            )
            return b"".join([chunk.pcm async for chunk in stream.pcm()])

    return asyncio.run(speak())
