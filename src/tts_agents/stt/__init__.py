"""Speech to text: live recognizers for conversations, Whisper for whole recordings, VAD.

:func:`build_recognizer_factory` does the slow part once per agent (loading a model,
building a domain language model); each session then gets a cheap :class:`Recognizer`.

* ``engine="whisper"`` (offline): faster-whisper with the ``base`` model (or ``tiny.en``);
  see :mod:`.whisper`.
* ``engine="pocketsphinx"`` (offline, light): decodes with a language model built from
  the agent's ``domain_sentences`` (knowledge base, example questions, intent phrases),
  cached on disk; without sentences, pocketsphinx's general English model.
* ``engine="auto"`` (default): Whisper when its model is installed, else pocketsphinx.
* ``engine="openai"``: any OpenAI-compatible ``/audio/transcriptions`` endpoint.

Whole recordings go through :mod:`.transcription` (the library's ``transcribe``, the CLI
and the server's transcription routes); turn detection lives in :mod:`.silero` (Silero VAD)
and :mod:`.vad` (WebRTC).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from tts_agents.errors import TTSConfigError
from tts_agents.stt.base import Recognizer, RecognizerFactory, Transcript
from tts_agents.stt.vad import TurnDetector
from tts_agents.weights import ModelStore

ENGINES = ("auto", "whisper", "pocketsphinx", "openai")


async def build_recognizer_factory(
    domain_sentences: Sequence[str],
    *,
    engine: str = "pocketsphinx",
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    cache_dir: Path | None = None,
    language: str = "en",
    store: ModelStore | None = None,
) -> RecognizerFactory:
    """A factory of recognizers for one agent; the slow setup runs here, off the event loop.

    ``cache_dir`` holds built language models (default ``~/.cache/tts-agents/stt``).
    ``base_url``, ``model`` and ``api_key`` configure ``engine="openai"``; ``model`` also
    names the Whisper model, found in ``store`` (default: the user's models directory).
    Raises :class:`~tts_agents.errors.TTSConfigError` for an unknown engine or a bad URL,
    :class:`~tts_agents.errors.ModelError` when ``engine="whisper"`` has no model.
    """
    store = store or ModelStore()
    if engine == "auto":
        from tts_agents.stt.whisper_model import whisper_installed

        english = language.split("-")[0].lower() == "en"
        engine = "whisper" if whisper_installed(store) or not english else "pocketsphinx"
    if engine == "whisper":
        return await _whisper_factory(model, language, store)
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


def create_turn_detector(kind: str = "auto", *, end_silence_ms: int) -> TurnDetector:
    """A turn detector: Silero VAD (``silero``; ``auto`` when installed) or WebRTC's.

    Silero found every one of six questions as one turn, clean and with noise at 10 dB SNR,
    where WebRTC's VAD split two or three of them and started a turn on music
    (``python bench/bench_vad.py``); its onsets come ~30-60 ms later.
    """
    from tts_agents.stt.silero import SileroTurnDetector, silero_path

    if kind == "silero" or (kind == "auto" and silero_path() is not None):
        return SileroTurnDetector(end_silence_ms=end_silence_ms)  # type: ignore[return-value]
    return TurnDetector(end_silence_ms=end_silence_ms)


async def _whisper_factory(
    model: str | None, language: str, store: ModelStore
) -> RecognizerFactory:
    from tts_agents.stt.whisper import WhisperFactory
    from tts_agents.stt.whisper_model import load_whisper

    loaded = await asyncio.to_thread(load_whisper, model, store)
    factory = WhisperFactory(loaded, language=language.split("-")[0].lower())
    await asyncio.to_thread(factory.prewarm)
    return factory


__all__ = [
    "ENGINES",
    "Recognizer",
    "RecognizerFactory",
    "Transcript",
    "build_recognizer_factory",
    "create_turn_detector",
]
