"""Speech to text with Whisper: the library, the CLI, and both transcription APIs over a real
server in worker processes, driven by the official openai and elevenlabs SDKs.

The audio is our own speech (espeak-ng, made here), so every check knows what was said.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core import ApiError
from openai import BadRequestError, OpenAI

from tests.conftest import run_cli, words_heard
from tts_agents import TTSAgent, TTSConfig
from tts_agents.errors import ModelError, TTSValidationError
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server
from tts_agents.transcribe import transcribe

KEY = "test-key-stt"
SENTENCE = "The library opens at nine in the morning on Saturday."
# "Saturday" is left out: in espeak-ng's voice Whisper hears it as "set again" on some runs.
WANTED = {"library", "opens", "morning"}


def _speak(text: str, fmt: str) -> bytes:
    async def run() -> bytes:
        async with TTSAgent(TTSConfig(engine="espeak")) as agent:
            return (await agent.generate_speech(text, format=fmt)).audio_data

    return asyncio.run(run())


@pytest.fixture(scope="module")
def speech() -> bytes:
    return _speak(SENTENCE, "mp3")


@pytest.fixture(scope="module")
def url(models_dir: Path) -> Iterator[str]:
    """One server whose uploads are transcribed in a worker process."""
    settings = ServerSettings(
        api_keys=(KEY,), transcription_workers=1, max_upload_bytes=400_000, max_audio_seconds=20
    )
    agent = TTSAgent(TTSConfig(engine="espeak", models_dir=models_dir))
    with running_server(create_app(settings, agent)) as base:
        yield base
    asyncio.run(agent.close())


@pytest.fixture(scope="module")
def openai_client(url: str) -> OpenAI:
    return OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)


def _plain(text: str) -> set[str]:
    return set("".join(c if c.isalnum() else " " for c in text.lower()).split())


# -- the library and the CLI ---------------------------------------------------------------


async def test_library_transcribes_with_word_times(speech: bytes, models_dir: Path) -> None:
    config = TTSConfig(models_dir=models_dir)
    result = await transcribe(speech, word_timestamps=True, config=config)
    assert words_heard(" ".join(_plain(result.text)), WANTED) == WANTED, result.text
    assert result.language == "en" and 2.0 < result.duration < 6.0
    starts = [word.start for word in result.words]
    assert starts == sorted(starts) and len(result.words) >= 8
    assert all(0 <= w.start <= w.end <= result.duration + 0.1 for w in result.words)


async def test_library_refuses_what_it_cannot_use(
    speech: bytes, models_dir: Path, tmp_path: Path
) -> None:
    config = TTSConfig(models_dir=models_dir)
    with pytest.raises(TTSValidationError, match="file: could not be decoded as audio"):
        await transcribe(b"this is not audio at all" * 10, config=config)
    with pytest.raises(TTSValidationError, match="model"):
        await transcribe(b"x", model="large-v9", config=config)
    with pytest.raises(TTSValidationError, match="language"):
        await transcribe(b"x", language="klingon", config=config)
    with pytest.raises(ModelError, match="models pull whisper-base"):
        await transcribe(speech, config=TTSConfig(models_dir=tmp_path))


def test_cli_writes_subtitles_and_reads_stdin(
    speech: bytes, models_dir: Path, tmp_path: Path
) -> None:
    env = {"TTS_AGENTS_MODELS_DIR": str(models_dir)}
    source = tmp_path / "speech.mp3"
    source.write_bytes(speech)
    out = tmp_path / "speech.srt"
    done = run_cli("transcribe", str(source), "-f", "srt", "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    srt = out.read_text()
    assert srt.startswith("1\n00:00:00,") and " --> " in srt
    assert words_heard(" ".join(_plain(srt)), WANTED) == WANTED
    piped = run_cli("transcribe", "-", "-f", "verbose_json", stdin=speech, env=env)
    assert piped.returncode == 0, piped.stderr
    body = json.loads(piped.stdout)
    assert body["language"] == "english" and body["words"] and body["segments"]


def test_cli_errors_are_one_line(models_dir: Path, tmp_path: Path) -> None:
    env = {"TTS_AGENTS_MODELS_DIR": str(models_dir)}
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00" * 1000)
    for args, code, message in (
        ((str(junk),), 2, b"could not be decoded as audio"),
        ((str(tmp_path / "missing.wav"),), 2, b"is not a readable file"),
        ((str(junk), "-f", "docx"), 2, b"format: must be one of"),
    ):
        done = run_cli("transcribe", *args, env=env)
        assert done.returncode == code and done.stderr.count(b"\n") == 1, done.stderr
        assert message in done.stderr
    assert not list(tmp_path.glob("*.part"))
    empty = run_cli(
        "transcribe", str(junk), env={"TTS_AGENTS_MODELS_DIR": str(tmp_path / "none")}
    )
    assert empty.returncode == 1 and b"tts-agents models pull whisper-base" in empty.stderr


# -- the OpenAI API ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac", "opus"])
def test_openai_sdk_transcribes_any_format(openai_client: OpenAI, fmt: str) -> None:
    audio = _speak(SENTENCE, fmt)
    result = openai_client.audio.transcriptions.create(
        model="whisper-1", file=(f"speech.{fmt}", audio)
    )
    assert words_heard(" ".join(_plain(result.text)), WANTED) == WANTED, result.text
    assert result.usage is not None and result.usage.seconds >= 2


def test_openai_sdk_verbose_json_with_words(openai_client: OpenAI, speech: bytes) -> None:
    result = openai_client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.mp3", speech),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="en",
    )
    assert result.language == "english" and result.duration > 2
    assert result.segments and result.segments[0].start == 0.0
    words = [w.word.lower().strip(".,") for w in result.words or []]
    assert {"library", "morning"} <= set(words)
    assert all(a.start <= b.start for a, b in zip(result.words, result.words[1:], strict=False))


@pytest.mark.parametrize(("fmt", "head"), [("text", ""), ("srt", "1\n"), ("vtt", "WEBVTT")])
def test_openai_text_formats(openai_client: OpenAI, speech: bytes, fmt: str, head: str) -> None:
    text = openai_client.audio.transcriptions.create(
        model="base", file=("speech.mp3", speech), response_format=fmt
    )
    assert isinstance(text, str) and text.startswith(head)
    assert "library" in text.lower()


def test_openai_streaming_transcription(openai_client: OpenAI, speech: bytes) -> None:
    events = list(
        openai_client.audio.transcriptions.create(
            model="whisper-1", file=("speech.mp3", speech), stream=True
        )
    )
    kinds = [event.type for event in events]
    assert kinds[-1] == "transcript.text.done" and "transcript.text.delta" in kinds
    deltas = "".join(e.delta for e in events if e.type == "transcript.text.delta")
    assert deltas == events[-1].text and "library" in deltas.lower()


def test_openai_translation_answers_in_english(openai_client: OpenAI, speech: bytes) -> None:
    result = openai_client.audio.translations.create(model="whisper-1", file=("s.mp3", speech))
    assert words_heard(" ".join(_plain(result.text)), {"library", "morning"})


@pytest.mark.parametrize(
    ("audio", "form", "param", "message"),
    [
        (b"definitely not audio" * 20, {}, "file", "could not be decoded"),
        (b"", {}, "file", "empty"),
        (None, {"model": "gpt-5-ears"}, "model", "unknown speech-to-text model"),
        (None, {"response_format": "docx"}, "response_format", "response_format"),
        (None, {"language": "xx-klingon"}, "language", "ISO-639-1"),
    ],
)
def test_openai_bad_uploads_get_400(
    url: str, speech: bytes, audio: bytes | None, form: dict, param: str, message: str
) -> None:
    data = {"model": "whisper-1", **form}
    response = httpx.post(
        url + "/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {KEY}"},
        files={"file": ("a.mp3", speech if audio is None else audio)},
        data=data,
        timeout=60,
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]


def test_openai_sdk_raises_on_undecodable(openai_client: OpenAI) -> None:
    with pytest.raises(BadRequestError, match="could not be decoded"):
        openai_client.audio.transcriptions.create(model="whisper-1", file=("x.wav", b"RIFF" * 50))


def test_upload_limits_size_and_duration(url: str) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    big = httpx.post(
        url + "/v1/audio/transcriptions",
        headers=headers,
        files={"file": ("big.wav", b"\x00" * 500_000)},
        data={"model": "whisper-1"},
    )
    assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
    # 25 s of 4 kHz silence in a WAV fits the byte limit but not the 20 s duration limit.
    samples = np.zeros(4000 * 25, dtype=np.int16)
    wav = io.BytesIO()
    import wave

    with wave.open(wav, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(4000)
        writer.writeframes(samples.tobytes())
    long = httpx.post(
        url + "/v1/audio/transcriptions",
        headers=headers,
        files={"file": ("long.wav", wav.getvalue())},
        data={"model": "whisper-1"},
        timeout=60,
    )
    assert long.status_code == 400 and "longer than 20 s" in long.json()["error"]["message"]


def test_transcription_needs_a_key(url: str, speech: bytes) -> None:
    response = httpx.post(
        url + "/v1/audio/transcriptions",
        files={"file": ("a.mp3", speech)},
        data={"model": "whisper-1"},
    )
    assert response.status_code == 401


# -- the ElevenLabs API --------------------------------------------------------------------


def test_elevenlabs_sdk_speech_to_text_with_words(url: str, speech: bytes) -> None:
    client = ElevenLabs(base_url=url, api_key=KEY)
    result = client.speech_to_text.convert(model_id="scribe_v1", file=("s.mp3", speech))
    assert result.language_code == "eng"
    assert words_heard(" ".join(_plain(result.text)), WANTED) == WANTED, result.text
    words = [w for w in result.words if w.type == "word"]
    assert len(words) >= 8 and {w.type for w in result.words} == {"word", "spacing"}
    assert all(w.start is not None and w.end is not None and w.start <= w.end for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)


def test_elevenlabs_errors_in_its_shape(url: str) -> None:
    client = ElevenLabs(base_url=url, api_key=KEY)
    with pytest.raises(ApiError) as caught:
        client.speech_to_text.convert(model_id="scribe_v1", file=("x.mp3", b"nope" * 100))
    assert caught.value.status_code == 400
    assert "could not be decoded" in caught.value.body["detail"]["message"]
    with pytest.raises(ApiError) as caught:
        client.speech_to_text.convert(model_id="scribe_v1", source_url="https://example.com/a")
    assert caught.value.status_code == 400


def test_uploads_must_be_multipart_forms_with_a_file(url: str) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    as_json = httpx.post(
        url + "/v1/audio/transcriptions", headers=headers, json={"model": "whisper-1"}
    )
    assert as_json.status_code == 400 and "multipart/form-data" in as_json.text
    no_file = httpx.post(
        url + "/v1/audio/transcriptions",
        headers=headers,
        files={"other": ("a.txt", b"x")},
        data={"model": "whisper-1"},
    )
    assert no_file.status_code == 400 and no_file.json()["error"]["param"] == "file"
    no_model = httpx.post(
        url + "/v1/audio/transcriptions", headers=headers, files={"file": ("a.mp3", b"x")}
    )
    assert no_model.status_code == 400 and no_model.json()["error"]["param"] == "model"
