"""The official openai SDK retries our 503 (queue full) and succeeds once a slot frees."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from openai import OpenAI

from tests.conftest import decode
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "retry-key"
# ~20 minutes of 48 kHz PCM: far more than the socket buffers hold, so it waits for us.
HOG_ROUTE = "/v1/text-to-speech/alloy/stream?output_format=pcm_48000"
LONG = " ".join(f"Sentence {n} keeps the only synthesis slot busy." for n in range(75))


def _rejections(app: Any) -> int:
    requests = app.state.metrics.requests.items()
    return sum(count for (_, _, status), count in requests if status == 503)


def test_sdk_retries_503_twice_then_succeeds() -> None:
    settings = ServerSettings(api_keys=(KEY,), max_concurrent=1, max_queue=0)
    app = create_app(settings)
    sent: list[str | None] = []
    with running_server(app) as url:
        hog = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
        body = {"text": LONG, "voice_settings": {"speed": 0.25}}
        holding = hog.stream("POST", HOG_ROUTE, json=body)
        response = holding.__enter__()
        assert response.status_code == 200
        chunks = response.iter_raw()  # kept: dropping the iterator would close the stream
        next(chunks)  # the one slot is taken

        def release_after_two_rejections() -> None:
            deadline = time.monotonic() + 30
            while _rejections(app) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            holding.__exit__(None, None, None)  # disconnect: the server frees the slot

        releaser = threading.Thread(target=release_after_two_rejections)
        releaser.start()
        hooks = {"request": [lambda r: sent.append(r.headers.get("x-stainless-retry-count"))]}
        record = httpx.Client(event_hooks=hooks)
        client = OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=2, http_client=record)
        audio = client.audio.speech.create(
            model="tts-1", input="Third time lucky.", voice="alloy", response_format="wav"
        ).content
        releaser.join()
        hog.close()
    assert sent == ["0", "1", "2"]
    assert _rejections(app) == 2
    assert decode(audio).duration > 0.5
