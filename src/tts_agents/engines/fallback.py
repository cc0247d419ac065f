"""A chain of engines tried in order: ``TTSConfig(engine="elevenlabs,openai,espeak")``.

When a member fails before producing audio (a permanent error such as a 401, or a
retryable one whose retries ran out, or an open circuit), the next member is tried. The
hand-over is logged and written to a :class:`FallbackReport`: which engine served and which
failed, and why, in words safe to show. Once audio has been produced a failure is raised,
since two voices cannot be spliced into one stream.

Reading the outcome: pass ``report=FallbackReport()`` to :meth:`FallbackEngine.synthesize`
(or ``synthesize_encoded``) and read it afterwards; one report reused across a request's
segments also skips members that already failed in it. Without one, the call's report is
``engine.last_report`` (fine when requests do not overlap). ``report.as_metadata()`` is made
for ``TTSResponse.metadata``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from tts_agents.engines.base import Capabilities, Engine, SynthesisOptions
from tts_agents.errors import (
    TTSAgentError,
    TTSAPIError,
    TTSConfigError,
    TTSUnavailableError,
    TTSValidationError,
)
from tts_agents.redact import get_logger
from tts_agents.types import AudioChunk, VoiceInfo

logger = get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EngineFailure:
    """Why one engine of the chain was passed over (message safe to show)."""

    engine: str
    code: str
    message: str
    status_code: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for metadata and JSON."""
        return {
            "engine": self.engine,
            "code": self.code,
            "message": self.message,
            "status_code": self.status_code,
        }


@dataclass
class FallbackReport:
    """What a fallback chain did for one request: who served, who failed."""

    chain: tuple[str, ...] = ()
    served: list[str] = field(default_factory=list)
    failures: list[EngineFailure] = field(default_factory=list)

    @property
    def engine(self) -> str | None:
        """The engine that produced the audio (the first, if segments differed)."""
        return self.served[0] if self.served else None

    def failed(self, name: str) -> bool:
        """Whether ``name`` already failed in this request."""
        return any(failure.engine == name for failure in self.failures)

    def as_metadata(self) -> dict[str, Any]:
        """``{"engine": ..., "fallback": {...}}`` for ``TTSResponse.metadata``."""
        return {
            "engine": self.engine,
            "fallback": {
                "chain": list(self.chain),
                "served": list(self.served),
                "failed": [failure.as_dict() for failure in self.failures],
            },
        }

    def record_failure(self, name: str, error: TTSAgentError) -> None:
        """Note that ``name`` failed with ``error``."""
        status = getattr(error, "status_code", None)
        self.failures.append(EngineFailure(name, error.code, error.message, status))

    def record_served(self, name: str) -> None:
        """Note that ``name`` produced audio."""
        if name not in self.served:
            self.served.append(name)


