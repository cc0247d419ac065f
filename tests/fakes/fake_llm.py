"""A fake OpenAI-compatible chat completions server, streaming scripted SSE replies.

It is the real HTTP server of :mod:`tests.fakes.http_server` on 127.0.0.1: each
``POST /v1/chat/completions`` takes the next scripted :class:`Reply` (text streamed word by
word, tool calls streamed in pieces, errors, cut streams) and is recorded, so a test can
read back exactly what the brain sent (messages, tools, headers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tests.fakes.http_server import FakeServer, Reply, Request

SSE = {"content-type": "text/event-stream", "cache-control": "no-cache"}


def _event(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


def text_events(text: str) -> list[bytes]:
    """``text`` as a stream: a role chunk, one chunk per word, a stop chunk and [DONE]."""
    words = text.split(" ")
    pieces = [word if index == 0 else " " + word for index, word in enumerate(words)]
    return [
        _event({"role": "assistant", "content": ""}),
        *(_event({"content": piece}) for piece in pieces),
        _event({}, "stop"),
        b"data: [DONE]\n\n",
    ]


def tool_call_events(
    name: str, arguments: dict[str, Any], *, call_id: str = "call_1", pieces: int = 3
) -> list[bytes]:
    """One tool call streamed as OpenAI does: id and name first, arguments in pieces."""
    raw = json.dumps(arguments)
    size = max(1, -(-len(raw) // pieces))
    parts = [raw[start : start + size] for start in range(0, len(raw), size)]
    first = {"index": 0, "id": call_id, "type": "function", "function": {"name": name}}
    events = [_event({"role": "assistant", "content": None, "tool_calls": [first]})]
    events += [
        _event({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}) for part in parts
    ]
    return [*events, _event({}, "tool_calls"), b"data: [DONE]\n\n"]


def stream(events: Sequence[bytes], **options: Any) -> Reply:
    """An SSE reply; ``options`` are :class:`Reply`'s (``cut_after``, ``chunk_delay`` ...)."""
    return Reply(200, dict(SSE), list(events), **options)


class FakeLLM(FakeServer):
    """Answers each chat completion with the next scripted reply (an error when none left)."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        super().__init__(self._reply)
        self.script = list(replies)

    @property
    def base_url(self) -> str:
        """What goes in the agent's ``llm.base_url``."""
        return f"{self.url}/v1"

    @property
    def chats(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat completion requests, in order."""
        return [r.json() for r in self.requests if r.path == "/v1/chat/completions"]

    def _reply(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return Reply.json(404, {"error": {"message": "not found"}})
        if not self.script:
            return Reply.json(500, {"error": {"message": "the test scripted no more replies"}})
        return self.script.pop(0)
