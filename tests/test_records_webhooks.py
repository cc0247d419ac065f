"""Post-call webhooks against a real HTTP receiver on 127.0.0.1, verified by the SDK."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pydantic
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.errors import BadRequestError

from tests.conftest import free_port
from tts_agents.engines.resilience import RetryPolicy
from tts_agents.errors import TTSConfigError
from tts_agents.records.shapes import InitiationFailure, webhook_payload
from tts_agents.records.webhooks import (
    SIGNATURE_HEADER,
    DeliveryPolicy,
    WebhookSender,
    WebhookSettings,
    address_problem,
    sign,
)

SECRET = "whsec-test-0123456789abcdef"
ENV = {"HOOK_SECRET": SECRET}
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
FAST = DeliveryPolicy(
    retry=RetryPolicy(max_retries=4, base_delay=0.01, max_delay=0.08, max_retry_after=5.0),
    timeout_s=2.0,
)
FAILURE = webhook_payload(
    "call_initiation_failure",
    InitiationFailure("agent_1", "conv_1", "busy", "sip", {"note": "café ☎"}),
    NOW,
)


@dataclass
class Receiver:
    """A real HTTP server that records each request and answers as told."""

    url: str = ""
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default_status: int = 200
    delays: list[float] = field(default_factory=list)
    hold: threading.Event | None = None
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def answer(self) -> tuple[int, dict[str, str]]:
        return self.answers.pop(0) if self.answers else (self.default_status, {})


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            receiver.arrived.set()
            if receiver.hold is not None:
                receiver.hold.wait(10)
            if receiver.delays:
                time.sleep(receiver.delays.pop(0))
            status, headers = receiver.answer()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/elevenlabs"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    if state.hold is not None:
        state.hold.set()
    server.shutdown()
    server.server_close()


def settings(url: str, **changes: Any) -> WebhookSettings:
    fields: dict[str, Any] = {
        "url": url,
        "secret_env": "HOOK_SECRET",
        "allow_hosts": ("127.0.0.1",),
    }
    fields.update(changes)
    return WebhookSettings(**fields)


class Sleeps:
    """Records backoff waits instead of waiting, and moves a fake clock on by them."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 0.0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def monotonic(self) -> float:
        return self.now


def sender(*hooks: WebhookSettings, sleeps: Sleeps | None = None, **options: Any) -> WebhookSender:
    sleeps = sleeps or Sleeps()
    options.setdefault("policy", FAST)
    return WebhookSender(hooks, environ=ENV, sleep=sleeps, monotonic=sleeps.monotonic, **options)


def verify(headers: dict[str, str], body: bytes, secret: str = SECRET) -> Any:
    """What the receiver's ElevenLabs code does: the SDK's own verifier."""
    header = next(v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower())
    return ElevenLabs(api_key="unused").webhooks.construct_event(body.decode(), header, secret)


async def wait_until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def test_delivery_is_signed_and_the_sdk_verifies_it(receiver: Receiver) -> None:
    webhooks = sender(settings(receiver.url))
    webhooks.send(FAILURE)
    await webhooks.aclose()

    [(headers, body)] = receiver.requests
    assert verify(headers, body) == FAILURE
    assert body == json.dumps(FAILURE, ensure_ascii=False, separators=(",", ":")).encode()
    assert headers["content-type"] == "application/json"
    with pytest.raises(BadRequestError):
        verify(headers, body, secret="another-secret-0123456789")


