"""What every brain shares: the conversation's turns, the answer's events, the protocol.

A brain's :meth:`Brain.reply` streams :class:`TextDelta` pieces (and, after a goodbye,
one :class:`EndConversation`), so speech can start on the first sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Turn:
    """One turn of the conversation; ``context`` turns are facts the client sent."""

    role: Literal["user", "agent", "context", "tool"]
    text: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of the agent's answer, in order; the pieces joined are the whole answer."""

    text: str


@dataclass(frozen=True)
class EndConversation:
    """The agent ends the conversation (after the goodbye text was yielded)."""

    reason: str


@dataclass(frozen=True)
class ToolUse:
    """A tool the brain ran itself (a webhook) while answering, and what came back.

    Client tools are not reported here: the client ran them and already knows.
    """

    tool_call_id: str
    name: str
    params: dict[str, Any]
    result: str
    is_error: bool


BrainEvent = TextDelta | EndConversation | ToolUse


class ClientToolCaller(Protocol):
    """Runs a client tool in the client and returns ``(result, is_error)``."""

    async def __call__(
        self, name: str, parameters: dict[str, Any], *, timeout: float
    ) -> tuple[str, bool]:
        """Ask the client to run tool ``name``; give up after ``timeout`` seconds."""
        ...


class Brain(Protocol):
    """Turns a history ending with the user's turn into the agent's answer, streamed."""

    def reply(
        self, history: Sequence[Turn], *, call_client_tool: ClientToolCaller | None = None
    ) -> AsyncIterator[BrainEvent]:
        """Stream the answer to ``history``; closing the iterator stops all work."""
        ...

    async def aclose(self) -> None:
        """Release connections the brain opened itself."""
        ...


__all__ = [
    "Brain",
    "BrainEvent",
    "ClientToolCaller",
    "EndConversation",
    "TextDelta",
    "ToolUse",
    "Turn",
]
