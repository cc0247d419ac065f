"""Two real server processes sharing one real Redis: budgets, signed URLs and sign-ins agree.

The Redis is Debian's ``redis-server`` (``scripts/install_redis.sh``), started here on a free
loopback port with a throwaway directory and no persistence; both replicas are
``tts-agents serve`` processes pointed at it with ``TTS_AGENTS_REDIS_URL``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import free_port, wait_healthy
from tts_agents.errors import TTSUnavailableError
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.browser_auth import CSRF_HEADER, SESSION_COOKIE
from tts_agents.server.limits import RateLimiter
from tts_agents.server.shared_state import MemoryStore, RedisStore
from tts_agents.server.testing import running_server

KEY = "replica-key"
BUDGET_KEY = "replica-budget-key"  # its own key: the other tests do not spend its budget
PER_MINUTE = 12
SECRET = "replica-conversation-secret-of-32-chars+"

needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="no redis-server: run scripts/install_redis.sh"
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
        + ["--save", "", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                RedisStore.from_url(url).ping()
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


class Replica:
    """One ``tts-agents serve`` process; its log holds the sign-in link it printed."""

    def __init__(self, redis_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
        env |= {
            "TTS_AGENTS_REDIS_URL": redis_url,
            "TTS_AGENTS_API_KEYS": f"{KEY},{BUDGET_KEY}",
            "TTS_AGENTS_CONVERSATION_SECRET": SECRET,
        }
        command = [sys.executable, "-m", "tts_agents", "serve", "--engine", "espeak"]
        command += ["--port", str(self.port), "--workers", "0", "--stt-workers", "0"]
        command += ["--key-requests-per-minute", str(PER_MINUTE)]
        with log.open("wb") as output:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
                command, stdout=output, stderr=subprocess.STDOUT, env=env
            )

    def login_token(self) -> str:
        match = re.search(r"#login=([\w-]+)", self.log.read_text(encoding="utf-8"))
        assert match, self.log.read_text(encoding="utf-8")
        return match.group(1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def replicas(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Replica]]:
    folder = tmp_path_factory.mktemp("replicas")
    started = [Replica(redis_url, folder / f"replica-{n}.log") for n in range(2)]
    try:
        for replica in started:
            wait_healthy(replica.url, timeout=60)
        yield started
    finally:
        for replica in started:
            replica.stop()


@needs_redis
def test_a_keys_request_budget_is_shared(replicas: list[Replica]) -> None:
    if time.time() % 60 > 55:  # a new minute mid-test would let the old one's count fade
        time.sleep(60 - time.time() % 60 + 0.1)
    headers = {"Authorization": f"Bearer {BUDGET_KEY}"}
    codes = [
        httpx.get(replicas[n % 2].url + "/v1/models", headers=headers).status_code
        for n in range(PER_MINUTE + 4)
    ]
    assert codes == [200] * PER_MINUTE + [429] * 4  # not PER_MINUTE on each replica
    refused = httpx.get(replicas[0].url + "/v1/models", headers=headers)
    assert int(refused.headers["retry-after"]) >= 1


@needs_redis
def test_a_signed_url_works_on_either_replica_and_once_on_all(replicas: list[Replica]) -> None:
    first, second = replicas
    url = _signed_url(first)
    _talk(url.replace(str(first.port), str(second.port)))  # issued on one, used on the other
    assert _refusal(url) == (1008, "conversation signature already used")
    url = _signed_url(second)
    _talk(url)
    assert _refusal(url.replace(str(second.port), str(first.port))) == (
        1008,
        "conversation signature already used",
    )


@needs_redis
def test_a_login_link_works_once_and_its_session_everywhere(replicas: list[Replica]) -> None:
    first, second = replicas
    token = first.login_token()  # the link the first replica printed when it started
    signed_in = _sign_in(second, token)
    assert signed_in.json()["authenticated"]
    assert _sign_in(first, token).json()["login_error"]  # used: refused on the other replica
    cookie = {SESSION_COOKIE: signed_in.cookies[SESSION_COOKIE]}
    csrf = {CSRF_HEADER: signed_in.json()["csrf_token"]}
    agents = httpx.get(first.url + "/v1/web/agents", cookies=cookie, headers=csrf)
    assert agents.status_code == 200  # a session from one replica works on the other
    assert httpx.delete(first.url + "/v1/web/session", cookies=cookie, headers=csrf).status_code
    after = httpx.get(second.url + "/v1/web/agents", cookies=cookie, headers=csrf)
    assert after.status_code == 401  # signed out on one replica: out on every one


@needs_redis
def test_redis_store_keeps_marks_groups_and_secrets_for_everyone(redis_url: str) -> None:
    one, other = RedisStore.from_url(redis_url), RedisStore.from_url(redis_url)
    assert one.mark("unit:once", 5)
    assert not other.mark("unit:once", 5)
    assert other.is_marked("unit:once") and not other.is_marked("unit:never")
    for member in ("a", "b", "c"):
        one.add_member("unit:group", member, ttl=60, keep=2)
    assert not other.take_member("unit:group", "a")  # the oldest went past ``keep``
    assert other.take_member("unit:group", "c")
    assert not one.take_member("unit:group", "c")  # taken once
    assert one.secret("unit") == other.secret("unit")


def test_an_unreachable_redis_fails_closed_for_tokens_and_open_for_limits() -> None:
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(TTSUnavailableError):
        store.mark("unit:down", 5)
    limiter = RateLimiter.sharing(store)
    for _ in range(3):
        limiter.check("ip:unit", 1)  # no counters to consult: requests pass


def test_without_redis_state_stays_in_the_process() -> None:
    app = create_app(ServerSettings(api_keys=(KEY,), requests_per_minute_per_key=2))
    assert isinstance(app.state.shared_state, MemoryStore)
    with running_server(app) as base:
        headers = {"xi-api-key": KEY}
        codes = [httpx.get(base + "/v1/models", headers=headers).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        token = app.state.browser_auth.issue_login_token()
        client = httpx.Client(base_url=base, headers={CSRF_HEADER: "1"})
        assert client.post("/v1/web/session", json={"login_token": token}).json()["authenticated"]
        assert client.post("/v1/web/session", json={"login_token": token}).json()["login_error"]


def _signed_url(replica: Replica) -> str:
    answer = httpx.get(
        replica.url + "/v1/convai/conversation/get-signed-url",
        params={"agent_id": "help-desk"},
        headers={"xi-api-key": KEY},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["signed_url"])


def _talk(url: str) -> None:
    """Start a conversation at ``url`` and hang up once the agent has answered the start."""
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "conversation_initiation_client_data"}))
        while json.loads(ws.recv(timeout=10))["type"] != "conversation_initiation_metadata":
            pass


def _refusal(url: str) -> tuple[int, str]:
    with connect(url, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def _sign_in(replica: Replica, token: str) -> httpx.Response:
    answer = httpx.post(
        replica.url + "/v1/web/session", headers={CSRF_HEADER: "1"}, json={"login_token": token}
    )
    assert answer.status_code == 200, answer.text
    return answer
