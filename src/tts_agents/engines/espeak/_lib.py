"""ctypes binding to libespeak-ng as shipped in the ``espeakng-loader`` wheel.

libespeak-ng keeps its state in process globals, so this module owns one instance and one
thread: every call into the library runs on ``ESPEAK_THREAD``. Callers submit work there;
the C callback hands audio and word events to the job that is running.
"""

from __future__ import annotations

import ctypes
import os
import struct
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tts_agents.errors import TTSAPIError

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
CHARS_UTF8 = 1
ENDPAUSE = 0x1000
SSML = 0x10
PHONEMES_IPA = 0x02
PHONEMES_TIE = 0x80  # bits 8-23 hold the character tying multi-letter phonemes ("a^ɪ")

EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1

PARAM_RATE = 1
PARAM_VOLUME = 2
PARAM_PITCH = 3

RATE_MIN, RATE_NORMAL, RATE_MAX = 80, 175, 450
BUFFER_MS = 500

ESPEAK_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


# Plain addresses (c_void_p), not POINTER(...): building pointer objects on every call of a
# callback that runs ~10 times per second of audio is measurable against the raw engine.
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
_EVENT_SIZE = ctypes.sizeof(_Event)
_EVENT_TYPE = struct.Struct("<i")
_EVENT_WORD = struct.Struct("<8xiiii")  # text_position, length, audio_position, sample

# A sink receives (pcm bytes, [(char_start, char_length, sample)]) and returns True to abort.
Words = list[tuple[int, int, int]]
Sink = Callable[[bytes, Words], bool]


@dataclass(frozen=True)
class RawVoice:
    """A voice as libespeak-ng lists it."""

    name: str
    identifier: str
    languages: tuple[str, ...]
    gender: int


class EspeakLibrary:
    """The process's one libespeak-ng. Call its methods only on ``ESPEAK_THREAD``."""

    def __init__(self) -> None:
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.data_path = espeakng_loader.get_data_path()
        self._declare()
        rate = self._lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, BUFFER_MS, self.data_path.encode(), 0
        )
        if rate <= 0:
            raise TTSAPIError("espeak-ng failed to initialise")
        self.sample_rate: int = rate
        self._sink: Sink | None = None
        self._callback = _CALLBACK(self._on_audio)  # kept alive as long as the library
        self._settings: tuple[str, int, int, int] | None = None
        self._aborted = False

    def _declare(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p

    def list_voices(self) -> list[RawVoice]:
        """Every voice file libespeak-ng knows, with its languages by priority."""
        table = self._lib.espeak_ListVoices(None)
        voices = []
        index = 0
        while table[index]:
            entry = table[index].contents
            voices.append(
                RawVoice(
                    name=(entry.name or b"").decode(),
                    identifier=(entry.identifier or b"").decode(),
                    languages=_languages(entry.languages),
                    gender=entry.gender,
                )
            )
            index += 1
        return voices

    def variants(self) -> list[str]:
        """Names of the voice variants (``+f2``, ``+m3`` ...) in the data directory."""
        return sorted(os.listdir(os.path.join(self.data_path, "voices", "!v")))

    def configure(self, voice: str, rate: int, pitch: int, volume: int) -> None:
        """Select voice and prosody; a no-op when they are already in force."""
        settings = (voice, rate, pitch, volume)
        if settings == self._settings:
            return
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            self._settings = None
            raise TTSAPIError(f"espeak-ng could not load voice {voice!r}")
        self._lib.espeak_SetParameter(PARAM_RATE, rate, 0)
        self._lib.espeak_SetParameter(PARAM_PITCH, pitch, 0)
        self._lib.espeak_SetParameter(PARAM_VOLUME, volume, 0)
        self._settings = settings

    def synth(self, text: str, sink: Sink, *, markup: bool = False) -> None:
        """Synthesize ``text``, handing each buffer of audio to ``sink`` as it is made."""
        data = text.replace("\x00", " ").encode("utf-8")
        flags = CHARS_UTF8 | ENDPAUSE | (SSML if markup else 0)
        self._sink = sink
        self._aborted = False
        # Set on every call: another user of the process's libespeak-ng may have replaced it.
        self._lib.espeak_SetSynthCallback(self._callback)
        try:
            status = self._lib.espeak_Synth(
                data, len(data) + 1, 0, POS_CHARACTER, 0, flags, None, None
            )
        finally:
            self._sink = None
        if status != 0 and not self._aborted:
            raise TTSAPIError(f"espeak-ng synthesis failed (status {status})")

    def phonemes(self, text: str, voice: str, *, tie: str | None = None) -> str:
        """IPA phonemes of ``text`` in ``voice``'s language, words separated by spaces.

        libespeak-ng returns one clause per call; the clauses are joined with a space.
        ``tie`` joins the letters of one phoneme ("a^ɪ"), so a mapper can tell the
        diphthong from two vowels.
        """
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise TTSAPIError(f"espeak-ng could not load voice {voice!r}")
        self._settings = None  # the synthesizer's voice changed too
        mode = PHONEMES_IPA | (PHONEMES_TIE | ord(tie) << 8 if tie else 0)
        buffer = ctypes.create_string_buffer(text.replace("\x00", " ").encode("utf-8"))
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses = []
        while pointer.value:
            clause = self._lib.espeak_TextToPhonemes(ctypes.byref(pointer), CHARS_UTF8, mode)
            if clause:
                clauses.append(clause.decode("utf-8", errors="replace").strip())
        return " ".join(clause for clause in clauses if clause)

    def _on_audio(self, wav: int | None, count: int, events: int | None) -> int:
        sink = self._sink
        if sink is None:
            return 1
        words: Words = []
        address = events or 0
        while address:
            kind = _EVENT_TYPE.unpack(ctypes.string_at(address, 4))[0]
            if kind == EVENT_LIST_TERMINATED:
                break
            if kind == EVENT_WORD:
                position, length, _ms, sample = _EVENT_WORD.unpack(
                    ctypes.string_at(address, _EVENT_WORD.size)
                )
                words.append((position - 1, length, sample))
            address += _EVENT_SIZE
        pcm = ctypes.string_at(wav, count * 2) if count > 0 and wav else b""
        if sink(pcm, words):
            self._aborted = True
            return 1
        return 0


def _languages(pointer: int | None) -> tuple[str, ...]:
    """Decode espeak's packed language list: (priority byte, NUL-terminated name)*, 0."""
    if not pointer:
        return ()
    found = []
    offset = 0
    while ctypes.string_at(pointer + offset, 1) != b"\x00":
        name = ctypes.string_at(pointer + offset + 1)
        found.append(name.decode())
        offset += len(name) + 2
    return tuple(found)


_instance: EspeakLibrary | None = None
_instance_lock = threading.Lock()


def library() -> EspeakLibrary:
    """The process's libespeak-ng, initialised on first use (call on ``ESPEAK_THREAD``)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = EspeakLibrary()
        return _instance
