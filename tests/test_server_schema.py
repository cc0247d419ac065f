"""The OpenAPI schema says what the server does: schemathesis against one live server.

A bounded run over every operation: fixed seed, every check but positive data acceptance
(the schema cannot encode every voice rule, so valid-looking input may still be refused),
espeak answering in pcm so synthesis stays fast, rate limits too generous to interfere.
It must meet no server error and no response the schema does not describe. The
transcription uploads also get what schemathesis never sends: real speech, a slow chunked
body, and files over the upload limit.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tts_agents import TTSAgent, TTSConfig
from tts_agents.errors import TTSValidationError
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server
from tts_agents.text.validation import SPEAKABLE_PATTERN, validate_text

KEY = "test-key-schema"
UPLOAD_LIMIT = 300_000
MIN_CASES = 500
CONFIG = f"""
seed = 20261122
continue-on-failure = true

# Each run starts afresh and leaves nothing behind.
[cache]
enabled = false

[generation]
max-examples = 20
database = "none"

[checks]
positive_data_acceptance.enabled = false

[headers]
Authorization = "Bearer {KEY}"

# Half the voice ids name a voice, so synthesis runs as often as it is refused.
[dictionaries.voices]
values = ["alloy", "en-us"]

[parameters]
output_format = "pcm_16000"
voice_id = {{ dictionary = "voices", probability = 0.5 }}

