"""The output formats TTS Agents produces, and how each is made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tts_agents.errors import TTSValidationError, UnsupportedFormatError

_LAME_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """How to make one output format.

    ``container``/``codec`` are PyAV names; both are None for the formats written by hand
    (raw PCM and WAV). ``sample_rates`` is None when any rate works; ``default_rate`` is
    used when the caller asks for none (None: keep the engine's rate).
    """

    name: str
    extension: str
    mime: str
    container: str | None = None
    codec: str | None = None
    bit_rate: int | None = None
    sample_rates: tuple[int, ...] | None = None
    default_rate: int | None = None
    codec_options: tuple[tuple[str, str], ...] = ()

    def output_rate(self, requested: int | None, source: int) -> int:
        """The sample rate to encode at, or a validation error naming the allowed ones."""
        if requested is None:
            return self.default_rate or self._nearest(source)
        if self.sample_rates is not None and requested not in self.sample_rates:
            allowed = ", ".join(str(rate) for rate in self.sample_rates)
            raise TTSValidationError(
                "sample_rate", f"{requested} Hz is not possible for {self.name} (use {allowed})"
            )
        return requested

    def _nearest(self, source: int) -> int:
        if self.sample_rates is None or source in self.sample_rates:
            return source
        return min(self.sample_rates, key=lambda rate: (abs(rate - source), -rate))


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        # Encoder effort tuned for speech (bench: 4x faster mp3, 2x faster opus; the
        # pocketsphinx round trips in the tests guard intelligibility).
        FormatSpec(
            "mp3",
            "mp3",
            "audio/mpeg",
            "mp3",
            "libmp3lame",
            64_000,
            _LAME_RATES,
            codec_options=(("compression_level", "7"),),
        ),
        FormatSpec(
            "opus",
            "opus",
            "audio/opus",
            "ogg",
            "libopus",
            32_000,
            (8000, 12000, 16000, 24000, 48000),
            48000,
            codec_options=(("compression_level", "5"),),
        ),
        FormatSpec("aac", "aac", "audio/aac", "adts", "aac", 64_000, _AAC_RATES),
        FormatSpec("flac", "flac", "audio/flac", "flac", "flac"),
        FormatSpec("wav", "wav", "audio/wav"),
        FormatSpec("pcm", "pcm", "audio/pcm"),
        # G.711 for telephony: headerless 8-bit companded samples at 8 kHz.
        FormatSpec("ulaw", "ulaw", "audio/basic", "mulaw", "pcm_mulaw", None, (8000,)),
        FormatSpec("alaw", "alaw", "audio/x-alaw-basic", "alaw", "pcm_alaw", None, (8000,)),
    )
}


def get_format(name: object) -> FormatSpec:
    """The spec for a format name (``mp3``, ``AudioFormat.WAV`` ...), else a validation error."""
    key = str(name).strip().lower()
    spec = FORMATS.get(key)
    if spec is None:
        raise UnsupportedFormatError(
            "format", f"unknown format {str(name)!r}; available: {', '.join(FORMATS)}"
        )
    return spec


def format_from_path(path: str | Path) -> FormatSpec | None:
    """The format a file name's extension implies, or None when it implies none."""
    suffix = Path(path).suffix.lower().lstrip(".")
    aliases = {"ogg": "opus", "m4a": "aac", "raw": "pcm", "wave": "wav"}
    return FORMATS.get(aliases.get(suffix, suffix))
