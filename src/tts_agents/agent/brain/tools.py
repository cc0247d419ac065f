"""Tools an LLM may call: webhooks on allowed hosts, and tools the client runs.

A webhook is an HTTP request the *server* makes on the LLM's behalf, so it is fenced in:
the URL's host must be in the tool's ``allowed_hosts`` (checked when the agent loads and
again right before each request, after ``{placeholders}`` in the URL are filled), HTTPS
is required except on loopback, redirects are refused rather than followed, the call has
a timeout, and the response is read up to ``max_response_bytes``. Whatever happens, the
LLM gets a short text back (the result, or what went wrong) and the conversation goes on.

Client tools run in the app on the other end of the conversation, through the session's
:class:`~tts_agents.agent.brain.ClientToolCaller`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from tts_agents.redact import get_logger, register_secret
from tts_agents.urls import is_loopback_host

if TYPE_CHECKING:
    from tts_agents.agent.brain.base import ClientToolCaller
    from tts_agents.agent.config import ToolSettings

logger = get_logger("tts_agents.agent.brain.tools")

#: The most text of one tool result handed back to the LLM.
MAX_RESULT_CHARS = 4000
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gave: the text for the LLM, and whether it is an error."""

    text: str
    is_error: bool = False


def tool_schema(tool: ToolSettings) -> dict[str, Any]:
    """The tool as an OpenAI chat completions ``tools`` entry."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


async def run_tool(
    tool: ToolSettings,
    arguments: dict[str, Any],
    *,
    client: httpx.AsyncClient,
    call_client_tool: ClientToolCaller | None,
) -> ToolResult:
    """Run ``tool`` with the LLM's ``arguments``; failures become error results."""
    if tool.type == "webhook":
        return await call_webhook(tool, arguments, client)
    if call_client_tool is None:
        return ToolResult(f"the tool {tool.name} needs the client app, which is not here", True)
    try:
        # The caller enforces the timeout; the margin only guards against one that doesn't.
        text, is_error = await asyncio.wait_for(
            call_client_tool(tool.name, arguments, timeout=tool.timeout_s), tool.timeout_s + 1.0
        )
    except asyncio.TimeoutError:
        return ToolResult(f"the tool {tool.name} did not answer within {tool.timeout_s:g} s", True)
    except Exception as exc:  # the client went away, or its handler broke: tell the LLM
        logger.warning("client tool %s failed: %s", tool.name, type(exc).__name__)
        return ToolResult(f"the tool {tool.name} failed ({type(exc).__name__})", True)
    return ToolResult(_clip(str(text)), bool(is_error))


async def call_webhook(
    tool: ToolSettings, arguments: dict[str, Any], client: httpx.AsyncClient
) -> ToolResult:
    """Call a webhook tool: path placeholders from ``arguments``, the rest as query or JSON."""
    url, rest = fill_url(tool.url or "", arguments)
    problem = host_problem(url, tool.allowed_hosts)
    if problem:
        logger.warning("tool %s refused: %s", tool.name, problem)
        return ToolResult(f"refused: {problem}", True)
    headers = {"accept": "application/json, text/plain;q=0.9"}
    if tool.api_key_env:
        key = os.environ.get(tool.api_key_env)
        if not key:
            return ToolResult(f"the tool {tool.name} is not configured (no key)", True)
        register_secret(key)
        headers["authorization"] = f"Bearer {key}"
    options: dict[str, Any] = {"json": rest}
    if tool.method == "GET":
        options = {"params": {k: _query_value(v) for k, v in rest.items()}}
    try:
        return await asyncio.wait_for(_request(tool, url, headers, options, client), tool.timeout_s)
    except (asyncio.TimeoutError, httpx.TimeoutException):
        return ToolResult(f"the tool {tool.name} timed out after {tool.timeout_s:g} s", True)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return ToolResult(f"the tool {tool.name} failed: {type(exc).__name__}", True)


def fill_url(template: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL with ``{name}`` placeholders filled, and the arguments left over.

    Values are percent-encoded, so an argument can never change the host or the path.
    """
    rest = dict(arguments)

    def fill(match: re.Match[str]) -> str:
        return quote(str(rest.pop(match.group(1), "")), safe="")

    return _PLACEHOLDER.sub(fill, template), rest


def host_problem(url: str, allowed_hosts: tuple[str, ...]) -> str | None:
    """Why ``url`` may not be called, or None: host allowed, HTTPS unless loopback."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "the tool's url is not a valid URL"
    if parts.username or parts.password:
        return "the tool's url must not carry credentials"
    if host not in allowed_hosts:
        return f"host {host!r} is not in the tool's allowed_hosts"
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host)):
        return None
    return f"https is required for {host!r}"


async def _request(
    tool: ToolSettings,
    url: str,
    headers: dict[str, str],
    options: dict[str, Any],
    client: httpx.AsyncClient,
) -> ToolResult:
    timeout = httpx.Timeout(tool.timeout_s)
    async with client.stream(
        tool.method, url, headers=headers, timeout=timeout, follow_redirects=False, **options
    ) as response:
        if response.is_redirect:
            where = urlsplit(response.headers.get("location", "")).hostname or "elsewhere"
            logger.warning("tool %s: redirect to %s refused", tool.name, where)
            return ToolResult(f"refused: the tool's server redirected to {where!r}", True)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > tool.max_response_bytes:
                return ToolResult(
                    f"the tool's response is larger than {tool.max_response_bytes} bytes", True
                )
    text = _as_text(bytes(body))
    if response.status_code >= 400:
        return ToolResult(f"the tool failed with HTTP {response.status_code}: {text[:200]}", True)
    return ToolResult(text)


def _query_value(value: Any) -> str | int | float | bool:
    """A query parameter; nested values (lists, objects) go as JSON text."""
    if isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, separators=(",", ":"))


def _as_text(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        pass  # not JSON: the text as it came
    return _clip(text)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_RESULT_CHARS else text[:MAX_RESULT_CHARS] + " [cut]"


__all__ = [
    "MAX_RESULT_CHARS",
    "ToolResult",
    "call_webhook",
    "fill_url",
    "host_problem",
    "run_tool",
    "tool_schema",
]
