"""What every conversation with one agent shares: its config, STT, brain and voice.

The slow parts (the STT language model built from the agent's knowledge base, the brain's
index, the TTS engine) are made once when the server starts, then each session only
creates a cheap per-utterance recognizer and asks the shared brain for replies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from tts_agents.agent.brain import Brain, create_brain
from tts_agents.agent.config import AgentConfig, domain_sentences
from tts_agents.agent.protocol import SAMPLE_RATE
from tts_agents.agent.session.turn_rules import BargeInPolicy
from tts_agents.config import TTSConfig
from tts_agents.engines import model_store
from tts_agents.speech import TTSAgent
from tts_agents.stt import RecognizerFactory, build_recognizer_factory
from tts_agents.synthesis import SpeechStream


@dataclass
class AgentRuntime:
    """One agent, ready for conversations."""

    config: AgentConfig
    recognizers: RecognizerFactory
    brain: Brain
    tts: TTSAgent
    barge_in: BargeInPolicy

    def speak(self, text: str) -> SpeechStream:
        """``text`` in the agent's voice, as 16 kHz PCM."""
        voice = self.config.voice
        return self.tts.prepare(
            text,
            voice=voice.name,
            format="pcm",
            sample_rate=SAMPLE_RATE,
            speed=voice.speed,
            language=self.config.language,
            max_length=-1,  # the brain's answers are the agent's own text
            ssml=False,
        )

    async def aclose(self) -> None:
        """Release the brain and the TTS engine."""
        try:
            await self.brain.aclose()
        finally:
            await self.tts.close()


def _min_barge_in(recognizers: RecognizerFactory) -> float:
    """Whisper hears one short word reliably, so "stop" alone may interrupt; others need more."""
    from tts_agents.stt.whisper import WhisperFactory

    return 0.25 if isinstance(recognizers, WhisperFactory) else BargeInPolicy.min_speech


async def build_runtime(
    config: AgentConfig,
    *,
    http_client: httpx.AsyncClient | None = None,
    stt_cache_dir: Path | None = None,
) -> AgentRuntime:
    """Build ``config``'s STT model, brain and voice (slow: call once at start)."""
    stt = config.stt
    api_key = os.environ.get(stt.api_key_env) if stt.api_key_env else None
    tts_config = TTSConfig(engine=config.voice.engine)
    recognizers = await build_recognizer_factory(
        domain_sentences(config),  # holds the backchannel words, so they are recognized
        engine=stt.engine,
        base_url=stt.base_url,
        model=stt.model,
        api_key=api_key,
        cache_dir=stt_cache_dir,
        language=config.language,
        store=model_store(tts_config),
    )
    tts = TTSAgent(tts_config)
    # Load it now: a bad engine fails at start, and a neural model is warm for the first answer.
    start = getattr(tts.engine, "start", None)
    if start is not None:
        await start()
    return AgentRuntime(
        config=config,
        recognizers=recognizers,
        brain=create_brain(config, http_client=http_client),
        tts=tts,
        barge_in=BargeInPolicy.from_phrases(
            config.turn.backchannel, min_speech=_min_barge_in(recognizers)
        ),
    )
