"""Kokoro's 54 voices, the languages it speaks, and voice blends.

A voice id's first letter is its language, the second its gender (``af_heart``: American
English, female). A voice pack is 510 style vectors of 256 floats, one per phoneme count;
a blend (``af_heart+af_nova``, or weighted ``af_heart(2)+am_echo(1)``) is the weighted mean
of its members' packs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tts_agents.errors import TTSValidationError, VoiceNotFoundError
from tts_agents.types import VoiceInfo

# Language letter -> (language code, espeak-ng voice that phonemizes it, name).
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "a": ("en-us", "en-us", "American English"),
    "b": ("en-gb", "en", "British English"),
    "e": ("es", "es", "Spanish"),
    "f": ("fr", "fr", "French"),
    "h": ("hi", "hi", "Hindi"),
    "i": ("it", "it", "Italian"),
    "p": ("pt-br", "pt-br", "Brazilian Portuguese"),
    "j": ("ja", "", "Japanese"),
    "z": ("zh", "", "Mandarin Chinese"),
}
SPOKEN = tuple(code for code, espeak, _ in LANGUAGES.values() if espeak)
_ALIASES = {
    "en": "en-us", "en-uk": "en-gb", "pt": "pt-br", "fr-fr": "fr", "es-es": "es", "it-it": "it",
    "hi-in": "hi",
}  # fmt: skip

VOICE_IDS = (
    "af_heart af_alloy af_aoede af_bella af_jessica af_kore af_nicole af_nova af_river "
    "af_sarah af_sky am_adam am_echo am_eric am_fenrir am_liam am_michael am_onyx am_puck "
    "am_santa bf_alice bf_emma bf_isabella bf_lily bm_daniel bm_fable bm_george bm_lewis "
    "ef_dora em_alex em_santa ff_siwis hf_alpha hf_beta hm_omega hm_psi if_sara im_nicola "
    "jf_alpha jf_gongitsune jf_nezumi jf_tebukuro jm_kumo pf_dora pm_alex pm_santa "
    "zf_xiaobei zf_xiaoni zf_xiaoxiao zf_xiaoyi zm_yunjian zm_yunxi zm_yunxia zm_yunyang"
).split()
# Upstream's own grades for the English voices (hexgrad's voice notes), best first.
GRADES = {
    "af_heart": "A", "af_bella": "A-", "af_nicole": "B-", "bf_emma": "B-", "ff_siwis": "B-",
    "af_aoede": "C+", "af_kore": "C+", "af_sarah": "C+", "am_fenrir": "C+",
    "am_michael": "C+", "am_puck": "C+", "af_alloy": "C", "af_nova": "C", "bf_isabella": "C",
    "bm_fable": "C", "bm_george": "C", "af_sky": "C-", "bm_lewis": "D+",
}  # fmt: skip

_MEMBER = re.compile(r"^\s*([a-z]{2}_[a-z]+)\s*(?:\(\s*(\d+(?:\.\d+)?)\s*\))?\s*$")
_KNOWN = frozenset(VOICE_IDS)
_KOKORO_LIKE = re.compile(rf"^\s*[{''.join(LANGUAGES)}][fm]_")


@dataclass(frozen=True, slots=True)
class Blend:
    """One voice or a weighted mix: ``((voice id, weight), ...)``, weights summing to 1."""

    members: tuple[tuple[str, float], ...]

    @property
    def id(self) -> str:
        """The canonical spelling, e.g. ``af_heart`` or ``af_heart(0.67)+am_echo(0.33)``."""
        if len(self.members) == 1:
            return self.members[0][0]
        return "+".join(f"{voice}({weight:.3g})" for voice, weight in self.members)

    @property
    def language(self) -> str:
        """The language of the first (or only) voice."""
        return LANGUAGES[self.members[0][0][0]][0]


def is_kokoro_voice(name: str) -> bool:
    """Whether ``name`` is meant as a Kokoro voice or blend: ``af_...``, ``bm_...(2)+...``.

    Spelling only: whether the voices exist is :func:`parse_blend`'s to say, so a typo
    gets Kokoro's own error rather than another engine's.
    """
    return any(_KOKORO_LIKE.match(part) for part in name.split("+"))


def parse_blend(name: str) -> Blend:
    """A voice id or a blend like ``af_heart(2)+am_echo(1)``; errors name what is wrong."""
    members: dict[str, float] = {}
    for part in name.split("+"):
        match = _MEMBER.match(part)
        if match is None:
            raise VoiceNotFoundError(
                "voice",
                f"{part.strip()!r} in {name!r} is not a Kokoro voice; write a blend as "
                "af_heart+af_nova or af_heart(2)+am_echo(1) (see `tts-agents voices`)",
            )
        voice, weight = match.group(1), float(match.group(2) or 1)
        if voice not in _KNOWN:
            raise VoiceNotFoundError(
                "voice", f"unknown Kokoro voice {voice!r} (see `tts-agents voices --engine kokoro`)"
            )
        if weight <= 0:
            raise TTSValidationError("voice", f"blend weight of {voice!r} must be above 0")
        members[voice] = members.get(voice, 0.0) + weight
    total = sum(members.values())
    return Blend(tuple((voice, weight / total) for voice, weight in members.items()))


def speaks_language(language: str | None) -> bool:
    """Whether Kokoro speaks ``language`` offline (no language means English)."""
    if not language:
        return True
    key = language.strip().lower().replace("_", "-")
    return _ALIASES.get(key, key) in SPOKEN


def kokoro_language(language: str | None, blend: Blend) -> str:
    """The language to speak: ``language`` if given (and spoken), else the voice's own.

    Plain ``en`` keeps an English voice's own variety (British voices speak British).
    """
    key = (language or "").strip().lower().replace("_", "-")
    if not key or (key == "en" and blend.language.startswith("en")):
        code = blend.language
    else:
        code = _ALIASES.get(key, key)
        if code not in SPOKEN and code.split("-")[0] in ("ja", "zh", "cmn"):
            code = code.split("-")[0].replace("cmn", "zh")
    if code in ("ja", "zh"):
        raise TTSValidationError(
            "language",
            f"Kokoro's {code} voices need a {LANGUAGES[code[0]][2]} phonemizer that is not "
            "available offline; use another voice or --engine espeak",
        )
    if code not in SPOKEN:
        raise TTSValidationError(
            "language", f"Kokoro speaks {', '.join(SPOKEN)}, not {language!r}; use --engine espeak"
        )
    return code


def native_voice(voice: str, language: str | None) -> str:
    """``voice``, or a voice native to ``language`` of the same gender when it speaks another.

    Generic names map to English voices; asked for French, ``nova`` becomes ``ff_siwis``
    rather than an American voice with an accent.
    """
    blend = parse_blend(voice)
    code = kokoro_language(language, blend)
    if code == blend.language or (code.startswith("en") and blend.language.startswith("en")):
        return voice
    native = [v for v in VOICE_IDS if LANGUAGES[v[0]][0] == code]
    same_gender = [v for v in native if v[1] == voice[1]]
    ranked = sorted(same_gender or native, key=lambda v: (v not in GRADES, VOICE_IDS.index(v)))
    return ranked[0]


def espeak_voice(language: str) -> str:
    """The espeak-ng voice that phonemizes ``language`` for Kokoro."""
    for code, espeak, _ in LANGUAGES.values():
        if code == language:
            return espeak
    raise TTSValidationError("language", f"Kokoro does not speak {language!r}")


def describe() -> list[VoiceInfo]:
    """Every voice with language, gender and upstream grade."""
    infos = []
    for voice in VOICE_IDS:
        code, espeak, language = LANGUAGES[voice[0]]
        gender = "female" if voice[1] == "f" else "male"
        notes = [language]
        if voice in GRADES:
            notes.append(f"upstream grade {GRADES[voice]}")
        if not espeak:
            notes.append(f"needs a {language} phonemizer, not available offline")
        infos.append(
            VoiceInfo(
                id=voice,
                name=voice.split("_", 1)[1].capitalize(),
                engine="kokoro",
                languages=(code,),
                gender=gender,
                description=", ".join(notes),
            )
        )
    return infos


__all__ = [
    "GRADES",
    "LANGUAGES",
    "SPOKEN",
    "VOICE_IDS",
    "Blend",
    "describe",
    "espeak_voice",
    "is_kokoro_voice",
    "kokoro_language",
    "native_voice",
    "parse_blend",
    "speaks_language",
]
