"""The output formats TTS Agents produces, and how each is made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tts_agents.errors import TTSValidationError, UnsupportedFormatError

_LAME_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
# Formats that take any rate still get a sane one: below 8 kHz speech is unintelligible, and
# above 192 kHz is a typo (the same bounds TTSRequest and TTSConfig put on sample_rate).
MIN_RATE, MAX_RATE = 8000, 192_000


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """How to make one output format.

    ``container``/``codec`` are PyAV names; both are None for the formats written by hand
    (raw PCM and WAV). ``sample_rates`` is None when any rate from ``MIN_RATE`` to
    ``MAX_RATE`` works; ``default_rate`` is used when the caller asks for none (None: keep
    the engine's rate).
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
        return self.check_rate(requested)

    def check_rate(self, rate: int) -> int:
        """``rate`` if this format can be encoded at it, else an error naming the allowed ones."""
        if self.sample_rates is None:
            possible = MIN_RATE <= rate <= MAX_RATE
        else:
            possible = rate in self.sample_rates
        if not possible:
            raise TTSValidationError(
                "sample_rate",
                f"{rate} Hz is not possible for {self.name} (use {self.allowed_rates})",
            )
        return rate

    @property
    def allowed_rates(self) -> str:
        """The sample rates this format takes, for people: ``8000 to 192000`` or a list."""
        if self.sample_rates is None:
            return f"{MIN_RATE} to {MAX_RATE}"
        return ", ".join(str(rate) for rate in self.sample_rates)

    def _nearest(self, source: int) -> int:
        if self.sample_rates is None:
            return min(max(source, MIN_RATE), MAX_RATE)
        if source in self.sample_rates:
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


# AAC in an ``.m4a`` file goes into MP4 (the "ipod" muxer: M4A brand), which players can
# seek in; it needs a seekable output, so streams and stdout keep ADTS (``aac`` above).
M4A = FormatSpec("aac", "m4a", "audio/mp4", "ipod", "aac", 64_000, _AAC_RATES)


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
    if suffix == "m4a":
        return M4A
    aliases = {"ogg": "opus", "raw": "pcm", "wave": "wav"}
    return FORMATS.get(aliases.get(suffix, suffix))


def choose_format(
    requested: str | FormatSpec | None, path: str | Path | None, default: str
) -> FormatSpec:
    """The format to write: ``requested``, else what ``path``'s extension implies, else ``default``.

    ``path`` None or ``-`` is a stream. A requested format must agree with the file's
    extension (``wav`` into ``a.mp3`` is a mistake, not a wish), and the extension picks the
    container: AAC for an ``.m4a`` file is MP4, not ADTS.
    """
    if isinstance(requested, FormatSpec):
        return requested
    target = None if path is None or str(path) == "-" else Path(path)
    if target is None:
        return get_format(requested or default)
    implied = format_from_path(target)
    if requested is None:
        if implied is None and target.suffix:
            raise TTSValidationError(
                "format",
                f"cannot tell the format from {target.suffix!r}; pass one of {', '.join(FORMATS)}",
            )
        return implied or get_format(default)
    spec = get_format(requested)
    if implied is not None and implied.name != spec.name:
        raise TTSValidationError(
            "format",
            f"{spec.name!r} contradicts the file name {target.name!r}, which means "
            f"{implied.name}; change one of them",
        )
    return implied or spec
