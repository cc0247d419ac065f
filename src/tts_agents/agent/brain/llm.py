"""The LLM brain: any OpenAI-compatible chat completions API, streamed token by token.

Works with OpenAI, Ollama, vLLM, llama.cpp and anything else that serves
``POST {base_url}/chat/completions`` with ``stream: true`` (server-sent events). Each turn
sends the system prompt (plus a spoken-style rule, the local time, the most relevant
knowledge-base passages and the client's context updates) and the conversation so far.
Tool calls stream in pieces; they are assembled, run (:mod:`tts_agents.agent.brain.tools`) and
their results sent back in a follow-up completion, up to :attr:`LLMBrain.max_tool_rounds`.

The conversation never stalls on the LLM: a connection error, an HTTP error, a timeout
or a malformed stream, before or in the middle of an answer, logs one warning (never the
key) and the offline brain answers that turn; an answer cut mid-way is continued with
the offline answer. A goodbye is handled offline so the call always ends cleanly.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from tts_agents.agent.brain.base import (
    BrainEvent,
    ClientToolCaller,
    EndConversation,
    TextDelta,
    ToolUse,
    Turn,
)
from tts_agents.agent.brain.intents import Intent, match_intents, spoken_date, spoken_time
from tts_agents.agent.brain.offline import OfflineBrain
from tts_agents.agent.brain.tools import ToolResult, run_tool, tool_schema
from tts_agents.agent.config import AgentConfig, LLMSettings
from tts_agents.errors import TTSConfigError
from tts_agents.redact import get_logger, register_secret

logger = get_logger("tts_agents.agent.llm")

SPOKEN_STYLE = (
    "Your replies are spoken aloud by a text to speech voice. Answer in one to three short "
    "sentences of plain text: no markdown, no lists, no code, no emojis, no URLs."
)
#: How many recent turns of the conversation are sent with each request.
MAX_HISTORY_TURNS = 24
_MAX_ERROR_BODY = 2048


class LLMFailure(Exception):
    """The LLM could not give an answer; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _ToolCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class _Round:
    """What one streamed completion produced besides its text."""

    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    text: str = ""


