"""ElevenLabs ``output_format`` values (``codec_rate[_kbps]``) as our format specs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tts_agents.audio.formats import FormatSpec, get_format
from tts_agents.errors import UnsupportedFormatError

DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
_MP3 = {(22050, 32), (24000, 48)} | {(44100, kbps) for kbps in (32, 64, 96, 128, 192)}
_PCM_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)
_OPUS_KBPS = (32, 64, 96, 128, 192)


@dataclass(frozen=True)
class OutputFormat:
    """What to encode (with ElevenLabs' bit rate where it names one), and at what rate."""

    spec: FormatSpec
    sample_rate: int


def parse_output_format(value: str | None) -> OutputFormat:
    """Parse ``mp3_44100_128``, ``pcm_16000``, ``ulaw_8000``, ``opus_48000_64`` ..."""
    text = value or DEFAULT_OUTPUT_FORMAT
    codec, _, rest = text.partition("_")
    rate_text, _, kbps_text = rest.partition("_")
    if not rate_text.isdigit() or (kbps_text and not kbps_text.isdigit()):
        raise _unsupported(text)
    rate, kbps = int(rate_text), int(kbps_text or 0)
    if codec == "mp3" and (rate, kbps) in _MP3:
        return OutputFormat(replace(get_format("mp3"), bit_rate=kbps * 1000), rate)
    if codec == "opus" and rate == 48000 and kbps in _OPUS_KBPS:
        return OutputFormat(replace(get_format("opus"), bit_rate=kbps * 1000), rate)
    if codec in ("pcm", "wav") and rate in _PCM_RATES and not kbps:
        return OutputFormat(get_format(codec), rate)
    if codec in ("ulaw", "alaw") and rate == 8000 and not kbps:
        return OutputFormat(get_format(codec), rate)
    raise _unsupported(text)


def _unsupported(text: str) -> UnsupportedFormatError:
    return UnsupportedFormatError(
        "output_format",
        f"unsupported output_format {text!r}; use e.g. mp3_44100_128, pcm_16000, ulaw_8000, "
        "opus_48000_64",
    )
