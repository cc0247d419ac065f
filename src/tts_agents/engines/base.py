"""The engine interface: what every speech engine offers, local or cloud.

An engine only turns text into PCM. Validation, speed beyond what the engine does itself,
resampling and encoding live in :mod:`tts_agents.synthesis`, so an engine stays small.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tts_agents.text.segment import DEFAULT_SIZES, SegmentSizes
from tts_agents.types import AudioChunk, VoiceInfo


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an engine can do, declared instead of guessed with ``hasattr``.

    ``speed_range`` is the part of the 0.25-4.0 speed range the engine applies natively;
    shared code time-stretches the remainder. ``local`` engines burn this machine's CPU
    (batch runs them in a process pool); remote ones wait on a network.
    ``native_formats`` names the formats (from :mod:`tts_agents.audio.formats`) the engine's
    ``synthesize_encoded(text, options, fmt)`` can stream as the provider's own bytes, so
    they need no decoding and re-encoding; local engines have none. ``prosody_markup``
    engines read ``<speak>``/``<prosody>`` markup when ``SynthesisOptions.markup`` is set,
    so a sentence whose prosody changes mid-way is still spoken as one sentence.
    ``segments`` sizes the pieces the engine is fed: a short first piece for fast first
    audio, then pieces sized for the engine's throughput (see
    :class:`~tts_agents.text.segment.SegmentSizes`).
    """

    sample_rate: int
    streaming_output: bool = True
    word_timestamps: bool = False
    prosody_markup: bool = False
    speed_range: tuple[float, float] = (1.0, 1.0)
    pitch: bool = False
    volume: bool = False
    local: bool = True
    native_formats: tuple[str, ...] = ()
    segments: SegmentSizes = DEFAULT_SIZES


@dataclass(frozen=True, slots=True)
class SynthesisOptions:
    """A frozen per-request snapshot, so changing defaults never touches a stream in flight.

    ``voice`` is an id the engine's :meth:`Engine.resolve_voice` returned. ``speed`` is
    already within the engine's ``speed_range``; ``pitch`` and ``volume`` are multipliers
    of the voice's own (1.0 = unchanged). ``model`` and ``instructions`` go to engines that
    have them (cloud models, OpenAI's voice instructions); others ignore them.
    """

    voice: str
    speed: float = 1.0
    pitch: float = 1.0
    volume: float = 1.0
    language: str | None = None
    markup: bool = False
    model: str | None = None
    instructions: str | None = None


@runtime_checkable
class Engine(Protocol):
    """A speech engine."""

    name: str
    capabilities: Capabilities

    async def voices(self) -> list[VoiceInfo]:
        """Every voice this engine offers."""
        ...

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """Map a voice name, alias or OpenAI voice to an engine voice id.

        Raises :class:`~tts_agents.errors.VoiceNotFoundError` for an unknown voice.
        """
        ...

    def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Yield PCM chunks (s16le mono at ``capabilities.sample_rate``) for ``text``."""
        ...

    async def aclose(self) -> None:
        """Release resources; calling it twice is harmless."""
        ...


@runtime_checkable
class VoiceRouter(Protocol):
    """An engine that hands each request to one of several engines (``auto``)."""

    def route(self, voice: str, language: str | None = None) -> tuple[Engine, str]:
        """The engine that speaks ``voice`` in ``language``, and its voice id there."""
        ...
