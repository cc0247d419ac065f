"""Voice names that belong to no engine: OpenAI's voice names and ElevenLabs' premade voices.

Code written against OpenAI or ElevenLabs names its voices ``alloy`` or
``21m00Tcm4TlvDq8ikWAM`` (Rachel). Each such name maps to a distinct Kokoro voice of similar
gender and accent, and, where Kokoro is not installed, to an espeak-ng voice and variant.
ElevenLabs' current default voices map to 20 distinct Kokoro voices (by name where Kokoro
has one: Sarah, Jessica, Liam, Eric, Alice, Lily, George, Daniel, River); its legacy voices
reuse the closest of them. Ids and labels are from ElevenLabs' default-voices page.

These names work in every language: the engine (``auto``: the best installed engine that
speaks it) picks a voice of that language. :func:`voices_speaking` lists, for one language,
what will actually speak it, the generic names with the voice each maps to there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tts_agents.errors import TTSAgentError
from tts_agents.types import VoiceInfo

_KOKORO_VOICE = re.compile(r"([a-z])[fm]_")
_PIPER_VOICE = re.compile(r"([a-z]{2,3})_([A-Z]{2})-")
_ESPEAK_VOICE = re.compile(r"(?:[a-z]+/)?([a-z]{2,3}(?:-[a-z0-9]+)?)(?:\+.*)?", re.IGNORECASE)

if TYPE_CHECKING:
    from tts_agents.engines.base import Engine


@dataclass(frozen=True, slots=True)
class GenericVoice:
    """A provider's voice name and what it means for each local engine."""

    id: str
    name: str
    gender: str
    accent: str
    kokoro: str
    origin: str  # "openai" or "elevenlabs"
    current: bool = True  # ElevenLabs: one of today's default voices (else legacy)

    @property
    def british(self) -> bool:
        """Spoken with a British Isles accent (espeak speaks those with its British voice)."""
        return self.accent in ("british", "irish")


# OpenAI voice names: alloy, the default, is Kokoro's best-graded voice.
_OPENAI = """
alloy female american af_heart
ash male american am_michael
ballad male british bm_george
coral female american af_bella
echo male american am_echo
fable male british bm_fable
onyx male american am_onyx
nova female american af_nova
sage female american af_sarah
shimmer female american af_aoede
verse male american am_puck
marin female american af_kore
cedar male american am_fenrir
"""

# ElevenLabs premade voices: id, name, gender, accent, Kokoro voice, current/legacy.
_ELEVENLABS = """
9BWtsMINqrJLrRacOk9x Aria female american af_kore current
CwhRBWXzGAHq8TQ4Fs17 Roger male american am_fenrir current
EXAVITQu4vr4xnSDxMaL Sarah female american af_sarah current
FGY2WhTYpPnrIDTdsKH5 Laura female american af_sky current
IKne3meq5aSn9XLyUdCD Charlie male australian am_puck current
JBFqnCBsd6RMkjVDRZzb George male british bm_george current
N2lVS1w4EtoT3dr4eOWO Callum male transatlantic bm_lewis current
SAz9YHcvj6GT2YYXdXww River neutral american af_river current
TX3LPaxmHKxFdv7VOQHJ Liam male american am_liam current
XB0fDUnXU5powFXDhCwa Charlotte female swedish bf_isabella current
Xb7hH8MSUJpSbSDYk0k2 Alice female british bf_alice current
XrExE9yKIg1WjnnlVkGX Matilda female american af_aoede current
bIHbv24MWmeRgasZH58o Will male american am_echo current
cgSgspJ2msm6clMCkdW9 Jessica female american af_jessica current
cjVigY5qzO86Huf0OWal Eric male american am_eric current
iP95p4xoKVk53GoZ742B Chris male american am_michael current
nPczCjzI2devNBz1zQrb Brian male american am_onyx current
onwK4e9ZLuTAKqWW03F9 Daniel male british bm_daniel current
pFZP5JQG7iQjIQuC4Bku Lily female british bf_lily current
pqHfZKP75CvOlQylNhV4 Bill male american am_adam current
21m00Tcm4TlvDq8ikWAM Rachel female american af_heart legacy
29vD33N1CtxCmqQRPOHJ Drew male american am_michael legacy
2EiwWnXFnvU5JabPnv8n Clyde male american am_fenrir legacy
5Q0t7uMcjvnagumLfvZi Paul male american am_echo legacy
AZnzlk1XvdvUeBnXmlld Domi female american af_nova legacy
CYw3kZ02Hs0563khs1Fj Dave male british bm_lewis legacy
D38z5RcWu1voky8WS1ja Fin male irish bm_fable legacy
ErXwobaYiN019PkySvjV Antoni male american am_puck legacy
GBv7mTt0atIp3Br8iCZE Thomas male american am_liam legacy
LcfcDJNUP1GQjkzn1xUU Emily female american af_bella legacy
MF3mGyEYCl7XYWbV9V6O Elli female american af_alloy legacy
ODq5zmih8GrVes37Dizd Patrick male american am_fenrir legacy
SOYHLrjzK2X1ezoPC6cr Harry male american am_puck legacy
ThT5KcBeYPX3keUQqHPh Dorothy female british bf_emma legacy
TxGEqnHWrfWFTfGW9XjX Josh male american am_adam legacy
VR6AewLTigWG4xSOukaG Arnold male american am_eric legacy
Yko7PKHZNXotIFUBG7I9 Matthew male british bm_george legacy
ZQe5CZNOzWyzPSCn5a3c James male australian bm_daniel legacy
Zlb1dXrM653N07WRdFW3 Joseph male british bm_fable legacy
bVMeCyTHy58xNoL34h3p Jeremy male irish bm_lewis legacy
flq6f7yk4E4fJM5XTYuZ Michael male american am_michael legacy
g5CIjZEefAph4nQFvHAz Ethan male american am_echo legacy
jBpfuIE2acCO8z3wKNLl Gigi female american af_sky legacy
jsCqWAovK2LkecY7zXl4 Freya female american af_kore legacy
oWAxZDx7w5VEj9dCyTzz Grace female american af_aoede legacy
pMsXgVXv3BLzUgSXRplE Serena female american af_sarah legacy
pNInz6obpgDQGcFmaJgB Adam male american am_adam legacy
piTKgcLEGmPE4e6mEKli Nicole female american af_nicole legacy
t0jbNlBVZ17f02VDIeMI Jessie male american am_onyx legacy
wViXBPUzp2ZZixB1xQuM Ryan male american am_eric legacy
yoZ06aMxZJJ28mfd3POQ Sam male american am_liam legacy
z9fAnlkpzviPz146aGWa Glinda female american af_river legacy
zcAOhNBS3c14rBihAFp1 Giovanni male italian im_nicola legacy
zrHiDhphv9ZnVXBqCLjz Mimi female swedish bf_isabella legacy
"""


