"""The offline brain: built-in intents plus BM25 over the knowledge base, no network.

Answers are spoken, so it keeps them to one to three sentences of plain text, and says
honestly when it does not know.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tts_agents.agent.brain.base import (
    BrainEvent,
    ClientToolCaller,
    EndConversation,
    TextDelta,
    Turn,
)
from tts_agents.agent.brain.intents import (
    Intent,
    IntentMatch,
    match_intents,
    spoken_date,
    spoken_time,
    without_phrases,
)
from tts_agents.agent.brain.knowledge import Hit, KnowledgeBase
from tts_agents.agent.brain.spoken import sentences, spoken_words
from tts_agents.agent.config import AgentConfig, knowledge_texts

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Answer:
    """An offline answer: the text to say, and whether the conversation ends after it."""

    text: str
    end: bool = False


class OfflineBrain:
    """Intents and knowledge-base retrieval, no network; always answers something.

    An intent answers when the utterance is only that intent ("thanks", "what time is
    it"), or when the knowledge base has nothing confident to say. Otherwise the best
    passage answers if it covers at least :attr:`confidence` of the question; below that
    the brain says it does not know and names what it can talk about.
    """

    confidence = 0.5
    max_sentences = 3

    def __init__(
        self,
        agent: AgentConfig,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.agent = agent
        self.knowledge = KnowledgeBase.from_texts(knowledge_texts(agent))
        self._clock = clock or (lambda: datetime.now().astimezone())
        self._with_context: tuple[tuple[str, ...], KnowledgeBase] = ((), self.knowledge)
        self._helped = 0

    async def reply(
        self, history: Sequence[Turn], *, call_client_tool: ClientToolCaller | None = None
    ) -> AsyncIterator[BrainEvent]:
        """Yield the answer sentence by sentence, then EndConversation after a goodbye."""
        answer = self.answer(history)
        parts = sentences(answer.text) or [answer.text]
        for index, part in enumerate(parts):
            yield TextDelta(part if index == len(parts) - 1 else part + " ")
        if answer.end:
            yield EndConversation("the user said goodbye")

    async def aclose(self) -> None:
        """Nothing to release."""

    def answer(self, history: Sequence[Turn]) -> Answer:
        """The answer to the last user turn of ``history``, decided synchronously."""
        question = next((t.text for t in reversed(history) if t.role == "user"), "")
        if not spoken_words(question):
            return Answer("Sorry, I didn't catch that. Could you say it again?")
        matches = match_intents(question)
        hits = self.search(without_phrases(question, matches), history=history)
        confident = bool(hits) and hits[0].confidence >= self.confidence
        for match in matches:
            if match.alone or (not confident and match.intent is not Intent.GOODBYE):
                return self._intent_answer(match, history)
        if confident:
            greeting = any(m.intent is Intent.GREETING for m in matches)
            return Answer(("Hello! " if greeting else "") + self._shorten(hits[0].passage.text))
        return Answer(f"I don't know that one, but I can tell you about {self._topics()}.")

    def now(self) -> datetime:
        """The local time (the brain's clock, replaceable in tests)."""
        return self._clock()

    def search(self, query: str, *, history: Sequence[Turn] = (), limit: int = 3) -> list[Hit]:
        """Knowledge-base passages for ``query``; ``context`` turns count as knowledge."""
        return self._knowledge_for(history).search(query, limit)

    def _knowledge_for(self, history: Sequence[Turn]) -> KnowledgeBase:
        context = tuple(turn.text for turn in history if turn.role == "context")
        if context != self._with_context[0]:
            self._with_context = (context, self.knowledge.extended(context))
        return self._with_context[1]

    def _intent_answer(self, match: IntentMatch, history: Sequence[Turn]) -> Answer:
        intent = match.intent
        if intent is Intent.GOODBYE:
            return Answer("Goodbye, and thanks for calling!", end=True)
        if intent is Intent.REPEAT:
            said = [turn.text for turn in history[:-1] if turn.role == "agent" and turn.text]
            return Answer(said[-1] if said else "I haven't said anything yet. Ask me anything!")
        if intent is Intent.TIME:
            return Answer(spoken_time(self.now()))
        if intent is Intent.DATE:
            return Answer(spoken_date(self.now()))
        if intent is Intent.HELP:
            return Answer(self._help())
        if intent is Intent.THANKS:
            return Answer("You're welcome! Is there anything else?")
        if match.phrase.startswith("how are you"):
            return Answer("I'm doing well, thank you! What would you like to know?")
        return Answer("Hello! What would you like to know?")

    def _help(self) -> str:
        text = f"I can answer questions about {self._topics()}."
        examples = self.agent.examples
        if examples:
            text += f" For example, ask me: {examples[self._helped % len(examples)]}"
            self._helped += 1
        return text

    def _topics(self) -> str:
        topics = [_lower_first(topic) for topic in self.knowledge.topics[:5]]
        if not topics:
            return "the time and the date"
        if len(topics) <= 2:
            return " and ".join(topics)
        return ", ".join(topics[:-1]) + ", and " + topics[-1]

    def _shorten(self, text: str) -> str:
        return " ".join(sentences(text)[: self.max_sentences])


def _lower_first(text: str) -> str:
    """A heading mid-sentence: "voices and languages", but acronyms ("SSML") as they are."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


__all__ = ["Answer", "OfflineBrain"]
