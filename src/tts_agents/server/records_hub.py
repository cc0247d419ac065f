"""The conversation store as the server uses it: opened only when needed, purged on a timer.

With default settings no agent keeps anything, and no database is created: the history
routes then answer with an empty list. When an agent keeps transcripts or audio, the store
opens at start-up (a missing master key was refused before serving, in ``run.py``); rows a
killed server left ``in-progress`` are marked failed, and what is past its retention is
purged then and every ``purge_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tts_agents.errors import TTSConfigError
from tts_agents.records import database
from tts_agents.records.crypto import MasterKey
from tts_agents.records.model import AuditEntry, Status
from tts_agents.records.recorder import ConversationRecorder, utc_now
from tts_agents.records.repository import Repository
from tts_agents.records.shapes import InitiationFailure, webhook_payload
from tts_agents.records.webhooks import WebhookSender, read_secret

logger = logging.getLogger(__name__)

PURGE_INTERVAL_S = 3600.0


def keepers(agents: Sequence[Any]) -> list[str]:
    """The ids of the agents whose privacy settings may keep something."""
    return [agent.id for agent in agents if agent.privacy.stores_anything]


def check_records_config(agents: Sequence[Any], environ: Mapping[str, str] | None = None) -> None:
    """Refuse (one line) a keeping agent without a master key, or a missing webhook secret."""
    env = os.environ if environ is None else environ
    keeping = keepers(agents)
    if keeping and MasterKey.from_env(env) is None:
        raise TTSConfigError(
            f"agent {keeping[0]!r} keeps conversations (privacy): set TTS_AGENTS_MASTER_KEY "
            "(32 random bytes, base64) or TTS_AGENTS_MASTER_KEY_FILE (mode 0600)"
        )
    for agent in agents:
        for webhook in agent.webhooks:
            read_secret(webhook, env)


def conversation_ref(conversation_id: str) -> str:
    """How the audit log names a conversation: a digest, not the id itself."""
    return "sha256:" + hashlib.sha256(conversation_id.encode()).hexdigest()[:32]


class RecordsHub:
    """The repository (or None when nothing is kept), the agents' webhooks, the recorders."""

    def __init__(
        self,
        repository: Repository | None,
        *,
        senders: dict[str, WebhookSender] | None = None,
        agent_names: dict[str, str] | None = None,
        purge_interval: float = PURGE_INTERVAL_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Use :meth:`open` to build one from the server's agents."""
        self.repository = repository
        self._senders = senders or {}
        self.agent_names = agent_names or {}  # id -> name, for the history shapes
        self._purge_interval = purge_interval
        self._clock = clock
        self._purger: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, agents: Sequence[Any], **options: Any) -> RecordsHub:
        """Open the store when an agent keeps records or one exists; recover and purge."""
        options.setdefault("agent_names", {agent.id: agent.name for agent in agents})
        options.setdefault(
            "senders",
            {agent.id: WebhookSender(agent.webhooks) for agent in agents if agent.webhooks},
        )
        if not keepers(agents) and not database.store_exists():
            return cls(None, **options)
        repository = await Repository.open()
        hub = cls(repository, **options)
        failed = await repository.fail_open()
        if failed:
            logger.warning("%d conversation(s) were open when the server stopped", failed)
        hub._purger = asyncio.create_task(hub._purge_forever())
        return hub

    def recorder(self, privacy: Any, agent_id: str, **options: Any) -> ConversationRecorder:
        """A recorder for one conversation of an agent with ``privacy`` settings."""
        if agent_id in self._senders:
            options.setdefault("on_finished", self._post_call(agent_id))
        return ConversationRecorder(self.repository, privacy, agent_id, **options)

    def _post_call(self, agent_id: str) -> Any:
        sender = self._senders[agent_id]

        async def finished(conversation_id: str, status: Status, began: bool, kept: bool) -> None:
            if not began:  # refused or gone before it started: nothing personal to send
                failure = InitiationFailure(agent_id, conversation_id)
                sender.send(webhook_payload("call_initiation_failure", failure, self._clock()))
                return
            record = None
            if kept and self.repository is not None:  # only what the user let us keep
                record = await self.repository.get(conversation_id)
            if record is not None and record.turns:
                payload = webhook_payload(
                    "post_call_transcription",
                    record,
                    self._clock(),
                    agent_name=self.agent_names.get(agent_id),
                )
                sender.send(payload)

        return finished

    async def audit(self, actor: str, action: Any, conversation_id: str | None = None) -> None:
        """Append to the audit log who did what (never the key itself).

        The conversation is named by :func:`conversation_ref`, so the log outlives a deleted
        conversation without keeping its id: hash an id to look it up.
        """
        if self.repository is not None:
            reference = None if conversation_id is None else conversation_ref(conversation_id)
            entry = AuditEntry(self._clock(), actor, action, reference)
            await self.repository.record_audit(entry)

    async def aclose(self) -> None:
        """Stop purging, let queued webhooks go out, close the store."""
        for sender in self._senders.values():
            await sender.aclose()
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
        if self.repository is not None:
            await self.repository.close()

    async def _purge_forever(self) -> None:
        while self.repository is not None:
            try:
                report = await self.repository.purge()
                if report.conversations or report.transcripts or report.audio:
                    logger.info(
                        "purged %d conversation(s), %d transcript(s), %d audio track(s)",
                        report.conversations,
                        report.transcripts,
                        report.audio,
                    )
            except Exception as exc:  # the next round tries again
                logger.error("purging conversation records failed (%s)", type(exc).__name__)
            await asyncio.sleep(self._purge_interval)


__all__ = [
    "PURGE_INTERVAL_S",
    "RecordsHub",
    "check_records_config",
    "conversation_ref",
    "keepers",
]
