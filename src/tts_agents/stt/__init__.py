"""Speech-to-text for the voice agent: offline pocketsphinx adapted to the agent, or a cloud API.

:func:`build_recognizer_factory` does the slow part once per agent (building or loading the
domain language model, loading a decoder); each session then gets a cheap
:class:`Recognizer` from the factory.

* ``engine="pocketsphinx"`` (default, offline): decodes with a language model built from
  the agent's ``domain_sentences`` (knowledge base, example questions, intent phrases),
  cached on disk; without sentences, pocketsphinx's general English model.
* ``engine="openai"``: any OpenAI-compatible ``/audio/transcriptions`` endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from tts_agents.errors import TTSConfigError
from tts_agents.stt.base import Recognizer, RecognizerFactory, Transcript

ENGINES = ("pocketsphinx", "openai")


async def build_recognizer_factory(
    domain_sentences: Sequence[str],
    *,
    engine: str = "pocketsphinx",
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    cache_dir: Path | None = None,
) -> RecognizerFactory:
    """A factory of recognizers for one agent; the slow setup runs here, off the event loop.

    ``cache_dir`` holds built language models (default ``~/.cache/tts-agents/stt``).
    ``base_url``, ``model`` and ``api_key`` configure ``engine="openai"``.
    Raises :class:`~tts_agents.errors.TTSConfigError` for an unknown engine or a bad URL.
    """
    if engine == "openai":
        from tts_agents.stt.openai_stt import OpenAITranscriptionFactory

        return OpenAITranscriptionFactory(base_url=base_url, model=model, api_key=api_key)
    if engine != "pocketsphinx":
        raise TTSConfigError(f"unknown stt engine {engine!r}; choose one of {', '.join(ENGINES)}")
    from tts_agents.stt.domain_model import build_domain_model
    from tts_agents.stt.sphinx import PocketsphinxFactory

    sentences = [text for text in domain_sentences if text.strip()]
    domain = (
        await asyncio.to_thread(build_domain_model, sentences, cache_dir=cache_dir)
        if sentences
        else None
    )
    factory = PocketsphinxFactory(domain)
    await asyncio.to_thread(factory.prewarm)
    return factory


__all__ = ["ENGINES", "Recognizer", "RecognizerFactory", "Transcript", "build_recognizer_factory"]
