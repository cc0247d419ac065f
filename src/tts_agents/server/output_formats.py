"""ElevenLabs ``output_format`` values (``codec_rate[_kbps]``) as our format specs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tts_agents.audio.formats import FormatSpec, get_format
from tts_agents.errors import UnsupportedFormatError

DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
_MP3 = [(22050, 32), (24000, 48)] + [(44100, kbps) for kbps in (32, 64, 96, 128, 192)]
_PCM_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)
_OPUS_KBPS = (32, 64, 96, 128, 192)


@dataclass(frozen=True)
class OutputFormat:
    """What to encode (with ElevenLabs' bit rate where it names one), and at what rate."""

    spec: FormatSpec
    sample_rate: int


def _table() -> dict[str, OutputFormat]:
    mp3, opus = get_format("mp3"), get_format("opus")
    formats = {
        f"mp3_{rate}_{kbps}": OutputFormat(replace(mp3, bit_rate=kbps * 1000), rate)
        for rate, kbps in _MP3
    }
    for codec in ("pcm", "wav"):
        formats |= {f"{codec}_{rate}": OutputFormat(get_format(codec), rate) for rate in _PCM_RATES}
    for codec in ("ulaw", "alaw"):
        formats[f"{codec}_8000"] = OutputFormat(get_format(codec), 8000)
    for kbps in _OPUS_KBPS:
        formats[f"opus_48000_{kbps}"] = OutputFormat(replace(opus, bit_rate=kbps * 1000), 48000)
    return formats


_FORMATS = _table()
# Every output_format the server speaks, and their Content-Types (the OpenAPI schema lists both).
OUTPUT_FORMATS: tuple[str, ...] = tuple(_FORMATS)
MEDIA_TYPES: tuple[str, ...] = tuple(dict.fromkeys(f.spec.mime for f in _FORMATS.values()))


def parse_output_format(value: str | None) -> OutputFormat:
    """Parse ``mp3_44100_128``, ``pcm_16000``, ``ulaw_8000``, ``opus_48000_64`` ...

    ``None`` (the parameter left out) is the default; anything else must be one of
    :data:`OUTPUT_FORMATS`.
    """
    found = _FORMATS.get(DEFAULT_OUTPUT_FORMAT if value is None else value)
    if found is None:
        # The value is not quoted back: errors may quote only numbers and enum values.
        raise UnsupportedFormatError(
            "output_format",
            "unsupported output_format; use e.g. mp3_44100_128, pcm_16000, ulaw_8000, "
            "opus_48000_64",
        )
    return found