class FallbackEngine:
    """Several engines behind one: the first that works serves the request.

    Capabilities are what every member can honour (speed range intersected, formats passed
    through only if all members can), so whichever member serves, the pipeline's
    assumptions hold.
    """

    def __init__(self, engines: Sequence[Engine]) -> None:
        if not engines:
            raise TTSConfigError("a fallback chain needs at least one engine")
        self.engines = tuple(engines)
        self.name = ",".join(engine.name for engine in self.engines)
        self.capabilities = combine_capabilities([engine.capabilities for engine in self.engines])
        self.last_report: FallbackReport | None = None

    async def voices(self) -> list[VoiceInfo]:
        """Every member's voices; a member that cannot list them is skipped."""
        voices: list[VoiceInfo] = []
        for engine in self.engines:
            try:
                voices.extend(await engine.voices())
            except TTSAPIError as exc:
                logger.warning("%s cannot list voices: %s", engine.name, exc.message)
        return voices

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """``voice`` itself if any member knows it; each member maps it when it serves."""
        errors: list[TTSValidationError] = []
        for engine in self.engines:
            try:
                engine.resolve_voice(voice, language)
            except TTSValidationError as exc:
                errors.append(exc)
            else:
                return voice
        raise errors[0]

    def synthesize(
        self, text: str, options: SynthesisOptions, report: FallbackReport | None = None
    ) -> AsyncIterator[AudioChunk]:
        """PCM from the first member that works (see :class:`FallbackReport`)."""
        return self._run(options, report, lambda engine, opts: engine.synthesize(text, opts))

    def synthesize_encoded(
        self, text: str, options: SynthesisOptions, fmt: str, report: FallbackReport | None = None
    ) -> AsyncIterator[bytes]:
        """The provider's own bytes in ``fmt`` from the first member that works."""

        def start(engine: Engine, opts: SynthesisOptions) -> AsyncIterator[bytes]:
            return engine.synthesize_encoded(text, opts, fmt)  # type: ignore[attr-defined,no-any-return]

        return self._run(options, report, start)

    async def _run(
        self,
        options: SynthesisOptions,
        report: FallbackReport | None,
        start: Callable[[Engine, SynthesisOptions], AsyncIterator[T]],
    ) -> AsyncIterator[T]:
        report = report if report is not None else FallbackReport(self._chain())
        report.chain = report.chain or self._chain()
        self.last_report = report
        last: TTSAgentError | None = None
        for engine in self.engines:
            if report.failed(engine.name):
                continue
            produced = False
            try:
                member = replace(
                    options, voice=engine.resolve_voice(options.voice, options.language)
                )
                stream = cast(AsyncGenerator[T, None], start(engine, member))
                async with aclosing(stream) as items:
                    async for item in items:
                        produced = True
                        report.record_served(engine.name)
                        yield item
            except (TTSAPIError, TTSValidationError) as exc:
                report.record_failure(engine.name, exc)
                if produced:
                    raise
                last = exc
                self._log_hand_over(engine, exc)
                continue
            if produced:
                return
            last = TTSAPIError(f"{engine.name} produced no audio")
            report.record_failure(engine.name, last)
            self._log_hand_over(engine, last)
        raise _exhausted(report, last) from last

    def _log_hand_over(self, engine: Engine, exc: TTSAgentError) -> None:
        later = [e.name for e in self.engines[self.engines.index(engine) + 1 :]]
        nxt = f"falling back to {later[0]}" if later else "no engine left"
        logger.warning("engine %s failed: %s; %s", engine.name, exc.message, nxt)

    def _chain(self) -> tuple[str, ...]:
        return tuple(engine.name for engine in self.engines)

    async def aclose(self) -> None:
        """Close every member; calling it twice is harmless."""
        for engine in self.engines:
            await engine.aclose()


def combine_capabilities(members: Sequence[Capabilities]) -> Capabilities:
    """What every member can do: the first's rate, the intersection of everything else."""
    low = max(caps.speed_range[0] for caps in members)
    high = min(caps.speed_range[1] for caps in members)
    if low > high:
        low = high = 1.0
    formats = [f for f in members[0].native_formats if all(f in c.native_formats for c in members)]
    return Capabilities(
        sample_rate=members[0].sample_rate,
        streaming_output=all(caps.streaming_output for caps in members),
        word_timestamps=all(caps.word_timestamps for caps in members),
        speed_range=(low, high),
        pitch=all(caps.pitch for caps in members),
        volume=all(caps.volume for caps in members),
        local=all(caps.local for caps in members),
        native_formats=tuple(formats),
        segments=members[0].segments,
    )


def _exhausted(report: FallbackReport, last: TTSAgentError | None) -> TTSAPIError:
    reasons = "; ".join(f"{f.engine}: {f.message}" for f in report.failures) or "none tried"
    message = f"every engine failed ({reasons})"
    if last is not None and not last.retryable:
        return TTSAPIError(message, status_code=getattr(last, "status_code", None))
    return TTSUnavailableError(message)


__all__ = ["EngineFailure", "FallbackEngine", "FallbackReport", "combine_capabilities"]
