"""``auto``, the default engine: the best installed voice, chosen per request.

Kokoro when its model is installed, then Piper, then espeak-ng (always there, instant). A
voice name that belongs to one engine picks it (``af_heart`` or a blend of Kokoro voices ->
kokoro; ``joe`` or a ``.onnx`` path -> piper; ``en-us+f3``, ``de`` -> espeak). Names of no
engine in particular (OpenAI's ``alloy``, ElevenLabs' premade voice ids) go to the best
installed engine that speaks the requested language: German with Kokoro installed is spoken
by espeak-ng, since Kokoro has no German. A model whose weights fail verification at start
is skipped with one warning and the next engine serves (a damaged voice pack is refused
when a request first uses it).

:meth:`AutoEngine.route` hands the pipeline the chosen engine itself, so the stream runs on
its true capabilities (rate, speed range, segment sizes). Inside a fallback chain, ``auto``
is used like any engine: its voice ids carry the engine's name (``kokoro:af_heart``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import TypeVar

from tts_agents.config import TTSConfig
from tts_agents.engines import model_store
from tts_agents.engines.base import Engine, SynthesisOptions
from tts_agents.engines.espeak import EspeakEngine
from tts_agents.engines.kokoro import KokoroEngine
from tts_agents.engines.kokoro.voices import is_kokoro_voice, speaks_language
from tts_agents.engines.piper import PiperEngine, is_piper_voice
from tts_agents.engines.voice_names import (
    ELEVENLABS_VOICES,
    OPENAI_VOICES,
    generic_voice,
    spoken_as,
)
from tts_agents.errors import MissingExtraError, ModelError
from tts_agents.redact import get_logger
from tts_agents.types import AudioChunk, VoiceInfo
from tts_agents.weights import CATALOGUE, install_hint

logger = get_logger(__name__)

HINT = (
    f"tip: for a natural voice, {install_hint(CATALOGUE['kokoro'])} (espeak-ng speaks until then)"
)
E = TypeVar("E")


class AutoEngine:
    """The best installed offline engine for each request."""

    name = "auto"

    def __init__(self, config: TTSConfig, *, espeak: EspeakEngine | None = None) -> None:
        """Find the installed neural models (verifying their weights); espeak is always there.

        ``espeak`` defaults to one that never pauses its thread for a slow consumer: Kokoro
        and Piper phonemize on that same thread, so a paused espeak stream would hold them.
        """
        self.config = config
        store = model_store(config)
        self.espeak = espeak or EspeakEngine(window=None)
        self.kokoro: Engine | None = None
        self.piper: PiperEngine | None = None
        if store.status(CATALOGUE["kokoro"]).installed:
            self.kokoro = _optional(lambda: KokoroEngine.from_config(config), "kokoro")
        if store.status(CATALOGUE["piper-joe"]).installed:
            self.piper = _optional(lambda: PiperEngine.from_config(config), "piper")
        self._neural = self.kokoro is not None or self.piper is not None
        best = self.kokoro or self.piper or self.espeak
        self.capabilities = best.capabilities

    @property
    def neural(self) -> bool:
        """Whether a natural (neural) voice is installed."""
        return self._neural

    @property
    def members(self) -> dict[str, Engine]:
        """The engines available, best first."""
        found = {"kokoro": self.kokoro, "piper": self.piper, "espeak": self.espeak}
        return {name: engine for name, engine in found.items() if engine is not None}

    async def start(self) -> None:
        """Load the best engine's model now, so the first request does not wait for it."""
        best = self.kokoro or self.piper
        start = getattr(best, "start", None)
        if start is not None:
            await start()

    def route(self, voice: str, language: str | None = None) -> tuple[Engine, str]:
        """The engine that speaks ``voice`` (in ``language``), and its voice id."""
        wanted = voice.strip()
        if is_kokoro_voice(wanted):
            if self.kokoro is None:
                raise ModelError(
                    f"voice {wanted!r} is a Kokoro voice: {install_hint(CATALOGUE['kokoro'])}"
                )
            return self.kokoro, self.kokoro.resolve_voice(wanted, language)
        if is_piper_voice(wanted):
            piper = self._piper_for(wanted)
            return piper, piper.resolve_voice(wanted, language)
        if generic_voice(wanted) is not None:
            engine = self._best_for(language)
            return engine, engine.resolve_voice(wanted, language)
        return self.espeak, self.espeak.resolve_voice(wanted, language)

    def _piper_for(self, voice: str) -> PiperEngine:
        """The Piper engine, made on first use for a voice file when no catalogue voice is."""
        if self.piper is None and voice.lower().endswith(".onnx"):
            self.piper = PiperEngine.from_config(self.config)
        if self.piper is None:
            raise ModelError(
                f"voice {voice!r} is a Piper voice: {install_hint(CATALOGUE['piper-joe'])}"
            )
        return self.piper

    def _best_for(self, language: str | None) -> Engine:
        if self.kokoro is not None and speaks_language(language):
            return self.kokoro
        if self.piper is not None and self.piper.speaks(language):
            return self.piper
        return self.espeak

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """``engine:voice`` for use inside a fallback chain."""
        engine, resolved = self.route(voice, language)
        return f"{engine.name}:{resolved}"

    async def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Speak with the engine named in the voice id (see :meth:`resolve_voice`)."""
        name, _, voice = options.voice.partition(":")
        engine = self.members.get(name) or self.espeak
        async for chunk in engine.synthesize(text, replace(options, voice=voice)):
            yield chunk

    async def voices(self) -> list[VoiceInfo]:
        """Generic names first (with what they map to here), then every engine's voices."""
        listings = {name: await engine.voices() for name, engine in self.members.items()}
        voices = []
        for voice in (*OPENAI_VOICES.values(), *ELEVENLABS_VOICES.values()):
            engine, resolved = self.route(voice.id)
            own = next((v for v in listings[engine.name] if v.id == voice.id), None)
            languages = ("en-gb",) if voice.british else ("en-us",)
            voices.append(spoken_as(voice, engine.name, resolved, languages, own))
        for listing in listings.values():
            voices += [v for v in listing if generic_voice(v.id) is None]
        return voices

    async def aclose(self) -> None:
        """Close every member."""
        for engine in self.members.values():
            await engine.aclose()


def _optional(build: Callable[[], E], name: str) -> E | None:
    """The engine ``build()`` makes, or None (with one warning) when it cannot be used."""
    try:
        return build()
    except (MissingExtraError, ModelError) as exc:
        logger.warning("skipping %s: %s", name, exc.message)
    return None


__all__ = ["HINT", "AutoEngine"]
