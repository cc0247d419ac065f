"""Transcribing a whole recording with Whisper: options in, segments and timed words out.

This is the blocking core shared by the CLI, the library facade and the server's worker
processes; it takes decoded 16 kHz float32 samples (see :mod:`tts_agents.audio.decode`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from tts_agents.errors import TTSValidationError
from tts_agents.stt.whisper_model import model_name

Task = Literal["transcribe", "translate"]
RATE = 16_000
MAX_PROMPT_CHARS = 1_000  # Whisper keeps ~220 tokens of prompt; more only costs time


@dataclass(frozen=True)
class TranscribeOptions:
    """What to transcribe and how; ``language=None`` detects it."""

    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    temperature: float = 0.0
    task: Task = "transcribe"
    word_timestamps: bool = False
    beam_size: int = 5

    def __post_init__(self) -> None:
        model_name(self.model)  # refuses an unknown model before any audio is decoded
        if not 0.0 <= self.temperature <= 1.0:
            raise TTSValidationError("temperature", "must be between 0 and 1")
        if self.prompt is not None and len(self.prompt) > MAX_PROMPT_CHARS:
            raise TTSValidationError("prompt", f"may hold at most {MAX_PROMPT_CHARS} characters")
        if self.language is not None and not _is_language(self.language):
            raise TTSValidationError("language", "must be an ISO-639-1 code such as 'en'")


@dataclass(frozen=True)
class Word:
    """A recognized word (with its leading space, as Whisper writes it) and its times."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    """A stretch of speech as Whisper decoded it (OpenAI's verbose_json fields)."""

    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)


@dataclass(frozen=True)
class Transcription:
    """A whole recording's transcript."""

    text: str
    language: str
    language_probability: float
    duration: float
    task: Task
    segments: list[Segment]

    @property
    def words(self) -> list[Word]:
        """Every timed word, in order (empty unless word timestamps were asked for)."""
        return [word for segment in self.segments for word in segment.words]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON, or to cross a process boundary)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcription:
        """The inverse of :meth:`to_dict`."""
        segments = [
            Segment(**{**s, "words": [Word(**w) for w in s["words"]]}) for s in data["segments"]
        ]
        return cls(**{**data, "segments": segments})


def transcribe_samples(
    model: Any,
    samples: np.ndarray,
    options: TranscribeOptions,
    *,
    on_segment: Callable[[Segment], None] | None = None,
) -> Transcription:
    """Run a loaded ``WhisperModel`` over ``samples``; ``on_segment`` sees each as decoded."""
    raw_segments, info = model.transcribe(
        samples,
        language=options.language,
        task=options.task,
        beam_size=options.beam_size,
        temperature=options.temperature if options.temperature > 0 else [0.0, 0.2, 0.4, 0.6],
        initial_prompt=options.prompt or None,
        word_timestamps=options.word_timestamps,
        condition_on_previous_text=False,  # a misheard segment does not poison the next
        vad_filter=len(samples) > 30 * RATE,  # long files: skip silences Whisper invents in
    )
    segments = []
    for segment in _segments(raw_segments):
        segments.append(segment)
        if on_segment is not None:
            on_segment(segment)
    return Transcription(
        text=" ".join(s.text for s in segments).strip(),
        language=info.language,
        language_probability=round(float(info.language_probability), 4),
        duration=round(len(samples) / RATE, 3),
        task=options.task,
        segments=segments,
    )


def _segments(raw: Any) -> Iterator[Segment]:
    for index, s in enumerate(raw):
        text = s.text.strip()
        if not text:
            continue
        yield Segment(
            id=index,
            seek=int(s.seek),
            start=round(float(s.start), 3),
            end=round(float(s.end), 3),
            text=text,
            tokens=[int(t) for t in s.tokens],
            temperature=float(s.temperature or 0.0),
            avg_logprob=float(s.avg_logprob),
            compression_ratio=float(s.compression_ratio),
            no_speech_prob=float(s.no_speech_prob),
            words=[
                Word(w.word, round(float(w.start), 3), round(float(w.end), 3), float(w.probability))
                for w in (s.words or ())
            ],
        )


def _is_language(code: str) -> bool:
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError:  # checked again when the model runs
        return re.fullmatch(r"[a-z]{2,3}", code) is not None
    return code in _LANGUAGE_CODES


__all__ = ["Segment", "TranscribeOptions", "Transcription", "Word", "transcribe_samples"]
