"""Auth, security headers, CORS and limits, against a live server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from fastapi.routing import APIRoute
from openai import OpenAI
from prometheus_client.parser import text_string_to_metric_families

from tts_agents.server import ServerSettings, create_app
from tts_agents.server.errors import elevenlabs_path
from tts_agents.server.testing import running_server

KEY = "test-key-security"
ORIGIN = "https://app.example"
SPEECH = {"model": "tts-1", "input": "Hello.", "voice": "alloy"}
LONG_TEXT = "This sentence keeps the synthesis busy for a long while. " * 60


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    settings = ServerSettings(api_keys=(KEY,), cors_origins=(ORIGIN,))
    with running_server(create_app(settings)) as base:
        yield base


def _routes() -> list[tuple[str, str]]:
    """Every (method, path) of the app but /health, however FastAPI nests routers."""
    found = []
    pending = list(create_app(ServerSettings(api_keys=(KEY,))).routes)
    while pending:
        route = pending.pop()
        if hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)
        elif isinstance(route, APIRoute) and route.path != "/health":
            for method in sorted(route.methods):
                found.append((method, route.path.replace("{voice_id}", "alloy")))
    return sorted(found)


def test_every_route_is_listed() -> None:
    paths = {path for _, path in _routes()}
    assert {"/v1/audio/speech", "/v1/models", "/v1/voices", "/v1/audio/voices"} <= paths
    assert {"/v1/audio/transcriptions", "/v1/audio/translations", "/v1/speech-to-text"} <= paths
    assert len([p for p in paths if p.startswith("/v1/text-to-speech/")]) == 4


@pytest.mark.parametrize(("method", "path"), _routes())
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"xi-api-key": "no"}])
def test_every_route_needs_a_key(url: str, method: str, path: str, headers: dict) -> None:
    response = httpx.request(method, url + path, headers=headers, json={"text": "Hi"})
    assert response.status_code == 401
    body = response.json()
    if elevenlabs_path(path) or "xi-api-key" in headers:
        assert body["detail"]["code"] == "invalid_api_key"
    else:
        assert body["error"]["type"] == "authentication_error"


def test_both_header_styles_work_on_both_protocols(url: str) -> None:
    for headers in ({"Authorization": f"Bearer {KEY}"}, {"xi-api-key": KEY}):
        assert httpx.get(url + "/v1/voices", headers=headers).status_code == 200
        assert httpx.post(url + "/v1/audio/speech", headers=headers, json=SPEECH).is_success


def test_health_needs_no_key(url: str) -> None:
    response = httpx.get(url + "/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("GET", "/health", False),
        ("GET", "/v1/models", False),
        ("GET", "/v1/models", True),
        ("GET", "/nowhere", True),
        ("POST", "/v1/audio/speech", True),
    ],
)
def test_security_headers_everywhere(url: str, method: str, path: str, auth: bool) -> None:
    headers = {"Authorization": f"Bearer {KEY}"} if auth else {}
    response = httpx.request(method, url + path, headers=headers, json=SPEECH)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS


def test_hsts_under_tls_setting() -> None:
    with running_server(create_app(ServerSettings(api_keys=(KEY,), tls=True))) as base:
        response = httpx.get(base + "/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_cors_allows_only_the_configured_origin(url: str) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = httpx.options(url + "/v1/audio/speech", headers={"Origin": ORIGIN, **preflight})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    denied = httpx.options(
        url + "/v1/audio/speech", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in denied.headers
    simple = httpx.get(
        url + "/v1/models",
        headers={"Origin": "https://evil.example", "Authorization": f"Bearer {KEY}"},
    )
    assert "access-control-allow-origin" not in simple.headers


def test_no_cors_by_default() -> None:
    with running_server(create_app(ServerSettings(api_keys=(KEY,)))) as base:
        response = httpx.get(base + "/health", headers={"Origin": ORIGIN})
        preflight = httpx.options(
            base + "/v1/audio/speech",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_body_limit_is_413(url: str) -> None:
    body = {**SPEECH, "input": "x" * 70_000}
    response = httpx.post(
        url + "/v1/audio/speech", headers={"Authorization": f"Bearer {KEY}"}, json=body
    )
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


def test_busy_server_is_503_and_disconnect_frees_the_slot() -> None:
    # One slot, no queue, and a text long enough to keep the engine busy for many seconds.
    settings = ServerSettings(
        api_keys=(KEY,), max_concurrent=1, max_queue=0, max_input_chars=100_000
    )
    app = create_app(settings)
    body = {**SPEECH, "input": LONG_TEXT * 12, "response_format": "pcm", "speed": 0.25}
    with running_server(app) as base, httpx.Client(timeout=30) as first:
        client = OpenAI(base_url=base + "/v1", api_key=KEY, max_retries=0)
        headers = {"Authorization": f"Bearer {KEY}"}
        with first.stream("POST", base + "/v1/audio/speech", headers=headers, json=body) as stream:
            assert stream.status_code == 200
            chunks = stream.iter_raw()
            assert next(chunks)
            with pytest.raises(openai.InternalServerError) as caught:
                client.audio.speech.create(**SPEECH)
            assert caught.value.status_code == 503
            assert caught.value.response.headers["retry-after"] == "1"
        # The client went away mid-stream: its synthesis is cancelled and the slot freed
        # long before the whole text could have been spoken.
        deadline = time.monotonic() + 5
        while app.state.gate.busy and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not app.state.gate.busy
        assert len(client.audio.speech.create(**SPEECH).content) > 0


def test_flood_gets_429_with_retry_after_and_health_stays_up() -> None:
    settings = ServerSettings(api_keys=(KEY,), requests_per_minute_per_key=5)
    with running_server(create_app(settings)) as base:
        client = OpenAI(base_url=base + "/v1", api_key=KEY, max_retries=0)
        for _ in range(5):
            client.models.list()
        with pytest.raises(openai.RateLimitError) as caught:
            client.models.list()
        assert int(caught.value.response.headers["retry-after"]) >= 1
        assert httpx.get(base + "/health").status_code == 200


def test_per_ip_limit_applies_before_auth() -> None:
    settings = ServerSettings(api_keys=(KEY,), requests_per_minute_per_ip=3)
    with running_server(create_app(settings)) as base:
        codes = [httpx.get(base + "/v1/models").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_chunked_body_over_the_limit_is_413(url: str) -> None:
    def body(kilobytes: int) -> Iterator[bytes]:
        yield b'{"model":"tts-1","voice":"alloy","input":"'
        for _ in range(kilobytes):
            yield b"x" * 1000
        yield b'"}'

    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    too_big = httpx.post(url + "/v1/audio/speech", headers=headers, content=body(100))
    assert too_big.status_code == 413
    small = httpx.post(url + "/v1/audio/speech", headers=headers, content=body(1))
    assert small.status_code == 200


def test_metrics_count_requests_ttfb_rejections_and_real_time_factor() -> None:
    with running_server(create_app(ServerSettings(api_keys=(KEY,)))) as base:
        headers = {"Authorization": f"Bearer {KEY}"}
        assert httpx.post(base + "/v1/audio/speech", headers=headers, json=SPEECH).is_success
        assert httpx.get(base + "/v1/voices").status_code == 401
        assert httpx.get(base + "/v1/text-to-speech/some-voice-id").status_code == 405
        text = httpx.get(base + "/metrics", headers=headers).text
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    speech = {"route": "/v1/audio/speech", "method": "POST", "status": "200"}
    assert value("tts_agents_requests_total", **speech) == 1
    assert value("tts_agents_rejections_total", status="401") == 1
    assert value("tts_agents_ttfb_seconds_count") == 3
    assert value("tts_agents_ttfb_seconds_bucket", le="+Inf") == 3
    assert value("tts_agents_queue_depth") == 0
    assert value("tts_agents_real_time_factor") > 0
    assert value("tts_agents_audio_seconds_total") > 0
    assert "some-voice-id" not in text  # route templates only


def test_metrics_add_up_processes_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    metrics = "from tts_agents.server.metrics import Metrics; metrics = Metrics(); "
    record = metrics + "metrics.observe_request('/v1/models', 'GET', 429, 0.01)"
    for _ in range(2):  # two server processes, one after the other
        subprocess.run([sys.executable, "-c", record], env=env, check=True)  # noqa: S603
    show = metrics + "import sys; sys.stdout.buffer.write(metrics.render())"
    shown = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", show], env=env, check=True, capture_output=True
    )
    text = shown.stdout.decode()
    assert 'tts_agents_rejections_total{status="429"} 2.0' in text


def test_speech_costs_characters_and_breaks_up_front_and_audio_after() -> None:
    pauses = '<speak>One <break time="10s"/> two <break time="10s"/> three.</speak>'
    budget = len(pauses) + 20 + 12  # the request costs its characters plus 20 s of breaks
    settings = ServerSettings(api_keys=(KEY,), cost_per_minute_per_key=budget)
    headers = {"xi-api-key": KEY}
    with running_server(create_app(settings)) as base:
        eleven = base + "/v1/text-to-speech/alloy"
        assert httpx.post(eleven, headers=headers, json={"text": pauses}).status_code == 200
        refused = httpx.post(eleven, headers=headers, json={"text": "Fifteen chars.."})
        assert refused.status_code == 429  # 12 left; without the breaks there would be 32
        assert refused.json()["detail"]["code"] == "rate_limit_exceeded"
        assert 1 <= int(refused.headers["retry-after"]) <= 120
        assert httpx.post(eleven, headers=headers, json={"text": "Ten chars."}).status_code == 200
        assert httpx.get(base + "/v1/models", headers=headers).status_code == 200
    settings = ServerSettings(api_keys=(KEY,), audio_seconds_per_minute_per_key=1)
    with running_server(create_app(settings)) as base:
        client = OpenAI(base_url=base + "/v1", api_key=KEY, max_retries=0)
        speech = {**SPEECH, "input": "A sentence that takes a few seconds to say aloud."}
        assert len(client.audio.speech.create(**speech).content) > 0  # allowed, then counted
        with pytest.raises(openai.RateLimitError):
            client.audio.speech.create(**SPEECH)
        assert client.models.list()  # only speech is over budget


def test_an_open_server_answers_only_its_own_machine() -> None:
    """--no-auth: no DNS rebinding, no cross-site WebSockets (browsers allow those)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with running_server(create_app(ServerSettings(auth=False))) as base:
        assert httpx.get(base + "/v1/models").status_code == 200
        port = base.rsplit(":", 1)[1]
        assert httpx.get(f"http://localhost:{port}/v1/models").status_code == 200
        rebound = httpx.get(base + "/v1/models", headers={"Host": "attacker.example"})
        assert rebound.status_code == 403
        assert "localhost" in rebound.json()["error"]["message"]
        ws = base.replace("http", "ws", 1) + "/v1/text-to-speech/alloy/stream-input"
        with pytest.raises(InvalidStatus) as refused:
            connect(ws, origin="https://attacker.example")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        with connect(ws, origin=f"http://localhost:{port}") as local:  # type: ignore[arg-type]
            local.send('{"text": " "}')
            local.send('{"text": ""}')
            assert any('"isFinal"' in message for message in local)


def test_too_large_bodies_answer_in_each_protocols_shape_with_cors(url: str) -> None:
    big = b"{" + b" " * 70_000 + b"}"
    headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
    openai_style = httpx.post(
        url + "/v1/audio/speech", content=big, headers={**headers, "Authorization": f"Bearer {KEY}"}
    )
    assert openai_style.status_code == 413
    assert openai_style.json()["error"]["code"] == "body_too_large"
    assert openai_style.headers["access-control-allow-origin"] == ORIGIN
    assert "origin" in openai_style.headers["vary"].lower()
    eleven = httpx.post(
        url + "/v1/text-to-speech/alloy", content=big, headers={**headers, "xi-api-key": KEY}
    )
    assert eleven.status_code == 413 and eleven.json()["detail"]["code"] == "body_too_large"


def test_invalid_json_says_so_without_a_position_as_param(url: str) -> None:
    response = httpx.post(
        url + "/v1/audio/speech",
        content=b'{"model": "tts-1", "input": ',
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "the request body is not valid JSON" and error["param"] is None
