"""espeak-ng voice catalogue: language voices, variants, and the OpenAI voice names.

A voice id is ``<language voice>[+<variant>]`` as libespeak-ng accepts it, e.g. ``en-us``,
``fr+f2``. The OpenAI names map to distinct English variants (chosen for clarity: each
round-trips through the pocketsphinx recogniser); with a non-English ``language`` they keep
their variant on that language's voice, so ``nova`` in French is ``fr+anika``. ElevenLabs'
premade voice ids get a variant of their gender, on the British voice for British and Irish
accents.
"""

from __future__ import annotations

from tts_agents.engines.espeak._lib import RawVoice
from tts_agents.engines.voice_names import ELEVENLABS_VOICES
from tts_agents.errors import TTSValidationError, VoiceNotFoundError
from tts_agents.types import VoiceInfo

OPENAI_VOICES: dict[str, tuple[str, str]] = {
    # name: (variant, gender)
    "alloy": ("f5", "female"),
    "ash": ("m3", "male"),
    "ballad": ("m5", "male"),
    "coral": ("f2", "female"),
    "echo": ("m1", "male"),
    "fable": ("edward", "male"),
    "onyx": ("m2", "male"),
    "nova": ("anika", "female"),
    "sage": ("m6", "male"),
    "shimmer": ("f1", "female"),
    "verse": ("benjamin", "male"),
    "marin": ("f3", "female"),
    "cedar": ("caleb", "male"),
}
DEFAULT_LANGUAGE = "en-us"
BRITISH = "en"
_VARIANTS = {  # by gender, for ElevenLabs voices, taken in turn
    "female": ("f5", "f2", "anika", "f1", "f3", "f4"),
    "male": ("m1", "m3", "m2", "m5", "edward", "m6", "benjamin", "caleb", "m4", "m7"),
    "neutral": ("f4",),
}
_GENDERS = {1: "male", 2: "female"}


class VoiceCatalog:
    """The voices and variants one libespeak-ng offers, with name resolution."""

    def __init__(self, voices: list[RawVoice], variants: list[str]) -> None:
        self.voices = tuple(voices)
        self.variants = frozenset(variants)
        self._index: dict[str, str] = {}
        for voice in self.voices:  # names first, so "fr" is the French voice, not fr-be
            for key in (voice_id(voice), voice.identifier, voice.name):
                self._index.setdefault(key.lower(), voice_id(voice))
        for voice in self.voices:
            for key in voice.languages:
                self._index.setdefault(key.lower(), voice_id(voice))

    def language_voice(self, language: str) -> str:
        """The voice id for a language code or voice name, else a validation error."""
        key = language.strip().lower().replace("_", "-")
        found = self._index.get(key) or self._index.get(key.split("-")[0])
        if found is None:
            raise TTSValidationError(
                "language", f"unknown language {language!r} (see `tts-agents voices`)"
            )
        return found

    def resolve(self, voice: str, language: str | None) -> str:
        """Map an OpenAI name, a voice id or ``voice+variant`` to an espeak voice spec."""
        wanted = voice.strip()
        mapped = OPENAI_VOICES.get(wanted.lower())
        if mapped is not None:
            base = self.language_voice(language) if language else DEFAULT_LANGUAGE
            return f"{base}+{mapped[0]}"
        premade = _elevenlabs_variant(wanted)
        if premade is not None:
            base, variant = premade
            return f"{self.language_voice(language) if language else base}+{variant}"
        base_name, _, variant = wanted.partition("+")
        base = self._index.get(base_name.lower())
        if not base or (variant and variant not in self.variants):
            raise VoiceNotFoundError(
                "voice",
                f"unknown voice {voice!r}: use an OpenAI name ({', '.join(OPENAI_VOICES)}), "
                "an espeak voice id, or id+variant (see `tts-agents voices`)",
            )
        return f"{base}+{variant}" if variant else base

    def describe(self) -> list[VoiceInfo]:
        """Every voice, the OpenAI names first."""
        infos = [
            VoiceInfo(
                id=name,
                name=f"{name} ({DEFAULT_LANGUAGE}+{variant})",
                engine="espeak",
                languages=(DEFAULT_LANGUAGE,),
                gender=gender,
                description=f"OpenAI voice name, espeak variant {variant}",
            )
            for name, (variant, gender) in OPENAI_VOICES.items()
        ]
        infos += [
            VoiceInfo(
                id=voice_id(voice),
                name=voice.name,
                engine="espeak",
                languages=voice.languages,
                gender=_GENDERS.get(voice.gender),
                aliases=(voice.identifier,),
            )
            for voice in sorted(self.voices, key=voice_id)
        ]
        return infos


def _elevenlabs_variant(voice_id: str) -> tuple[str, str] | None:
    """(base voice, variant) for an ElevenLabs premade voice id, else None."""
    voice = ELEVENLABS_VOICES.get(voice_id)
    if voice is None:
        return None
    same = [v for v in ELEVENLABS_VOICES.values() if v.gender == voice.gender]
    variants = _VARIANTS[voice.gender]
    variant = variants[same.index(voice) % len(variants)]
    return (BRITISH if voice.british else DEFAULT_LANGUAGE), variant


def voice_id(voice: RawVoice) -> str:
    """The short id libespeak-ng accepts for a voice file: its file name, lower-cased."""
    return voice.identifier.rsplit("/", 1)[-1].lower()