# OpenAI's speech holds its voice and format in the body, and has two ways to stream.
[[operations]]
include-path = "/v1/audio/speech"
generation.max-examples = 60
[operations.parameters]
"body.response_format" = "pcm"
"body.voice" = {{ dictionary = "voices", probability = 0.5 }}
"""
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def url(models_dir: Path) -> Iterator[str]:
    """One server on espeak, with Whisper for the uploads that hold real speech."""
    settings = ServerSettings(
        api_keys=(KEY,),
        engine="espeak",
        requests_per_minute_per_key=100_000,
        requests_per_minute_per_ip=100_000,
        max_upload_bytes=UPLOAD_LIMIT,
        max_audio_seconds=20,
    )
    agent = TTSAgent(TTSConfig(engine="espeak", models_dir=models_dir))
    with running_server(create_app(settings, agent)) as base:
        yield base
    asyncio.run(agent.close())


@pytest.fixture(scope="module")
def schema(url: str) -> Any:
    config = schemathesis.Config.from_str(CONFIG)
    headers = {"Authorization": f"Bearer {KEY}"}
    return schemathesis.openapi.from_url(url + "/openapi.json", config=config, headers=headers)


@pytest.fixture(scope="module")
def speech() -> bytes:
    async def speak() -> bytes:
        async with TTSAgent(TTSConfig(engine="espeak")) as agent:
            result = await agent.generate_speech("The library opens at nine.", format="wav")
            return result.audio_data

    return asyncio.run(speak())


@dataclass
class Findings:
    """What one schemathesis run met."""

    statistic: Statistic = field(default_factory=Statistic)
    errors: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """One line per distinct failure, with the answer and the request that shows it."""
        return [
            f"{label}: {failure.title}\n  {(failure.message or '').strip()[:400]}"
            f"\n  {_answer(group.response)}\n  {group.code_sample[-1500:]}"
            for label, groups in self.statistic.failures.items()
            for group in groups.values()
            for failure in group.failures
        ]


def _answer(response: schemathesis.Response | None) -> str:
    if response is None:
        return "no answer"
    return f"{response.status_code} {response.content[:300]!r}"


def _run(schema: Any) -> Findings:
    findings = Findings()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            findings.statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            findings.errors.append(f"{event.label}: {event.value}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished) and event.failures:
            findings.statistic.record_run_check_failures(event.failures, label="after the run")
    return findings


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(schema: Any) -> None:
    findings = _run(schema)
    statistic = findings.statistic
    assert not findings.errors, "\n".join(findings.errors)
    assert not findings.failures(), "\n".join(findings.failures())
    operations = {operation.ok().label for operation in schema.get_all_operations()}
    assert statistic.tested_operations == operations
    assert statistic.total_cases >= MIN_CASES and not statistic.errored_cases


def _multipart(fields: dict[str, str], audio: bytes) -> tuple[bytes, str]:
    """A form with ``file`` as one body, and its Content-Type (with the boundary)."""
    request = httpx.Request("POST", "http://form", data=fields, files={"file": ("a.wav", audio)})
    return request.read(), request.headers["content-type"]


def _slowly(body: bytes, pieces: int = 8, pause: float = 0.05) -> Iterator[bytes]:
    step = -(-len(body) // pieces)
    for start in range(0, len(body), step):
        time.sleep(pause)
        yield body[start : start + step]


def _upload(
    schema: Any, url: str, path: str, fields: dict[str, str], body: Any, content_type: str
) -> requests.Response:
    """Send an upload (chunked when ``body`` is an iterator); check the answer against
    everything the schema says of it."""
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": content_type}
    response = requests.post(url + path, data=body, headers=headers, timeout=60)
    case = schema[path]["POST"].Case(
        body={**fields, "file": b"audio"}, media_type="multipart/form-data"
    )
    case.validate_response(response, checks=RESPONSE_CHECKS)
    return response


@pytest.mark.parametrize(
    ("path", "fields", "media_type"),
    [
        ("/v1/audio/transcriptions", {"model": "whisper-1"}, "application/json"),
        ("/v1/audio/transcriptions", {"model": "whisper-1", "response_format": "vtt"}, "text/vtt"),
        ("/v1/audio/transcriptions", {"model": "whisper-1", "stream": "true"}, "text/event-stream"),
        (
            "/v1/audio/translations",
            {"model": "whisper-1", "response_format": "srt"},
            "application/x-subrip",
        ),
        ("/v1/speech-to-text", {"model_id": "scribe_v1"}, "application/json"),
    ],
)
def test_slow_upload_is_transcribed_as_documented(
    schema: Any, url: str, speech: bytes, path: str, fields: dict[str, str], media_type: str
) -> None:
    body, content_type = _multipart(fields, speech)
    response = _upload(schema, url, path, fields, _slowly(body), content_type)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert "library" in response.text.lower()


@pytest.mark.parametrize("path", ["/v1/audio/transcriptions", "/v1/speech-to-text"])
@pytest.mark.parametrize("chunked", [False, True])
def test_oversize_upload_is_a_documented_413(
    schema: Any, url: str, path: str, chunked: bool
) -> None:
    fields = {"model": "whisper-1", "model_id": "scribe_v1"}
    body, content_type = _multipart(fields, bytes(UPLOAD_LIMIT))
    content = iter([body]) if chunked else body
    response = _upload(schema, url, path, fields, content, content_type)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/v2/voices", {"next_page_token": "²"}, 200),  # isdigit(), yet no int: was a 500
        ("/v2/voices", {"next_page_token": "9" * 5000}, 200),  # past int()'s digit limit
        ("/v1/voices/{voice_id}", {}, 404),
    ],
)
def test_odd_queries_get_documented_answers(
    schema: Any, url: str, path: str, query: dict[str, str], status: int
) -> None:
    case = schema[path]["GET"].Case(path_parameters={"voice_id": "nobody"}, query=query)
    response = requests.get(
        url + case.formatted_path, params=query, headers={"xi-api-key": KEY}, timeout=30
    )
    case.validate_response(response, checks=RESPONSE_CHECKS)
    assert response.status_code == status


def test_empty_output_format_is_refused(schema: Any, url: str) -> None:
    path = "/v1/text-to-speech/{voice_id}"
    case = schema[path]["POST"].Case(
        path_parameters={"voice_id": "alloy"}, query={"output_format": ""}, body={"text": "Hi"}
    )
    response = requests.post(
        url + "/v1/text-to-speech/alloy?output_format=",
        json={"text": "Hi"},
        headers={"xi-api-key": KEY},
        timeout=30,
    )
    case.validate_response(response, checks=RESPONSE_CHECKS)
    assert response.status_code == 400
    assert response.json()["detail"]["param"] == "output_format"


def test_only_health_is_public(schema: Any, url: str) -> None:
    public = [
        (operation.ok().method, operation.ok().path)
        for operation in schema.get_all_operations()
        if "security" not in operation.ok().definition.raw
    ]
    assert public == [("get", "/health")]
    assert httpx.get(url + "/health").status_code == 200


def _speakable(text: str) -> bool:
    try:
        validate_text(text, max_length=None)
    except TTSValidationError:
        return False
    return True


_PATTERN = jsonschema_rs.validator_for({"type": "string", "pattern": SPEAKABLE_PATTERN})


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=6))
def test_the_schema_pattern_refuses_what_the_server_refuses(text: str) -> None:
    # Read both as Python does and as schemathesis' validator (Rust, JSON Schema) does.
    spoken = _speakable(text)
    assert bool(re.search(SPEAKABLE_PATTERN, text)) == spoken
    assert _PATTERN.is_valid(text) == spoken
