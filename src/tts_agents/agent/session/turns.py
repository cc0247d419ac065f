"""The agent's side of turn-taking: its answers, barge-in, and the conversation history.

Each answer gets the next ``event_id`` and runs as one task (text -> speech -> paced
audio). When the user starts speaking while the agent talks, sending stops at once (the
pacer is paused); the transcript then decides (:class:`~.turn_rules.BargeInPolicy`):
a backchannel, an echo of the agent's own words or speech too short to tell lets the
agent go on; anything else cancels the answer, sends ``interruption`` with its event_id
and cuts the answer, in the history and on the client (``agent_response_correction``), to
what the user heard. With ``turn.interruptions: false`` speech over the agent is ignored.

An answer interrupted before any of it was heard leaves no trace in the history, so the
user's next words join their previous turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from tts_agents.agent import protocol
from tts_agents.agent.brain import BrainEvent, EndConversation, TextDelta, ToolUse, Turn
from tts_agents.agent.brain.spoken import spoken_words
from tts_agents.agent.listen.listener import SpeechOnset, Utterance
from tts_agents.agent.session.answer import SpokenAnswer
from tts_agents.agent.session.calls import ClientToolCalls
from tts_agents.agent.session.limits import SessionLimits
from tts_agents.agent.session.metrics import MetricsSink, TurnMetrics
from tts_agents.agent.session.pacing import AudioPacer
from tts_agents.agent.session.runtime import AgentRuntime
from tts_agents.agent.session.turn_rules import BargeIn
from tts_agents.errors import TTSAgentError

logger = logging.getLogger("tts_agents.agent")

Send = Callable[[dict[str, Any]], Awaitable[None]]


class AgentTurns:
    """Answers the user and yields the floor when cut off; keeps the history."""

    def __init__(
        self,
        runtime: AgentRuntime,
        *,
        send: Send,
        tools: ClientToolCalls,
        limits: SessionLimits,
        on_goodbye: Callable[[], None],
        on_metrics: MetricsSink | None = None,
        on_tool_use: Callable[[ToolUse], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.text_only = False
        self.history: list[Turn] = []
        self._send = send
        self._tools = tools
        self._limits = limits
        self._on_goodbye = on_goodbye
        self._on_metrics = on_metrics
        self._on_tool_use = on_tool_use
        self._clock = clock
        self._pacer = AudioPacer(limits.pace_lead, clock)
        self._event_id = 0
        self._answer: SpokenAnswer | None = None
        self._task: asyncio.Task[None] | None = None
        self._answer_turn: Turn | None = None  # the answer's entry in the history
        self._barge: SpeechOnset | None = None  # the onset that paused the agent
        self._ignore_speech = False
        self._goodbye = False

    @property
    def speaking(self) -> bool:
        """True while an answer runs or the client still plays its audio."""
        running = self._task is not None and not self._task.done()
        return running or self._pacer.playing

    @property
    def next_event_id(self) -> int:
        """The event_id the next answer (and the user turn before it) will carry."""
        return self._event_id + 1

    def say(self, text: str) -> None:
        """Speak a fixed text (the first message)."""
        self._start(_fixed(text), TurnMetrics())

    def remember(self, turn: Turn) -> None:
        """Add to the history, which keeps the latest ``max_history_turns`` turns."""
        self.history.append(turn)
        del self.history[: -self._limits.max_history_turns]

    def on_onset(self, onset: SpeechOnset) -> None:
        """The user started speaking: over the agent, stop its audio now."""
        self._ignore_speech = False
        if not self.speaking:
            return
        if not self.runtime.config.turn.interruptions:
            self._ignore_speech = True
            return
        self._barge = onset
        self._pacer.pause()

    async def on_partial(self, text: str) -> None:
        """Show the client what the user seems to be saying."""
        if not self._ignore_speech:
            await self._send(protocol.tentative_user_transcript(text, self.next_event_id))

    async def check_barge_in(self, heard: str, speech: float) -> None:
        """Interrupt now if ``heard`` is clearly the user taking the turn.

        ``heard`` is a partial transcript of at least ``speech`` seconds of speech.
        """
        if (
            self._barge is not None
            and self._decide(heard, speech, final=False) is BargeIn.INTERRUPT
        ):
            await self._interrupt()

    async def on_utterance(self, utterance: Utterance) -> None:
        """The user's turn ended: answer it (unless it was a backchannel)."""
        if self._ignore_speech:
            self._ignore_speech = False
            return
        if self._barge is not None:
            if self._decide(utterance.text, utterance.speech, final=True) is BargeIn.IGNORE:
                self._barge = None
                self._pacer.resume()
                return
        if not utterance.text:
            return
        if self.speaking or self._barge is not None:
            await self._interrupt()
        metrics = TurnMetrics(stt_final=max(0.0, utterance.transcribed - utterance.ended))
        await self._send(protocol.user_transcript(utterance.text, self.next_event_id))
        self._reply(utterance.text, metrics, speech_end=utterance.ended)

    async def on_typed(self, text: str) -> None:
        """A typed user message: it always takes the turn."""
        if self.speaking:
            await self._interrupt()
        self._reply(text, TurnMetrics(), speech_end=None)

    async def aclose(self) -> None:
        """Stop the answer in progress."""
        await self._stop()

    def _decide(self, heard: str, speech: float, *, final: bool) -> BargeIn:
        said = spoken_words(self._answer.text) if self._answer is not None else ""
        return self.runtime.barge_in.decide(heard, said, speech, final=final)

    def _reply(self, text: str, metrics: TurnMetrics, *, speech_end: float | None) -> None:
        last = self.history[-1] if self.history else None
        if last is not None and last.role == "user":  # the answer between was never heard
            self.history[-1] = Turn(role="user", text=f"{last.text} {text}")
        else:
            self.remember(Turn(role="user", text=text))
        events = self.runtime.brain.reply(tuple(self.history), call_client_tool=self._tools)
        self._start(self._brain_text(events), metrics, speech_end=speech_end)

    async def _brain_text(self, events: AsyncIterator[BrainEvent]) -> AsyncIterator[str]:
        async with aclosing(events) as replies:
            async for event in replies:
                if isinstance(event, TextDelta):
                    yield event.text
                elif isinstance(event, EndConversation):
                    self._goodbye = True
                elif isinstance(event, ToolUse) and self._on_tool_use is not None:
                    self._on_tool_use(event)

    def _start(
        self, texts: AsyncIterator[str], metrics: TurnMetrics, *, speech_end: float | None = None
    ) -> None:
        self._event_id += 1
        self._goodbye = False  # only this answer's own goodbye ends the call
        self._answer = SpokenAnswer(
            self._event_id,
            send=self._send,
            pacer=self._pacer,
            voice=None if self.text_only else self.runtime.speak,
            metrics=metrics,
            speech_end=speech_end,
            on_first_audio=self._report_answer,
            clock=self._clock,
        )
        self._answer_turn = None
        self._task = asyncio.create_task(self._run(self._answer, texts))

    async def _run(self, answer: SpokenAnswer, texts: AsyncIterator[str]) -> None:
        try:
            await answer.speak(texts)
        except Exception as error:  # the brain or the voice failed: say so, go on listening
            logger.warning("answer failed", exc_info=error)
            if isinstance(error, TTSAgentError):
                await self._send(protocol.error(error.code, error.message))
            else:
                await self._send(protocol.error("answer_failed", "the agent could not answer"))
        if answer.text:
            self._answer_turn = Turn(role="agent", text=answer.text)
            self.remember(self._answer_turn)
        if not answer.reported:
            await self._report_answer(answer)
        if self._goodbye:
            await asyncio.sleep(self._pacer.buffered)  # let the goodbye play out
            self._on_goodbye()

    async def _interrupt(self) -> None:
        """Cut the current answer at what the user heard and tell the client."""
        answer, onset = self._answer, self._barge
        self._barge = None
        await self._stop()
        heard = answer.heard_text(self._pacer.buffered) if answer is not None else ""
        self._pacer.drop()
        if answer is None:
            return
        stop = None
        if onset is not None and answer.last_audio_at is not None:
            stop = max(0.0, answer.last_audio_at - onset.at)
        await self._send(protocol.interruption(answer.event_id))
        await self._correct(answer, heard)
        if not answer.reported:
            answer.metrics.interruption_stop = stop
            await self._report_answer(answer)
        elif stop is not None:  # the rest went out with the first audio
            await self._report(answer.event_id, TurnMetrics(interruption_stop=stop))

    async def _correct(self, answer: SpokenAnswer, heard: str) -> None:
        """The history and the client's copy of the answer, cut to ``heard``."""
        if answer.response_sent and heard != answer.text:
            await self._send(
                protocol.agent_response_correction(answer.text, heard, answer.event_id)
            )
        elif not answer.response_sent and heard:
            await self._send(protocol.agent_response(heard, answer.event_id))
        turn, self._answer_turn = self._answer_turn, None
        place = next((i for i, t in enumerate(self.history) if t is turn), None)
        if place is not None:
            del self.history[place]
        if heard:
            self.history.insert(len(self.history) if place is None else place, Turn("agent", heard))

    async def _stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    async def _report_answer(self, answer: SpokenAnswer) -> None:
        """An answer's latencies, sent once: with its first audio, or when it ends."""
        answer.reported = True
        await self._report(answer.event_id, answer.metrics)

    async def _report(self, event_id: int, metrics: TurnMetrics) -> None:
        if not metrics.measured:
            return
        await self._send(protocol.turn_metrics(event_id, metrics.as_milliseconds()))
        if self._on_metrics is not None:
            self._on_metrics(metrics)


async def _fixed(text: str) -> AsyncIterator[str]:
    yield text
