"""Pronunciations for words the CMU dictionary lacks, from espeak-ng's letter-to-sound rules.

Domain words such as "tts", "mp3", "espeak" or "elevenlabs" are missing from pocketsphinx's
dictionary, and a word without a pronunciation cannot be recognized at all. espeak-ng (the
engine this package already embeds) can phonemize any spelling; its IPA output maps onto
the CMU phone set pocketsphinx's English acoustic model uses.

libespeak-ng is a process-wide singleton, so the calls run on the engine's one thread.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

from tts_agents.engines.espeak import _lib

_VOICE = "en-us"
_TEXT_UTF8 = 1
_PHONEMES_IPA = 0x02
_SEPARATOR = "_"
_MODE = _PHONEMES_IPA | (ord(_SEPARATOR) << 8)
_MARKS = str.maketrans("", "", "ˈˌ‿ʲ̩")  # stress, linking, palatalization, syllabic

# espeak-ng en-us IPA phoneme -> CMU phones. Multi-letter keys are whole espeak phonemes.
_IPA_TO_CMU = {
    "iː": "IY", "i": "IY", "ɪ": "IH", "ᵻ": "IH", "ɛ": "EH", "e": "EH", "æ": "AE", "a": "AE",
    "ɑː": "AA", "ɑ": "AA", "ɒ": "AA", "ɔː": "AO", "ɔ": "AO", "ʊ": "UH", "uː": "UW", "u": "UW",
    "ʌ": "AH", "ə": "AH", "ɐ": "AH", "ɜː": "ER", "ɜ": "ER", "ɚ": "ER", "ɝ": "ER",
    "eɪ": "EY", "aɪ": "AY", "ɔɪ": "OY", "aʊ": "AW", "oʊ": "OW", "əʊ": "OW", "o": "OW",
    "oː": "OW", "ɑːɹ": "AA R", "ɔːɹ": "AO R", "oːɹ": "AO R", "ɛɹ": "EH R", "ɪɹ": "IH R",
    "ʊɹ": "UH R", "iə": "IY AH", "əl": "AH L", "aɪɚ": "AY ER", "aɪə": "AY ER", "aʊɚ": "AW ER",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "ɡ": "G", "g": "G", "f": "F",
    "v": "V", "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "h": "HH",
    "m": "M", "n": "N", "ŋ": "NG", "l": "L", "ɹ": "R", "r": "R", "w": "W", "ʍ": "W",
    "j": "Y", "tʃ": "CH", "dʒ": "JH", "ɾ": "T", "x": "K", "ʔ": "",
}  # fmt: skip


class UnknownPhoneme(ValueError):
    """espeak-ng produced a phoneme with no CMU counterpart."""


def ipa_to_cmu(ipa: str) -> str:
    """CMU phones for espeak-ng IPA whose phonemes are separated by ``_`` (words by spaces).

    Raises :class:`UnknownPhoneme` for a phoneme the table lacks, so a caller drops the
    word rather than adding a pronunciation that would attract wrong matches.
    """
    phones = []
    for piece in ipa.translate(_MARKS).replace(" ", _SEPARATOR).split(_SEPARATOR):
        if not piece:
            continue
        if piece not in _IPA_TO_CMU:
            raise UnknownPhoneme(piece)
        if _IPA_TO_CMU[piece]:
            phones.append(_IPA_TO_CMU[piece])
    return " ".join(phones)


def espeak_ipa(words: Sequence[str]) -> list[str]:
    """espeak-ng's en-us IPA for each of ``words`` (phonemes separated by ``_``).

    Blocks on the espeak thread: call it from a worker thread or at build time.
    """
    return _lib.ESPEAK_THREAD.submit(_phonemize_all, list(words)).result()


def _phonemize_all(words: list[str]) -> list[str]:
    import espeakng_loader

    # The engine's library object selects the voice (and remembers it did); the phonemizer
    # entry point comes from the same shared library, so it sees the same global state.
    _lib.library().configure(_VOICE, _lib.RATE_NORMAL, 50, 100)
    function = ctypes.CDLL(espeakng_loader.get_library_path()).espeak_TextToPhonemes
    function.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    function.restype = ctypes.c_char_p
    results = []
    for word in words:
        text = ctypes.c_char_p(word.encode("utf-8"))
        parts = []
        # Each call returns one clause and moves ``text`` past it (to NULL at the end).
        while text.value:
            result = function(ctypes.byref(text), _TEXT_UTF8, _MODE)
            if result:
                parts.append(result.decode("utf-8").strip())
        results.append(" ".join(part for part in parts if part))
    return results


__all__ = ["UnknownPhoneme", "espeak_ipa", "ipa_to_cmu"]
