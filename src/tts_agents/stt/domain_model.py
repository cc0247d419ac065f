"""The agent's own language model and dictionary for pocketsphinx, built once and cached.

This is how Rhasspy makes a small offline recognizer accurate: instead of a general English
model that must consider 130,000 words, decode with a model of what users of *this* agent
say (its knowledge base, example questions and intent phrases). The model:

* an interpolated Witten-Bell trigram model of the domain sentences (:mod:`.arpa`), with
  question-like sentences counted several times, since callers ask rather than state;
* a background of the most frequent general-English words (unigram probabilities read from
  the general model pocketsphinx ships), mixed in with a small weight, so everyday words
  stay reachable (whole out-of-domain sentences need ``general_fallback``, see
  :mod:`.sphinx`: the background alone barely helps them);
* pronunciations from the CMU dictionary, and for words it lacks, from espeak-ng's
  letter-to-sound rules (:mod:`.phonemes`); words that cannot be pronounced are dropped and
  listed in :attr:`DomainModel.dropped`.

Files land in ``cache_dir/<hash of every input>/``, so a second build with the same inputs
(another session, another process) only checks that the files exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tts_agents.errors import MissingExtraError, TTSConfigError, map_errors
from tts_agents.redact import get_logger
from tts_agents.stt.arpa import END, START, WittenBellModel
from tts_agents.stt.phonemes import UnknownPhoneme, espeak_ipa, ipa_to_cmu
from tts_agents.stt.words import words

logger = get_logger(__name__)

#: Bump when the files this module writes change for the same inputs.
FORMAT_VERSION = 1
LM_FILE = "domain.lm"
DICT_FILE = "domain.dict"
META_FILE = "meta.json"
_QUESTION_WORDS = frozenset(
    "how what which who whom whose where when why can could do does did is are was were will "
    "would should shall may might have has".split()
)


@dataclass(frozen=True)
class ModelSettings:
    """How the domain model is made; part of the cache key."""

    order: int = 3
    background_words: int = 2000
    background_weight: float = 0.02
    #: Callers ask questions while the knowledge base states facts, so sentences that open
    #: like a question count this many times.
    question_weight: int = 5


@dataclass(frozen=True)
class DomainModel:
    """A built (or cached) domain model: files for pocketsphinx plus what was built."""

    directory: Path
    vocabulary_size: int
    dropped: tuple[str, ...]
    from_cache: bool

    @property
    def lm_path(self) -> Path:
        """The ARPA language model."""
        return self.directory / LM_FILE

    @property
    def dict_path(self) -> Path:
        """The pronunciation dictionary (CMU phones)."""
        return self.directory / DICT_FILE


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/tts-agents/stt`` (``~/.cache/tts-agents/stt`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tts-agents" / "stt"


def model_path() -> Path:
    """The English model directory inside the pocketsphinx wheel."""
    try:
        import pocketsphinx
    except ImportError as exc:
        raise MissingExtraError("speech recognition with pocketsphinx", "agent") from exc
    return Path(pocketsphinx.get_model_path()) / "en-us"


def build_domain_model(
    sentences: Sequence[str],
    *,
    cache_dir: Path | None = None,
    settings: ModelSettings = ModelSettings(),  # noqa: B008 - frozen, so a shared default is safe
) -> DomainModel:
    """The domain model for ``sentences``, from the cache when it already holds it.

    Blocking (~0.5 s on a cold cache, milliseconds on a hit): call it from a thread.
    """
    tokenized = [tokens for tokens in (words(text) for text in sentences) if tokens]
    if not tokenized:
        raise TTSConfigError("the speech recognizer needs at least one domain sentence")
    root = cache_dir or default_cache_dir()
    directory = root / _cache_key(tokenized, settings)
    meta_path = directory / META_FILE
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text("utf-8"))
        return DomainModel(directory, meta["vocabulary_size"], tuple(meta["dropped"]), True)
    return _build(tokenized, settings, root, directory)


def _build(
    tokenized: list[list[str]], settings: ModelSettings, root: Path, directory: Path
) -> DomainModel:
    dictionary = cmu_dictionary()
    background = general_unigrams(settings.background_words) if settings.background_weight else {}
    domain_words = sorted({word for tokens in tokenized for word in tokens})
    pronunciations = {word: dictionary[word] for word in domain_words if word in dictionary}
    pronunciations.update(_guess_pronunciations([w for w in domain_words if w not in dictionary]))
    dropped = tuple(word for word in domain_words if word not in pronunciations)
    for word in background:
        pronunciations.setdefault(word, dictionary[word])
    pieces = _split_at_dropped(tokenized, set(dropped))
    pieces += [p for p in pieces if p[0] in _QUESTION_WORDS] * (settings.question_weight - 1)
    model = WittenBellModel(
        pieces,
        order=settings.order,
        background={word: p for word, p in background.items() if word in pronunciations},
        background_weight=settings.background_weight,
    )
    vocabulary = [word for word in model.vocabulary if word not in (START, END)]
    lines = [
        f"{word}{'' if i == 0 else f'({i + 1})'} {phones}"
        for word in vocabulary
        for i, phones in enumerate(pronunciations[word])
    ]
    if dropped:
        logger.warning("speech model: no pronunciation for %s; left out", ", ".join(dropped))
    meta = {"vocabulary_size": len(vocabulary), "dropped": list(dropped)}
    files = {LM_FILE: model.arpa(), DICT_FILE: "\n".join(lines) + "\n", META_FILE: json.dumps(meta)}
    with map_errors("write the speech model cache"):
        _publish(files, root, directory)
    return DomainModel(directory, len(vocabulary), dropped, False)


def _publish(files: dict[str, str], root: Path, directory: Path) -> None:
    """Write ``files`` into ``directory`` all at once (a reader never sees half of them)."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, "utf-8")
        try:
            os.replace(staging, directory)
        except OSError:
            if not (directory / META_FILE).is_file():
                raise
            # A concurrent builder of the same key got there first; its files are the same.
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _guess_pronunciations(missing: list[str]) -> dict[str, list[str]]:
    guessed = {}
    for word, ipa in zip(missing, espeak_ipa(missing), strict=True):
        try:
            phones = ipa_to_cmu(ipa)
        except UnknownPhoneme:
            continue
        if phones:
            guessed[word] = [phones]
    return guessed