def _openai() -> dict[str, GenericVoice]:
    voices = {}
    for line in _OPENAI.split("\n"):
        if line.strip():
            name, gender, accent, kokoro = line.split()
            voices[name] = GenericVoice(name, name, gender, accent, kokoro, "openai")
    return voices


def _elevenlabs() -> dict[str, GenericVoice]:
    voices = {}
    for line in _ELEVENLABS.split("\n"):
        if line.strip():
            voice_id, name, gender, accent, kokoro, era = line.split()
            voices[voice_id] = GenericVoice(
                voice_id, name, gender, accent, kokoro, "elevenlabs", era == "current"
            )
    return voices


OPENAI_VOICES = _openai()
ELEVENLABS_VOICES = _elevenlabs()


def generic_voice(name: str) -> GenericVoice | None:
    """The OpenAI name (any case) or ElevenLabs premade id ``name`` stands for, if any."""
    wanted = name.strip()
    return OPENAI_VOICES.get(wanted.lower()) or ELEVENLABS_VOICES.get(wanted)


def spoken_as(
    voice: GenericVoice,
    engine: str,
    resolved: str,
    languages: tuple[str, ...],
    listed: VoiceInfo | None = None,
) -> VoiceInfo:
    """``voice`` as ``engine`` speaks it, with the voice id it maps to in the description.

    ``listed`` is that engine's own entry for the name, if it has one: its gender is the
    one heard (espeak speaks ``sage`` with a male variant).
    """
    origin = "OpenAI voice" if voice.origin == "openai" else "ElevenLabs premade voice"
    return VoiceInfo(
        id=voice.id,
        name=voice.name,
        engine=engine,
        languages=languages,
        gender=listed.gender if listed else voice.gender,
        description=f"{origin}, spoken by {engine} {resolved}",
    )


def voice_language(voice: str) -> str | None:
    """The language a resolved voice id speaks, when its name says (Kokoro, Piper, espeak)."""
    from tts_agents.engines.kokoro.voices import LANGUAGES  # kokoro's engine imports this

    kokoro = _KOKORO_VOICE.match(voice)
    if kokoro and kokoro[1] in LANGUAGES:
        return LANGUAGES[kokoro[1]][0]
    piper = _PIPER_VOICE.match(voice)
    if piper:
        return f"{piper[1]}-{piper[2].lower()}"
    espeak = _ESPEAK_VOICE.fullmatch(voice)
    return espeak[1].lower() if espeak else None


async def voices_speaking(engine: Engine, language: str) -> list[VoiceInfo]:
    """The voices of ``engine`` that speak ``language``, the generic names first.

    A generic name is listed with the engine and voice it maps to in ``language`` (OpenAI's
    names always, since every engine takes them; ElevenLabs' when the engine lists them),
    or left out when the engine cannot speak ``language`` with it. The engine's own voices
    follow, those with a language that starts with ``language`` (``en`` takes ``en-gb``).
    """
    from tts_agents.engines import route

    listed = await engine.voices()
    generic = [*OPENAI_VOICES.values()]
    generic += [ELEVENLABS_VOICES[v.id] for v in listed if v.id in ELEVENLABS_VOICES]
    listings = {engine.name: {voice.id: voice for voice in listed}}
    found = []
    for voice in generic:
        try:
            chosen, resolved = route(engine, voice.id, language)
        except TTSAgentError:  # this engine cannot speak the language with that name
            continue
        if chosen.name not in listings:
            listings[chosen.name] = {v.id: v for v in await chosen.voices()}
        own = listings[chosen.name].get(voice.id)
        found.append(spoken_as(voice, chosen.name, resolved, (language,), own))
    wanted = language.strip().lower()
    found += [
        voice
        for voice in listed
        if generic_voice(voice.id) is None
        and any(lang.lower().startswith(wanted) for lang in voice.languages)
    ]
    return found


__all__ = [
    "ELEVENLABS_VOICES",
    "OPENAI_VOICES",
    "GenericVoice",
    "generic_voice",
    "spoken_as",
    "voice_language",
    "voices_speaking",
]
