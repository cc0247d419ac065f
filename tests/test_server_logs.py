"""Access and connection logs of a real ``tts-agents serve`` never hold a credential."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from websockets.sync.client import connect

from tests.conftest import free_port, wait_healthy

KEY = "canary-key-ZQ7XW2PLM4"
SECRETS = (KEY, "canary-query-8QKD", "canary-sig-3MZT", "canary-login-6YHW")



def test_logs_hold_no_credentials() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
    env["TTS_AGENTS_API_KEYS"] = KEY
    command = [sys.executable, "-m", "tts_agents", "serve", "--port", str(port), "--workers", "0"]
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        wait_healthy(url)
        bearer = {"Authorization": f"Bearer {KEY}"}
        query = f"?api_key={SECRETS[1]}&conversation_signature={SECRETS[2]}&login={SECRETS[3]}"
        assert httpx.get(url + "/v1/models" + query, headers=bearer).status_code == 200
        assert httpx.get(url + "/v1/voices" + query, headers={"xi-api-key": KEY}).status_code == 200
        assert httpx.get(url + "/v1/models?key=" + KEY).status_code == 401
        ws_url = f"ws://127.0.0.1:{port}/v1/text-to-speech/alloy/stream-input{query}"
        with connect(ws_url, additional_headers={"xi-api-key": KEY}) as websocket:
            websocket.send('{"text": " "}')
            websocket.send('{"text": ""}')
            for _ in websocket:
                pass
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=20)
    logs = (stdout + stderr).decode()
    assert "/v1/models?api_key=[REDACTED]" in logs  # the access log is on, and redacted
    assert "stream-input?" in logs
    for secret in SECRETS:
        assert secret not in logs
