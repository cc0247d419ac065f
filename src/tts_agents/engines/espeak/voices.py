"""espeak-ng voice catalogue: language voices, variants, and the OpenAI voice names.

A voice id is ``<language voice>[+<variant>]`` as libespeak-ng accepts it, e.g. ``en-us``,
``fr+f2``. The OpenAI names map to distinct English variants (chosen for clarity: each
round-trips through the pocketsphinx recogniser); with a non-English ``language`` they keep
their variant on that language's voice, so ``nova`` in French is ``fr+anika``. ElevenLabs'
premade voice ids get a variant of their gender, on the British voice for British and Irish
accents.

A language voice has no gender: espeak-ng's language files may not declare one, and
libespeak-ng lists every voice that declares none as male. The gender is the variant's
(``+f2`` female, ``+m3`` male), so the language voices are listed with none and
:func:`describe_variants` lists the variants with theirs. espeak-ng's own test voice
(``xextan-test``) is left out.
"""

from __future__ import annotations

import os

from tts_agents.engines.espeak import _lib
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
# Only "female" is a declaration: "male" is also what espeak-ng reports for none.
_DECLARED_GENDERS = {2: "female"}


class VoiceCatalog:
    """The voices and variants one libespeak-ng offers, with name resolution."""

    def __init__(self, voices: list[RawVoice], variants: list[str]) -> None:
        self.voices = tuple(voice for voice in voices if not _is_test_voice(voice))
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
        known = self._index.get(base_name.lower())
        if not known or (variant and variant not in self.variants):
            raise VoiceNotFoundError(
                "voice",
                f"unknown voice {voice!r}: use an OpenAI name ({', '.join(OPENAI_VOICES)}), "
                "an espeak voice id, or id+variant (see `tts-agents voices`)",
            )
        return f"{known}+{variant}" if variant else known

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
                gender=_DECLARED_GENDERS.get(voice.gender),
                aliases=(voice.identifier,),
            )
            for voice in sorted(self.voices, key=voice_id)
        ]
        return infos

    def describe_variants(self, variant_dir: str, language: str | None = None) -> list[VoiceInfo]:
        """Every variant, as a voice id on ``language``'s voice (``en-us+anika`` by default).

        ``variant_dir`` holds the variant files, whose ``name`` and ``gender`` lines say
        what each one is.
        """
        base = self.language_voice(language) if language else DEFAULT_LANGUAGE
        infos = []
        for variant in sorted(self.variants, key=str.lower):
            name, gender = _read_variant(os.path.join(variant_dir, variant))
            infos.append(
                VoiceInfo(
                    id=f"{base}+{variant}",
                    name=name or variant,
                    engine="espeak",
                    languages=(base,),
                    gender=gender,
                    description=f"espeak variant {variant}: add +{variant} to any espeak voice id",
                )
            )
        return infos


def describe_variants(language: str | None = None) -> list[VoiceInfo]:
    """The variants of the process's libespeak-ng (see :meth:`VoiceCatalog.describe_variants`)."""
    library = _lib.ESPEAK_THREAD.submit(_lib.library).result()
    voices = _lib.ESPEAK_THREAD.submit(library.list_voices).result()
    catalog = VoiceCatalog(voices, library.variants())
    return catalog.describe_variants(os.path.join(library.data_path, "voices", "!v"), language)


def _read_variant(path: str) -> tuple[str | None, str | None]:
    """A variant file's ``name`` and ``gender`` (either None when the file has none)."""
    name = gender = None
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                key, _, value = line.partition(" ")
                if key == "name" and value.strip():
                    name = value.strip()
                elif key == "gender" and value.split():
                    gender = value.split()[0].lower()
    except OSError:
        return None, None
    return name, gender if gender in ("male", "female") else None


def _is_test_voice(voice: RawVoice) -> bool:
    """espeak-ng's fixture for its own tests (``xextan-test``), not a voice for speech."""
    return voice.name.lower().endswith("-test")


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
