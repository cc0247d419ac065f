"""Value types shared by every layer: voice, format and model names, PCM chunks, word marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class _StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` is its value on every Python version."""

    def __str__(self) -> str:
        return str(self.value)


class Voice(_StrEnum):
    """OpenAI voice names; every engine maps them to one of its own voices."""

    ALLOY = "alloy"
    ASH = "ash"
    BALLAD = "ballad"
    CORAL = "coral"
    ECHO = "echo"
    FABLE = "fable"
    ONYX = "onyx"
    NOVA = "nova"
    SAGE = "sage"
    SHIMMER = "shimmer"
    VERSE = "verse"
    MARIN = "marin"
    CEDAR = "cedar"


class AudioFormat(_StrEnum):
    """Output formats, named as in the OpenAI speech API's ``response_format``."""

    MP3 = "mp3"
    OPUS = "opus"
    AAC = "aac"
    FLAC = "flac"
    WAV = "wav"
    PCM = "pcm"
    ULAW = "ulaw"  # G.711 mu-law, 8 kHz, headerless (telephony)
    ALAW = "alaw"  # G.711 A-law, 8 kHz, headerless


class TTSModel(_StrEnum):
    """Model names accepted for compatibility; the engine decides what they mean."""

    TTS_1 = "tts-1"
    TTS_1_HD = "tts-1-hd"
    GPT_4O_MINI_TTS = "gpt-4o-mini-tts"


@dataclass(frozen=True, slots=True)
class WordMark:
    """Where a word of the input sits in the text and in the audio.

    ``text_start``/``text_end`` are character offsets into the text the caller passed;
    ``sample`` is the sample index, from the start of the stream, where the word begins;
    ``word`` is the word as spoken (filled in by the pipeline; engines may leave it empty).
    """

    text_start: int
    text_end: int
    sample: int
    word: str = ""


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A piece of mono signed 16-bit little-endian PCM, with the words that start in it."""

    pcm: bytes
    sample_rate: int
    marks: tuple[WordMark, ...] = ()

    @property
    def samples(self) -> int:
        """Number of samples in the chunk."""
        return len(self.pcm) // 2

    @property
    def duration(self) -> float:
        """Duration in seconds."""
        return self.samples / self.sample_rate


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    """A voice an engine offers."""

    id: str
    name: str
    engine: str
    languages: tuple[str, ...] = ()
    gender: str | None = None
    description: str | None = None
    aliases: tuple[str, ...] = field(default=())
