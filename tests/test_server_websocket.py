"""The stream-input WebSocket over TLS: the official elevenlabs SDK and a websockets client."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from elevenlabs.client import ElevenLabs
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import decode
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server, self_signed_certificate

pytest.importorskip("cryptography")
pytestmark = pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLSv1_2 is deprecated")

KEY = "test-key-websocket"
VOICE_PATH = "/v1/text-to-speech/alloy/stream-input"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def url(certificate: tuple[Path, Path]) -> Iterator[str]:
    cert, key = certificate
    app = create_app(ServerSettings(api_keys=(KEY,)))
    # TLS 1.2: the websockets *sync* client (which the SDK uses) reads and writes one TLS
    # 1.3 socket from two threads, and about one handshake request in 300 never leaves
    # (the server sees the connection, then no bytes); its asyncio client lost none in 600.
    tls12 = ssl.PROTOCOL_TLSv1_2
    with running_server(
        app, ssl_certfile=str(cert), ssl_keyfile=str(key), ssl_version=tls12
    ) as base:
        yield base


@pytest.fixture
def trust(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def _open(url: str, trust: ssl.SSLContext, query: str = "", **headers: str) -> ClientConnection:
    ws_url = url.replace("https://", "wss://") + VOICE_PATH + query
    return connect(ws_url, ssl=trust, additional_headers=headers)


def _messages(socket: ClientConnection) -> list[dict]:
    received = []
    try:
        while True:
            received.append(json.loads(socket.recv(timeout=20)))
    except ConnectionClosed:
        return received


# The SDK reads ConnectionClosed.code, which websockets deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore:ConnectionClosed.code is deprecated:DeprecationWarning")
def test_sdk_convert_realtime(
    url: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the SDK always dials wss://
    client = ElevenLabs(base_url=url, api_key=KEY)
    text = iter(["Hello there, ", "this text arrives ", "in pieces. ", "And it ends here."])
    audio = b"".join(
        client.text_to_speech.convert_realtime("alloy", text=text, output_format="pcm_16000")
    )
    assert 1.5 < decode(audio, pcm_rate=16000).duration < 8


def test_key_in_first_message_flush_alignment_and_clean_close(
    url: str, trust: ssl.SSLContext
) -> None:
    with _open(url, trust, "?output_format=mp3_44100_64") as socket:
        first = {
            "text": " ",
            "xi-api-key": KEY,
            "generation_config": {"chunk_length_schedule": [50]},
        }
        socket.send(json.dumps(first))
        socket.send(json.dumps({"text": "Hello there. ", "flush": True}))
        flushed = json.loads(socket.recv(timeout=20))
        socket.send(json.dumps({"text": "Goodbye now. "}))
        socket.send(json.dumps({"text": ""}))
        rest = _messages(socket)
        assert socket.close_code == 1000
    assert flushed["alignment"]["chars"] == list("Hello there. ")
    durations = flushed["alignment"]["charDurationsMs"]
    assert len(durations) == len(flushed["alignment"]["charStartTimesMs"]) == 13
    assert all(d >= 0 for d in durations)
    assert rest[-1] == {"audio": None, "isFinal": True}
    pieces = [flushed, *rest[:-1]]
    audio = b"".join(base64.b64decode(m["audio"]) for m in pieces if m.get("audio"))
    decoded = decode(audio)
    assert (decoded.codec, decoded.sample_rate) == ("mp3", 44100)
    assert decoded.duration > 1.0


@pytest.mark.parametrize("headers", [{}, {"xi-api-key": "wrong"}])
def test_missing_or_bad_key_closes_with_policy_code(
    url: str, trust: ssl.SSLContext, headers: dict
) -> None:
    with _open(url, trust, **headers) as socket:
        socket.send(json.dumps({"text": " "}))
        received = _messages(socket)
        assert socket.close_code == 1008
    assert received == [
        {"message": "missing or invalid API key", "error": "invalid_api_key", "code": 1008}
    ]


def test_unknown_voice_closes_with_error(url: str, trust: ssl.SSLContext) -> None:
    ws_url = url.replace("https://", "wss://") + "/v1/text-to-speech/nobody/stream-input"
    with connect(ws_url, ssl=trust, additional_headers={"xi-api-key": KEY}) as socket:
        socket.send(json.dumps({"text": " "}))
        received = _messages(socket)
        assert socket.close_code == 1008
    assert received[0]["error"] == "voice_not_found"


def test_inactivity_timeout(url: str, trust: ssl.SSLContext) -> None:
    with _open(url, trust, "?inactivity_timeout=1", **{"xi-api-key": KEY}) as socket:
        socket.send(json.dumps({"text": " "}))
        received = _messages(socket)
        assert socket.close_code == 1008
    assert received[-1]["error"] == "input_timeout_exceeded"


def test_bad_json_is_an_input_error(url: str, trust: ssl.SSLContext) -> None:
    with _open(url, trust, **{"xi-api-key": KEY}) as socket:
        socket.send(json.dumps({"text": " "}))
        socket.send("not json")
        received = _messages(socket)
        assert socket.close_code == 1008
    assert received[-1]["error"] == "invalid_input_message"


@pytest.mark.parametrize(
    ("first", "later", "code", "message"),
    [
        (b"\x00binary", None, 1003, "JSON text frames"),  # before auth
        ({"text": " "}, b"\x01\x02", 1003, "JSON text frames"),
        ({"text": " ", "voice_settings": {"speed": "abc"}}, None, 1008, "speed must be a number"),
        ({"text": " ", "voice_settings": {"speed": {}}}, None, 1008, "speed must be a number"),
        ({"text": " ", "voice_settings": "fast"}, None, 1008, "voice_settings must be"),
        (
            {"text": " ", "generation_config": {"chunk_length_schedule": 5}},
            None,
            1008,
            "chunk_length_schedule must be a list",
        ),
        ({"text": " ", "generation_config": "x"}, None, 1008, "generation_config must be"),
    ],
)
def test_every_bad_message_gets_an_error_and_a_close(
    url: str,
    trust: ssl.SSLContext,
    first: dict | bytes,
    later: bytes | None,
    code: int,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = {} if isinstance(first, bytes) else {"xi-api-key": KEY}
    with _open(url, trust, **headers) as socket:
        socket.send(first if isinstance(first, bytes) else json.dumps(first))
        if later is not None:
            socket.send(later)
        received = _messages(socket)
        assert socket.close_code == code
    assert received[-1]["error"] == "invalid_input_message"
    assert message in received[-1]["message"]
    assert "Traceback" not in caplog.text and "Exception" not in caplog.text


def test_a_key_sent_where_a_number_belongs_reaches_no_log_and_no_reply(
    url: str, trust: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    with _open(url, trust) as socket:
        socket.send(json.dumps({"text": " ", "xi-api-key": KEY, "voice_settings": {"speed": KEY}}))
        received = _messages(socket)
    assert received[-1]["message"] == "voice_settings.speed must be a number"
    assert KEY not in json.dumps(received) and KEY not in caplog.text