class LLMBrain:
    """A :class:`~tts_agents.agent.brain.Brain` backed by an OpenAI-compatible chat API."""

    max_tool_rounds = 4

    def __init__(
        self,
        agent: AgentConfig,
        *,
        offline: OfflineBrain,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if agent.llm is None:
            raise TTSConfigError("llm: the agent names no LLM")
        self.agent = agent
        self.settings: LLMSettings = agent.llm
        self.offline = offline
        self._key = _api_key(self.settings)
        self._client = http_client
        self._own_client = http_client is None
        self._tools = {tool.name: tool for tool in agent.tools}
        self._host = urlsplit(self.settings.base_url).hostname or "?"

    async def aclose(self) -> None:
        """Close the HTTP client if the brain made it (a given one stays the caller's)."""
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def reply(
        self, history: Sequence[Turn], *, call_client_tool: ClientToolCaller | None = None
    ) -> AsyncIterator[BrainEvent]:
        """Stream the LLM's answer; on failure, continue with the offline brain's answer."""
        question = next((t.text for t in reversed(history) if t.role == "user"), "")
        if any(m.intent is Intent.GOODBYE and m.alone for m in match_intents(question)):
            async for event in self.offline.reply(history):
                yield event
            return
        messages = self._messages(history, question)
        said = False
        try:
            # aclosing: when the caller stops listening, the HTTP stream closes now, not
            # whenever the garbage collector gets to the inner generators.
            async with aclosing(self._complete(messages, call_client_tool)) as items:
                async for item in items:
                    if isinstance(item, ToolUse):
                        yield item
                        continue
                    said = True
                    yield TextDelta(item)
        except LLMFailure as failure:
            logger.warning(
                "LLM at %s failed (%s); answering this turn offline", self._host, failure.reason
            )
            answer = self.offline.answer(history)
            yield TextDelta((" " if said else "") + answer.text)
            if answer.end:
                yield EndConversation("the user said goodbye")

    async def _complete(
        self, messages: list[dict[str, Any]], call_client_tool: ClientToolCaller | None
    ) -> AsyncIterator[str | ToolUse]:
        """Text of the answer; tools are run (webhooks reported) and the completion continued."""
        answered = False
        for round_number in range(self.max_tool_rounds + 1):
            done = _Round()
            offer_tools = bool(self._tools) and round_number < self.max_tool_rounds
            async with aclosing(self._stream(messages, done, offer_tools=offer_tools)) as texts:
                async for text in texts:
                    answered = True
                    yield text
            if not done.tool_calls:
                break
            messages.append(_assistant_message(done))
            for call in done.tool_calls.values():
                result, use = await self._run_tool(call, call_client_tool)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result.text})
                if use is not None:
                    yield use
        if not answered:
            raise LLMFailure("empty answer")

    async def _stream(
        self, messages: list[dict[str, Any]], done: _Round, *, offer_tools: bool
    ) -> AsyncIterator[str]:
        """One streamed completion: yields text, fills ``done`` with tool calls."""
        body = self._request_body(messages, offer_tools)
        url = f"{self.settings.base_url}/chat/completions"
        headers = {"accept": "text/event-stream"}
        if self._key:
            headers["authorization"] = f"Bearer {self._key}"
        try:
            async with self._http().stream(
                "POST", url, json=body, headers=headers, follow_redirects=False
            ) as response:
                if response.status_code >= 300:
                    raise LLMFailure(f"HTTP {response.status_code}{await _error_hint(response)}")
                async with aclosing(_parse_events(response.aiter_lines(), done)) as texts:
                    async for text in texts:
                        yield text
        except httpx.TimeoutException as exc:
            raise LLMFailure(f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise LLMFailure(f"connection failed ({type(exc).__name__})") from None

    def _request_body(self, messages: list[dict[str, Any]], offer_tools: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "stream": True,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        if offer_tools:
            body["tools"] = [tool_schema(tool) for tool in self._tools.values()]
        return body

    def _messages(self, history: Sequence[Turn], question: str) -> list[dict[str, Any]]:
        """System prompt with time, facts and context, then the conversation."""
        now = self.offline.now()
        parts = [self.agent.system_prompt.strip(), SPOKEN_STYLE]
        parts.append(f"{spoken_time(now)} {spoken_date(now)}")
        hits = self.offline.search(question, history=history, limit=self.settings.context_passages)
        if hits:
            parts.append("Facts you may use:\n" + "\n".join(f"- {h.passage.text}" for h in hits))
        notes = [t.text for t in history if t.role in ("context", "tool") and t.text.strip()]
        if notes:
            parts.append("Context from the application:\n" + "\n".join(f"- {n}" for n in notes))
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": "\n\n".join(p for p in parts if p)}
        ]
        for turn in history[-MAX_HISTORY_TURNS:]:
            if turn.role in ("user", "agent") and turn.text.strip():
                role = "user" if turn.role == "user" else "assistant"
                messages.append({"role": role, "content": turn.text})
        return messages

    async def _run_tool(
        self, call: _ToolCall, call_client_tool: ClientToolCaller | None
    ) -> tuple[ToolResult, ToolUse | None]:
        """The result for the LLM, and the use to report when the server ran the tool."""
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolResult(f"there is no tool named {call.name!r}", True), None
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            return ToolResult("the arguments were not valid JSON", True), None
        if not isinstance(arguments, dict):
            return ToolResult("the arguments must be a JSON object", True), None
        result = await run_tool(
            tool, arguments, client=self._http(), call_client_tool=call_client_tool
        )
        if result.is_error:
            logger.info("tool %s returned an error", tool.name)  # its text may be personal
        if tool.type != "webhook":
            return result, None
        return result, ToolUse(call.id, tool.name, arguments, result.text, result.is_error)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.settings.timeout_s))
        return self._client


async def _parse_events(lines: AsyncIterator[str], done: _Round) -> AsyncIterator[str]:
    """Text deltas of an SSE chat completion stream; tool-call pieces go into ``done``."""
    finished = False
    async for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments (":"), "event:" and "id:" fields
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
            if chunk.get("error"):
                raise LLMFailure("the server sent an error event")
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    done.text += delta["content"]
                    yield delta["content"]
                for piece in delta.get("tool_calls") or ():
                    _add_tool_piece(done, piece)
                finished = finished or choice.get("finish_reason") is not None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise LLMFailure(f"malformed stream ({type(exc).__name__})") from None
    if not finished:
        raise LLMFailure("the stream ended before the answer did")


def _add_tool_piece(done: _Round, piece: dict[str, Any]) -> None:
    call = done.tool_calls.setdefault(int(piece.get("index", len(done.tool_calls))), _ToolCall())
    call.id = piece.get("id") or call.id or f"call_{len(done.tool_calls)}"
    function = piece.get("function") or {}
    call.name = function.get("name") or call.name
    call.arguments += function.get("arguments") or ""


def _assistant_message(done: _Round) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": done.text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments or "{}"},
            }
            for call in done.tool_calls.values()
        ],
    }


async def _error_hint(response: httpx.Response) -> str:
    """A short, safe summary of an error body: the provider's message, if it has one."""
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > _MAX_ERROR_BODY:
            break
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""
    return f": {str(message)[:120]}" if message else ""


def _api_key(settings: LLMSettings) -> str | None:
    if settings.api_key_env is None:
        return None
    key = os.environ.get(settings.api_key_env)
    if not key:
        raise TTSConfigError(
            f"llm.api_key_env: the environment variable {settings.api_key_env} is not set"
        )
    register_secret(key)
    return key


__all__ = ["SPOKEN_STYLE", "LLMBrain", "LLMFailure"]
