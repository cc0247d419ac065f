"""Speech engines behind one interface, looked up by name.

``auto`` (the default) picks the best installed offline engine per request: ``kokoro``,
``piper`` or ``espeak``. Cloud engines (``openai``, ``elevenlabs``, ``openai-compatible``)
are imported only when asked for, so the offline default never loads httpx. A config naming
several engines gets a :class:`~tts_agents.engines.fallback.FallbackEngine` that tries them
in order.

``interleaved=True`` builds engines for a process that advances several streams in turn
(a server synthesis worker): they never pause one stream's synthesis for its consumer.
"""

from __future__ import annotations

from collections.abc import Callable

from tts_agents.config import TTSConfig
from tts_agents.engines.base import Capabilities, Engine, SynthesisOptions, VoiceRouter
from tts_agents.errors import EngineNotFoundError
from tts_agents.weights import ModelStore


def _espeak(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.espeak import EspeakEngine

    return EspeakEngine(window=None) if interleaved else EspeakEngine()


def _auto(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.auto import AutoEngine

    return AutoEngine(config)  # its espeak member never pauses, interleaved or not


def model_store(config: TTSConfig) -> ModelStore:
    """The models directory a configuration names."""
    return ModelStore(config.models_dir, mirror=config.models_mirror)


def _kokoro(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.kokoro import KokoroEngine

    return KokoroEngine.from_config(config)


def _piper(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.piper import PiperEngine

    return PiperEngine.from_config(config)


def _openai(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.openai import OpenAIEngine

    return OpenAIEngine(config)


def _openai_compatible(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.openai import OpenAICompatibleEngine

    return OpenAICompatibleEngine(config)


def _elevenlabs(config: TTSConfig, interleaved: bool = False) -> Engine:
    from tts_agents.engines.elevenlabs import ElevenLabsEngine

    return ElevenLabsEngine(config)


LOCAL_ENGINES = ("auto", "kokoro", "piper", "espeak")  # offline, on this machine's cores
ENGINES: dict[str, Callable[[TTSConfig, bool], Engine]] = {
    "auto": _auto,
    "kokoro": _kokoro,
    "piper": _piper,
    "espeak": _espeak,
    "openai": _openai,
    "elevenlabs": _elevenlabs,
    "openai-compatible": _openai_compatible,
}


def create_engine(
    name: str, config: TTSConfig | None = None, *, interleaved: bool = False
) -> Engine:
    """A new engine instance for ``name``, or a validation error listing the known ones."""
    return _factory(name)(config or TTSConfig(), interleaved)


def engine_for(config: TTSConfig, *, interleaved: bool = False) -> Engine:
    """The engine a configuration asks for: its chain's one engine, or a fallback chain.

    With nothing configured that is ``auto``, the best installed offline voice. Every name
    is checked before any engine is built; cloud engines open connections only on first
    use, so a chain that fails to build leaves nothing to close.
    """
    chain = config.engine_chain
    factories = [_factory(name) for name in chain]
    if len(factories) == 1:
        return factories[0](config, interleaved)
    from tts_agents.engines.fallback import FallbackEngine

    return FallbackEngine([factory(config, interleaved) for factory in factories])


def route(engine: Engine, voice: str, language: str | None) -> tuple[Engine, str]:
    """The engine that will speak ``voice`` and its voice id (a router picks per request)."""
    if isinstance(engine, VoiceRouter):
        return engine.route(voice, language)
    return engine, engine.resolve_voice(voice, language)


def _factory(name: str) -> Callable[[TTSConfig, bool], Engine]:
    factory = ENGINES.get(name.strip().lower())
    if factory is None:
        raise EngineNotFoundError(
            "engine", f"unknown engine {name!r}; available: {', '.join(sorted(ENGINES))}"
        )
    return factory


__all__ = [
    "ENGINES",
    "LOCAL_ENGINES",
    "Capabilities",
    "Engine",
    "SynthesisOptions",
    "VoiceRouter",
    "create_engine",
    "engine_for",
    "model_store",
    "route",
]
