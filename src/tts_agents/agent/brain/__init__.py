"""The brain: from a conversation's history to the agent's next words.

Two brains exist: :class:`~.offline.OfflineBrain` (the default: built-in intents plus BM25
over the knowledge base, no network) and :class:`~.llm.LLMBrain` (any OpenAI-compatible
chat API with tools, which falls back to the offline brain whenever the LLM fails).
:func:`create_brain` picks one from the agent's configuration. The pieces: :mod:`.base`
(turns, events, the protocol), :mod:`.intents`, :mod:`.knowledge` and :mod:`.spoken`
(text as it is said), :mod:`.tools` (webhook and client tools).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tts_agents.agent.brain.base import (
    Brain,
    BrainEvent,
    ClientToolCaller,
    EndConversation,
    TextDelta,
    ToolUse,
    Turn,
)

if TYPE_CHECKING:
    import httpx

    from tts_agents.agent.config import AgentConfig


def create_brain(agent: AgentConfig, *, http_client: httpx.AsyncClient | None = None) -> Brain:
    """The brain ``agent`` asks for: its LLM when it names one, else the offline brain.

    ``http_client`` (for the LLM and webhook tools) stays the caller's to close; without
    one the LLM brain makes its own, closed by :meth:`Brain.aclose`.
    """
    from tts_agents.agent.brain.offline import OfflineBrain

    offline = OfflineBrain(agent)
    if agent.llm is None:
        return offline
    from tts_agents.agent.brain.llm import LLMBrain

    return LLMBrain(agent, offline=offline, http_client=http_client)


__all__ = [
    "Brain",
    "BrainEvent",
    "ClientToolCaller",
    "EndConversation",
    "TextDelta",
    "ToolUse",
    "Turn",
    "create_brain",
]
