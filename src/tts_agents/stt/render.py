"""A transcription in the shapes clients ask for: OpenAI's formats and ElevenLabs' words.

``text``, ``json``, ``verbose_json``, ``srt`` and ``vtt`` follow OpenAI's
``/v1/audio/transcriptions``; :func:`elevenlabs_json` follows ElevenLabs' speech-to-text
response (words and the spaces between them, each timed, with a log probability).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, get_args

from tts_agents.stt.transcription import Transcription
from tts_agents.text.subtitles import Cue, format_srt_cue, format_vtt_cue, format_vtt_header

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
RESPONSE_FORMATS: tuple[str, ...] = get_args(ResponseFormat)
Granularity = Literal["word", "segment"]
MEDIA_TYPES = {
    "json": "application/json",
    "verbose_json": "application/json",
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}
# Names OpenAI's verbose_json reports, and ElevenLabs' ISO 639-3 codes, for common languages.
_NAMES = {
    "en": ("english", "eng"), "es": ("spanish", "spa"), "fr": ("french", "fra"),
    "de": ("german", "deu"), "it": ("italian", "ita"), "pt": ("portuguese", "por"),
    "nl": ("dutch", "nld"), "ja": ("japanese", "jpn"), "zh": ("chinese", "zho"),
    "hi": ("hindi", "hin"), "ru": ("russian", "rus"), "ko": ("korean", "kor"),
    "ar": ("arabic", "ara"), "pl": ("polish", "pol"), "tr": ("turkish", "tur"),
    "sv": ("swedish", "swe"), "uk": ("ukrainian", "ukr"), "cs": ("czech", "ces"),
}  # fmt: skip
_ISO3 = {iso3: code for code, (_, iso3) in _NAMES.items()}


def language_name(code: str) -> str:
    """OpenAI's name for a language code ("en" -> "english"); the code when unknown."""
    return _NAMES.get(code, (code, code))[0]


def iso3(code: str) -> str:
    """ElevenLabs' ISO 639-3 code for a Whisper language code."""
    return _NAMES.get(code, (code, code))[1]


def from_iso3(code: str) -> str:
    """A Whisper (ISO 639-1) code for an ElevenLabs language code of either kind."""
    return _ISO3.get(code.lower(), code.lower())


def render(
    result: Transcription, response_format: str, granularities: Sequence[str] = ("segment",)
) -> str | dict[str, Any]:
    """``result`` as OpenAI sends it: a dict for the JSON formats, text for the others."""
    if response_format == "text":
        return result.text + "\n"
    if response_format == "srt":
        return "".join(format_srt_cue(cue) for cue in _cues(result))
    if response_format == "vtt":
        return format_vtt_header() + "".join(format_vtt_cue(cue) for cue in _cues(result))
    usage = {"type": "duration", "seconds": math.ceil(result.duration)}
    if response_format == "json":
        return {"text": result.text, "usage": usage}
    body: dict[str, Any] = {
        "task": result.task,
        "language": language_name(result.language),
        "duration": result.duration,
        "text": result.text,
    }
    if "segment" in granularities:
        body["segments"] = [
            {key: value for key, value in vars(segment).items() if key != "words"}
            for segment in result.segments
        ]
    if "word" in granularities:
        body["words"] = [
            {"word": w.word.strip(), "start": w.start, "end": w.end} for w in result.words
        ]
    body["usage"] = usage
    return body


def elevenlabs_json(result: Transcription, *, with_words: bool = True) -> dict[str, Any]:
    """ElevenLabs' ``SpeechToTextChunkResponseModel``: text, language and timed words."""
    words: list[dict[str, Any]] = []
    if with_words:
        for index, word in enumerate(result.words):
            if index:
                previous = result.words[index - 1]
                words.append(_el_word(" ", previous.end, word.start, "spacing", 0.0))
            logprob = math.log(max(word.probability, 1e-6))
            words.append(_el_word(word.word.strip(), word.start, word.end, "word", logprob))
    return {
        "language_code": iso3(result.language),
        "language_probability": result.language_probability,
        "text": result.text,
        "words": words,
        "audio_duration_secs": result.duration,
    }


def _el_word(text: str, start: float, end: float, kind: str, logprob: float) -> dict[str, Any]:
    return {"text": text, "start": start, "end": max(start, end), "type": kind, "logprob": logprob}


def _cues(result: Transcription) -> list[Cue]:
    return [
        Cue(index, segment.start, segment.end, segment.text)
        for index, segment in enumerate(result.segments, start=1)
    ]


__all__ = [
    "MEDIA_TYPES",
    "ResponseFormat",
    "RESPONSE_FORMATS",
    "elevenlabs_json",
    "from_iso3",
    "iso3",
    "language_name",
    "render",
]