def _split_at_dropped(tokenized: Iterable[list[str]], dropped: set[str]) -> list[list[str]]:
    """Sentences cut where an unpronounceable word was, so no n-gram jumps over it."""
    pieces: list[list[str]] = []
    for tokens in tokenized:
        current: list[str] = []
        for word in tokens:
            if word in dropped:
                if current:
                    pieces.append(current)
                current = []
            else:
                current.append(word)
        if current:
            pieces.append(current)
    return pieces


@cache
def cmu_dictionary() -> dict[str, list[str]]:
    """The CMU dictionary in pocketsphinx: word -> its pronunciations (variants in order)."""
    entries: dict[str, list[str]] = {}
    with open(model_path() / "cmudict-en-us.dict", encoding="utf-8") as handle:
        for line in handle:
            head, _, phones = line.strip().partition(" ")
            word = head.split("(", 1)[0]
            if word and phones:
                entries.setdefault(word, []).append(phones.strip())
    return entries


def general_unigrams(count: int) -> dict[str, float]:
    """The ``count`` most probable words of the general English model, with probabilities."""
    if count <= 0:
        return {}
    from pocketsphinx import Config, LogMath, NGramModel

    logmath = LogMath()
    general = NGramModel(Config(loglevel="FATAL"), logmath, str(model_path() / "en-us.lm.bin"))
    scored = sorted(
        ((general.prob([word]), word) for word in cmu_dictionary() if "'" not in word[:1]),
        reverse=True,
    )
    return {word: logmath.exp(score) for score, word in scored[:count]}


def _cache_key(tokenized: list[list[str]], settings: ModelSettings) -> str:
    digest = hashlib.sha256()
    pronouncer = model_path() / "cmudict-en-us.dict"
    header = (FORMAT_VERSION, settings, pronouncer.stat().st_size)
    digest.update(repr(header).encode())
    for tokens in tokenized:
        digest.update(" ".join(tokens).encode() + b"\n")
    return digest.hexdigest()[:24]


__all__ = [
    "DomainModel",
    "ModelSettings",
    "build_domain_model",
    "cmu_dictionary",
    "default_cache_dir",
    "general_unigrams",
    "model_path",
]
