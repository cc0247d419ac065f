"""``tts-agents serve`` as a real process: key printed once, refusals, TLS with HSTS."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, run_cli, wait_healthy
from tts_agents.server.testing import self_signed_certificate


@pytest.fixture
def serve_process() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
        [sys.executable, "-m", "tts_agents", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_generates_and_prints_a_key(
    serve_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = serve_process
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    match = re.search(r"generated one for this run: (\S+)", line)
    assert match, line
    key = match.group(1)
    wait_healthy(url)
    assert httpx.get(url + "/v1/models").status_code == 401
    response = httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert "server" not in response.headers  # no version banner


def test_no_auth_refused_off_loopback() -> None:
    result = run_cli("serve", "--no-auth", "--host", "0.0.0.0")  # noqa: S104
    assert result.returncode == 2
    assert b"loopback" in result.stderr


def test_a_proxy_is_named_by_its_address() -> None:
    result = run_cli("serve", "--forwarded-allow-ips", "proxy.internal")
    assert result.returncode == 2
    assert result.stderr.decode().strip().endswith("IP addresses, not 'proxy.internal'")


def test_ssl_files_must_go_together(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x", encoding="utf-8")
    result = run_cli("serve", "--ssl-certfile", str(cert))
    assert result.returncode == 2
    assert b"go together" in result.stderr


def test_serve_over_tls_sends_hsts(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
    env["TTS_AGENTS_API_KEYS"] = "tls-key"
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
        [sys.executable, "-m", "tts_agents", "serve", "--port", str(port)]
        + ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"https://127.0.0.1:{port}"
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        wait_healthy(url, verify=trust)
        headers = {"Authorization": "Bearer tls-key"}
        speech = {
            "model": "tts-1",
            "input": "Secure hello.",
            "voice": "alloy",
            "response_format": "wav",
        }
        response = httpx.post(url + "/v1/audio/speech", headers=headers, json=speech, verify=trust)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert response.status_code == 200
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.content.startswith(b"RIFF")
    assert b"generated" not in stderr  # a configured key: none generated


def test_a_port_in_use_is_refused_before_any_key_or_link() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode() == f"tts-agents: error: port {port} on 127.0.0.1 is in use\n"
    assert result.stdout == b""
