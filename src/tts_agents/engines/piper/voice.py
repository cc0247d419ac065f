"""A Piper voice: its ``.onnx.json`` config, and phonemes turned into the model's ids."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tts_agents.engines.espeak.phonemes import PhonemeClause
from tts_agents.errors import TTSValidationError

BOS, EOS, PAD = "^", "$", "_"


@dataclass(frozen=True)
class PiperVoice:
    """What a voice's config says: rate, espeak voice, scales and the phoneme id map."""

    model: Path
    sample_rate: int
    espeak_voice: str
    language: str
    noise_scale: float
    length_scale: float
    noise_w: float
    id_map: dict[str, list[int]]
    speakers: int

    @classmethod
    def load(cls, model: Path) -> PiperVoice:
        """Read ``model``'s config (``<model>.json``); errors name the file and the problem."""
        config_path = model.with_name(model.name + ".json")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
            inference = config.get("inference", {})
            if config.get("phoneme_type", "espeak") != "espeak":
                raise ValueError(f"phoneme_type {config['phoneme_type']!r} is not supported")
            language = config.get("language", {}).get("code") or config["espeak"]["voice"]
            return cls(
                model=model,
                sample_rate=int(config["audio"]["sample_rate"]),
                espeak_voice=str(config["espeak"]["voice"]),
                language=str(language).replace("_", "-").lower(),
                noise_scale=float(inference.get("noise_scale", 0.667)),
                length_scale=float(inference.get("length_scale", 1.0)),
                noise_w=float(inference.get("noise_w", 0.8)),
                id_map={str(k): [int(i) for i in v] for k, v in config["phoneme_id_map"].items()},
                speakers=int(config.get("num_speakers", 1)),
            )
        except OSError:
            raise TTSValidationError(
                "voice", f"Piper voice {model.name!r} needs its config {config_path.name!r}"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TTSValidationError(
                "voice", f"{config_path.name!r} is not a usable Piper config: {exc}"
            ) from None


@dataclass(frozen=True, slots=True)
class PhonemeIds:
    """Model input ids and, for each word, the position of its first phoneme id."""

    ids: tuple[int, ...]
    words: tuple[tuple[int, int], ...]
    positions: tuple[int, ...]
    first: int  # position of the first phoneme (after BOS and its pad)
    last: int  # position of the last phoneme


def to_ids(clauses: Sequence[PhonemeClause], voice: PiperVoice) -> PhonemeIds:
    """Piper's input: BOS, each phoneme followed by a pad, EOS; spaces and punctuation kept."""
    id_map = voice.id_map
    ids = [*id_map[BOS], *id_map[PAD]]
    first = len(ids)
    words: list[tuple[int, int]] = []
    positions: list[int] = []

    def add(phonemes: str) -> None:
        for char in unicodedata.normalize("NFD", phonemes):
            if char in id_map:
                ids.extend(id_map[char])
                ids.extend(id_map[PAD])

    for number, clause in enumerate(clauses):
        if number:
            add(" ")
        for index, word in enumerate(clause.words):
            if index and not word.joined:
                add(" ")
            words.append((word.start, word.end))
            positions.append(len(ids))
            add(word.phonemes)
        add(clause.punctuation)
    last = max(first, len(ids) - 2)
    ids.extend(id_map[EOS])
    return PhonemeIds(tuple(ids), tuple(words), tuple(positions), first, last)


__all__ = ["PhonemeIds", "PiperVoice", "to_ids"]
