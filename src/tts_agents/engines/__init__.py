"""Speech engines behind one interface, looked up by name.

Cloud engines (``openai``, ``elevenlabs``, ``openai-compatible``) are imported only when
asked for, so the offline default never loads httpx. A config naming several engines gets a
:class:`~tts_agents.engines.fallback.FallbackEngine` that tries them in order.
"""

from __future__ import annotations

from collections.abc import Callable

from tts_agents.config import TTSConfig
from tts_agents.engines.base import Capabilities, Engine, SynthesisOptions
from tts_agents.errors import EngineNotFoundError


def _espeak(config: TTSConfig) -> Engine:
    from tts_agents.engines.espeak import EspeakEngine

    return EspeakEngine()


def _openai(config: TTSConfig) -> Engine:
    from tts_agents.engines.openai import OpenAIEngine

    return OpenAIEngine(config)


def _openai_compatible(config: TTSConfig) -> Engine:
    from tts_agents.engines.openai import OpenAICompatibleEngine

    return OpenAICompatibleEngine(config)


def _elevenlabs(config: TTSConfig) -> Engine:
    from tts_agents.engines.elevenlabs import ElevenLabsEngine

    return ElevenLabsEngine(config)


ENGINES: dict[str, Callable[[TTSConfig], Engine]] = {
    "espeak": _espeak,
    "openai": _openai,
    "elevenlabs": _elevenlabs,
    "openai-compatible": _openai_compatible,
}


def create_engine(name: str, config: TTSConfig | None = None) -> Engine:
    """A new engine instance for ``name``, or a validation error listing the known ones."""
    return _factory(name)(config or TTSConfig())


def engine_for(config: TTSConfig) -> Engine:
    """The engine a configuration asks for: its chain's one engine, or a fallback chain.

    With nothing configured that is offline espeak. Every name is checked before any engine
    is built; cloud engines open connections only on first use, so a chain that fails to
    build leaves nothing to close.
    """
    chain = config.engine_chain
    factories = [_factory(name) for name in chain]
    if len(factories) == 1:
        return factories[0](config)
    from tts_agents.engines.fallback import FallbackEngine

    return FallbackEngine([factory(config) for factory in factories])


def _factory(name: str) -> Callable[[TTSConfig], Engine]:
    factory = ENGINES.get(name.strip().lower())
    if factory is None:
        raise EngineNotFoundError(
            "engine", f"unknown engine {name!r}; available: {', '.join(sorted(ENGINES))}"
        )
    return factory


__all__ = ["ENGINES", "Capabilities", "Engine", "SynthesisOptions", "create_engine", "engine_for"]
