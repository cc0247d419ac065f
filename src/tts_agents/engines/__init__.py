"""Speech engines behind one interface, looked up by name."""

from __future__ import annotations

from collections.abc import Callable

from tts_agents.config import TTSConfig
from tts_agents.engines.base import Capabilities, Engine, SynthesisOptions
from tts_agents.errors import EngineNotFoundError


def _espeak(config: TTSConfig) -> Engine:
    from tts_agents.engines.espeak import EspeakEngine

    return EspeakEngine()


ENGINES: dict[str, Callable[[TTSConfig], Engine]] = {"espeak": _espeak}


def create_engine(name: str, config: TTSConfig | None = None) -> Engine:
    """A new engine instance for ``name``, or a validation error listing the known ones."""
    factory = ENGINES.get(name.strip().lower())
    if factory is None:
        raise EngineNotFoundError(
            "engine", f"unknown engine {name!r}; available: {', '.join(sorted(ENGINES))}"
        )
    return factory(config or TTSConfig())


def engine_for(config: TTSConfig) -> Engine:
    """The engine a configuration asks for (``config.engine``, else offline espeak)."""
    return create_engine(config.engine_name, config)


__all__ = ["ENGINES", "Capabilities", "Engine", "SynthesisOptions", "create_engine", "engine_for"]
