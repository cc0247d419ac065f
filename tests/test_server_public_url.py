"""Generated URLs never echo an untrusted Host header (issue 13, item 11)."""

from __future__ import annotations

import httpx
import pytest

from tts_agents.agent.config import default_agent_path, load_agent
from tts_agents.errors import TTSConfigError
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.public_url import check_public_url
from tts_agents.server.testing import running_server

KEY = "test-key-public-url"
HEADERS = {"Authorization": f"Bearer {KEY}"}
SIGNED = "/v1/convai/conversation/get-signed-url?agent_id=help-desk"


def _settings(**extra: object) -> ServerSettings:
    agents = (load_agent(default_agent_path()),)
    return ServerSettings(api_keys=(KEY,), agents=agents, bind_host="127.0.0.1", **extra)


def test_a_foreign_host_header_is_refused_not_reflected() -> None:
    with running_server(create_app(_settings())) as url:
        evil = {**HEADERS, "Host": "evil.example:1234"}
        for response in (
            httpx.get(url + SIGNED, headers=evil),
            httpx.post(url + "/v1/web/login-links", headers=evil),
        ):
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "untrusted_host"
            assert "evil.example" not in response.text
        signed = httpx.get(url + SIGNED, headers=HEADERS).json()["signed_url"]
        assert signed.startswith(url.replace("http://", "ws://") + "/v1/convai/conversation?")


def test_allowed_hosts_and_the_public_url_are_used() -> None:
    settings = _settings(allowed_hosts=("speech.internal",))
    with running_server(create_app(settings)) as url:
        port = url.rsplit(":", 1)[1]
        named = {**HEADERS, "Host": f"speech.internal:{port}"}
        signed = httpx.get(url + SIGNED, headers=named).json()["signed_url"]
        assert signed.startswith(f"ws://speech.internal:{port}/")
    with running_server(create_app(_settings(public_url="https://tts.example.org"))) as url:
        evil = {**HEADERS, "Host": "evil.example"}
        signed = httpx.get(url + SIGNED, headers=evil).json()["signed_url"]
        assert signed.startswith("wss://tts.example.org/v1/convai/conversation?")
        link = httpx.post(url + "/v1/web/login-links", headers=evil).json()["login_url"]
        assert link.startswith("https://tts.example.org/#login=")


@pytest.mark.parametrize("bad", ["tts.example.org", "ftp://x", "https://", "https://x/?a=1"])
def test_public_url_must_be_an_address(bad: str) -> None:
    with pytest.raises(TTSConfigError, match="--public-url"):
        check_public_url(bad)


def test_serve_refuses_a_bad_public_url_before_announcing_a_key() -> None:
    from tests.conftest import run_cli

    done = run_cli("serve", "--public-url", "tts.example", "--port", "0")
    assert done.returncode == 2 and done.stderr.count(b"\n") == 1, done.stderr
    assert b"--public-url must look like" in done.stderr and b"generated" not in done.stderr