def test_sign_matches_the_documented_scheme() -> None:
    expected = hmac.new(b"0123456789abcdef", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sign("0123456789abcdef", b'{"a":1}', 1700000000) == f"t=1700000000,v0={expected}"


async def test_only_subscribed_events_are_sent(receiver: Receiver) -> None:
    webhooks = sender(settings(receiver.url, events=["call_initiation_failure"]))
    webhooks.send({"type": "post_call_transcription", "event_timestamp": 1, "data": {}})
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert [json.loads(body)["type"] for _, body in receiver.requests] == [
        "call_initiation_failure"
    ]


async def test_retries_with_backoff_until_the_receiver_recovers(receiver: Receiver) -> None:
    receiver.answers = [(503, {}), (500, {})]
    sleeps = Sleeps()
    webhooks = sender(settings(receiver.url), sleeps=sleeps)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        assert verify(headers, body) == FAILURE  # every attempt is signed afresh
    assert len(sleeps.waits) == 2
    for retry, wait in enumerate(sleeps.waits):
        assert 0 <= wait <= min(FAST.retry.max_delay, FAST.retry.base_delay * 2**retry)
    assert webhooks.enabled(receiver.url)


async def test_retry_after_is_honoured(receiver: Receiver) -> None:
    receiver.answers = [(429, {"Retry-After": "0.25"})]
    sleeps = Sleeps()
    webhooks = sender(settings(receiver.url), sleeps=sleeps)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 2 and sleeps.waits == [0.25]


async def test_at_most_five_attempts(receiver: Receiver) -> None:
    receiver.default_status = 502
    sleeps = Sleeps()
    webhooks = sender(settings(receiver.url), sleeps=sleeps)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 5 and len(sleeps.waits) == 4


async def test_total_time_is_bounded(receiver: Receiver) -> None:
    receiver.default_status = 503
    receiver.answers = [(503, {"Retry-After": "0.6"})] * 5
    sleeps = Sleeps()
    policy = DeliveryPolicy(retry=FAST.retry, timeout_s=2.0, max_total_s=1.0)
    webhooks = sender(settings(receiver.url), sleeps=sleeps, policy=policy)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    # 0.6 s, then another 0.6 s would pass the 1 s budget: two attempts only.
    assert len(receiver.requests) == 2 and sleeps.waits == [0.6]


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
async def test_other_client_errors_are_not_retried(receiver: Receiver, status: int) -> None:
    receiver.default_status = status
    sleeps = Sleeps()
    webhooks = sender(settings(receiver.url), sleeps=sleeps)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 1 and sleeps.waits == []


async def test_redirects_are_refused_not_followed(receiver: Receiver) -> None:
    receiver.answers = [(302, {"Location": "http://127.0.0.1:1/elsewhere"})]
    webhooks = sender(settings(receiver.url))
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 1


async def test_a_timeout_is_retried(receiver: Receiver) -> None:
    receiver.delays = [1.5]
    policy = DeliveryPolicy(retry=FAST.retry, timeout_s=0.2)
    sleeps = Sleeps()
    webhooks = sender(settings(receiver.url), sleeps=sleeps, policy=policy)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 2 and len(sleeps.waits) == 1


async def test_connection_errors_are_retried() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks"
    sleeps = Sleeps()
    webhooks = sender(settings(url), sleeps=sleeps)
    webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(sleeps.waits) == 4  # five attempts, none reached a server


async def test_ten_failed_deliveries_in_a_row_disable_the_webhook(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.default_status = 400
    webhooks = sender(settings(receiver.url))
    caplog.set_level(logging.INFO, logger="tts_agents.records.webhooks")
    for _ in range(12):
        webhooks.send(FAILURE)
    await wait_until(lambda: not webhooks.enabled(receiver.url))
    webhooks.send(FAILURE)  # ignored: the webhook is off until restart
    await webhooks.aclose()

    assert len(receiver.requests) == 10
    disabled = [r for r in caplog.records if "disabled" in r.getMessage()]
    assert len(disabled) == 1
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "127.0.0.1" in disabled[0].getMessage()
    assert SECRET not in text and "/hooks/elevenlabs" not in text and "conv_1" not in text


async def test_a_success_resets_the_failure_count(receiver: Receiver) -> None:
    receiver.answers = [(400, {})] * 9 + [(200, {})] + [(400, {})] * 9
    webhooks = sender(settings(receiver.url))
    for _ in range(19):
        webhooks.send(FAILURE)
    await webhooks.aclose()

    assert len(receiver.requests) == 19 and webhooks.enabled(receiver.url)


async def test_send_never_blocks_the_caller(receiver: Receiver) -> None:
    receiver.hold = threading.Event()
    webhooks = sender(settings(receiver.url))

    started = time.perf_counter()
    webhooks.send(FAILURE)
    assert time.perf_counter() - started < 0.5
    assert receiver.requests == []  # nothing went out while send() ran

    await asyncio.to_thread(receiver.arrived.wait, 5)
    ticks = 0
    for _ in range(5):  # the event loop keeps running while the receiver is stuck
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 5 and not receiver.hold.is_set()

    receiver.hold.set()
    await webhooks.aclose()
    assert len(receiver.requests) == 1


async def test_aclose_gives_up_after_its_timeout(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.hold = threading.Event()
    webhooks = sender(settings(receiver.url))
    caplog.set_level(logging.WARNING, logger="tts_agents.records.webhooks")
    webhooks.send(FAILURE)
    webhooks.send(FAILURE)

    started = time.perf_counter()
    await webhooks.aclose(timeout=0.2)
    assert time.perf_counter() - started < 3
    assert any("not delivered" in r.getMessage() for r in caplog.records)
    await webhooks.aclose()  # idempotent
    with pytest.raises(RuntimeError):
        webhooks.send(FAILURE)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://100.64.0.1/hook",
        "http://127.0.0.1:8080/hook",
    ],
)
def test_private_addresses_need_allow_hosts(url: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="allow_hosts"):
        WebhookSettings(url=url, secret_env="HOOK_SECRET")
    host = httpx.URL(url).host
    assert WebhookSettings(url=url, secret_env="HOOK_SECRET", allow_hosts=[host.upper()])


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/hook",
        "http://10.0.0.5/hook",
        "ftp://hooks.example.com/hook",
        "https://user:pass@hooks.example.com/hook",
        "https://hooks.example.com/hook?token=abc",
        "not a url",
    ],
)
def test_https_is_required_except_on_loopback(url: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        WebhookSettings(url=url, secret_env="HOOK_SECRET", allow_hosts=["10.0.0.5"])
    assert WebhookSettings(url="https://hooks.example.com/x", secret_env="HOOK_SECRET")


def test_settings_fields() -> None:
    hook = WebhookSettings.model_validate(
        {
            "url": "https://Hooks.Example.com/x",
            "events": ["call_initiation_failure", "call_initiation_failure"],
            "secret_env": "HOOK_SECRET",
            "allow_hosts": ["Internal.Example.", "[FD00::1]"],
        }
    )
    assert hook.events == ("call_initiation_failure",)
    assert hook.allow_hosts == ("internal.example", "fd00::1")
    assert hook.host == "hooks.example.com"
    assert WebhookSettings(url="https://h.example/x", secret_env="S").events == (
        "post_call_transcription",
        "call_initiation_failure",
    )
    with pytest.raises(pydantic.ValidationError):
        WebhookSettings(url="https://h.example/x", secret_env="S", events=["audio"])
    with pytest.raises(pydantic.ValidationError):
        WebhookSettings(url="https://h.example/x", secret_env="S", events=[])
    with pytest.raises(pydantic.ValidationError):
        WebhookSettings(url="https://h.example/x", secret_env="S", unknown=1)


def test_secret_env_must_be_a_name_and_is_never_echoed() -> None:
    pasted = "sk_live_0123456789abcdef0123456789"
    with pytest.raises(pydantic.ValidationError) as caught:
        WebhookSettings(url="https://h.example/x", secret_env=pasted + "!")
    [error] = caught.value.errors()
    assert pasted not in error["msg"]


def test_missing_or_short_secret_is_a_config_error() -> None:
    hook = settings("https://hooks.example.com/x")
    with pytest.raises(TTSConfigError, match="HOOK_SECRET is not set"):
        WebhookSender([hook], environ={})
    with pytest.raises(TTSConfigError, match="shorter than 16") as caught:
        WebhookSender([hook], environ={"HOOK_SECRET": "short-secret"})
    assert "short-secret" not in str(caught.value)


def test_address_problem() -> None:
    assert address_problem(["93.184.216.34", "2606:2800:220:1::1"]) is None
    assert address_problem(["93.184.216.34", "10.1.2.3"]) is not None
    assert address_problem(["224.0.0.1"]) is not None
    assert address_problem(["0.0.0.0"]) is not None
    assert address_problem(["hooks.example.com"]) is None  # not an address: resolve first


def _mock_client(seen: list[httpx.Request]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def _resolver(addresses: list[str]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        assert host == "hooks.example.com" and port == 443
        return addresses

    return resolve


async def test_a_name_that_resolves_to_a_private_address_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[httpx.Request] = []
    hook = settings("https://hooks.example.com/x", allow_hosts=())
    caplog.set_level(logging.WARNING, logger="tts_agents.records.webhooks")
    async with _mock_client(seen) as client:
        webhooks = sender(hook, client=client, resolve=_resolver(["93.184.216.34", "10.1.2.3"]))
        webhooks.send(FAILURE)
        await webhooks.aclose()
    assert seen == []
    assert any("refused" in r.getMessage() for r in caplog.records)


async def test_an_allowed_host_may_be_private() -> None:
    seen: list[httpx.Request] = []
    hook = settings("https://hooks.example.com/x", allow_hosts=("hooks.example.com",))
    async with _mock_client(seen) as client:
        webhooks = sender(hook, client=client, resolve=_resolver(["10.1.2.3"]))
        webhooks.send(FAILURE)
        await webhooks.aclose()
    [request] = seen
    assert request.url == httpx.URL("https://hooks.example.com/x")


async def test_the_request_goes_to_the_checked_address() -> None:
    seen: list[httpx.Request] = []
    hook = settings("https://hooks.example.com/x", allow_hosts=())
    async with _mock_client(seen) as client:
        webhooks = sender(hook, client=client, resolve=_resolver(["93.184.216.34"]))
        webhooks.send(FAILURE)
        await webhooks.aclose()
    [request] = seen
    assert request.url == httpx.URL("https://93.184.216.34/x")
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert verify(dict(request.headers), request.content) == FAILURE


async def test_loopback_name_is_refused_unless_allowed(receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    webhooks = sender(settings(url, allow_hosts=()))
    webhooks.send(FAILURE)
    await webhooks.aclose()
    assert receiver.requests == []
