"""Kokoro-82M through onnxruntime: natural neural speech, offline.

Text is phonemized by the libespeak-ng already loaded in-process (the phoneme set Kokoro
was trained on), mapped to Kokoro's alphabet and run through the model one clause group at
a time. The model's own per-phoneme durations, exposed as an extra graph output, time each
word exactly. The weights come from the models directory, verified by SHA-256 before use.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from tts_agents.config import TTSConfig
from tts_agents.engines import model_store
from tts_agents.engines.base import Capabilities, SynthesisOptions
from tts_agents.engines.espeak.phonemes import phonemize
from tts_agents.engines.kokoro.tokens import PAD, PUNCTUATION_IDS, TIE, TokenRun, tokenize
from tts_agents.engines.kokoro.voices import (
    Blend,
    describe,
    espeak_voice,
    kokoro_language,
    native_voice,
    parse_blend,
)
from tts_agents.engines.onnx import (
    Device,
    LoadedModel,
    check_onnxruntime,
    load_model,
    run,
    warn_if_slow,
)
from tts_agents.engines.pcm import chunked
from tts_agents.engines.timing import RunLayout, render
from tts_agents.engines.voice_names import generic_voice
from tts_agents.errors import TTSConfigError, VoiceNotFoundError
from tts_agents.text.segment import SegmentSizes
from tts_agents.types import AudioChunk, VoiceInfo, WordMark
from tts_agents.weights import CATALOGUE, ModelStore, check_file

SAMPLE_RATE = 24000
FRAME = 600  # samples per duration frame
_DURATIONS = "/encoder/Gather_output_0"
_LEAD = 4 * FRAME  # silence kept before the first phoneme of a run (100 ms)
_TAIL = 4 * FRAME  # and after the last (100 ms) when a clause ends there
_JOIN = FRAME  # a piece cut mid-clause flows into the next one (25 ms)
# Kokoro's cost grows with the audio of a piece: a first piece of a few words makes the
# first audio fast, and each later piece holds at most as much text as was already cut, so
# it is ready before the audio made before it has played (bench_neural: no stall at 1.8x
# real time, one core here; at 1.5x the growth would have to be smaller). A piece is split
# into model runs of at most tokens.RUN_TOKENS.
SEGMENTS = SegmentSizes((24, 400), growth=1.0)
VARIANTS = {"int8": "kokoro", "fp16": "kokoro-fp16", "fp32": "kokoro-fp32"}

_packs: dict[Path, np.ndarray] = {}
_packs_lock = threading.Lock()


class KokoroEngine:
    """Kokoro-82M v1.0 voices: 54 packs, blends, seven languages offline, word timings."""

    name = "kokoro"

    def __init__(
        self,
        *,
        store: ModelStore | None = None,
        device: Device = "auto",
        variant: str = "int8",
        threads: int | None = None,
    ) -> None:
        """Check the model files now (hashes); the session loads on first use or ``start``."""
        if variant not in VARIANTS:
            raise TTSConfigError(f"unknown Kokoro variant {variant!r}; use {', '.join(VARIANTS)}")
        self._store = store or ModelStore()
        self._voices = CATALOGUE["kokoro"]
        model = CATALOGUE[VARIANTS[variant]]
        weights = model.files[0].path
        self._model_path = self._store.require(model, [weights]) / weights
        packs = [file.path for file in self._voices.files if file.path.startswith("voices/")]
        self._store.require_present(self._voices, packs)  # hashed when a voice is first used
        self._voice_files = {file.path: file for file in self._voices.files}
        self._device: Device = device
        self._threads = threads
        self._model: LoadedModel | None = None
        self._model_lock = threading.Lock()
        self.capabilities = Capabilities(
            sample_rate=SAMPLE_RATE,
            word_timestamps=True,
            speed_range=(0.5, 2.0),
            volume=True,
            local=True,
            segments=SEGMENTS,
        )

    @classmethod
    def from_config(cls, config: TTSConfig) -> KokoroEngine:
        """The engine ``config`` describes (models dir, device, variant, threads)."""
        check_onnxruntime("kokoro")  # a missing extra fails here, naming it
        return cls(
            store=model_store(config),
            device=config.device,
            variant=config.model_variant,
            threads=config.onnx_threads,
        )

    async def start(self) -> None:
        """Load the model and run it once, so the first request is as fast as any."""
        async for _ in self.synthesize("Ready.", SynthesisOptions(voice="af_heart")):
            pass

    async def voices(self) -> list[VoiceInfo]:
        """All 54 voices, with language, gender and upstream grade."""
        return describe()

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """A Kokoro voice, a blend, an OpenAI name or an ElevenLabs premade voice id."""
        generic = generic_voice(voice)
        if generic is not None:
            blend = parse_blend(native_voice(generic.kokoro, language))
        elif "_" in voice:
            blend = parse_blend(voice.strip().lower())
        else:
            raise VoiceNotFoundError(
                "voice",
                f"unknown Kokoro voice {voice!r}: use a Kokoro voice (af_heart), a blend "
                "(af_heart+af_nova), an OpenAI name or an ElevenLabs premade voice id",
            )
        kokoro_language(language, blend)  # a language Kokoro cannot speak fails here
        return blend.id

    async def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Yield ~0.5 s chunks, each with the word marks that start in it."""
        blend = parse_blend(options.voice)
        language = kokoro_language(options.language, blend)
        pack = await asyncio.to_thread(self._pack, blend)
        clauses = await asyncio.to_thread(phonemize, text, espeak_voice(language), tie=TIE)
        model = await asyncio.to_thread(self._session)
        offset = 0
        for token_run in tokenize(clauses, language):
            pcm, marks = await self._speak(model, token_run, pack, options)
            for chunk in chunked(pcm, SAMPLE_RATE, marks, offset):
                yield chunk
            offset += len(pcm) // 2

    async def _speak(
        self, model: LoadedModel, token_run: TokenRun, pack: np.ndarray, options: SynthesisOptions
    ) -> tuple[bytes, list[WordMark]]:
        ids = np.array([[PAD, *token_run.ids, PAD]], dtype=np.int64)
        feeds = {
            "tokens": ids,
            "style": pack[min(len(token_run.ids), len(pack) - 1)].reshape(1, -1),
            "speed": np.array([options.speed], dtype=np.float32),
        }
        outputs = ["audio", model.durations] if model.durations else ["audio"]
        results, seconds = await run(model, feeds, outputs)
        audio = np.asarray(results[0], dtype=np.float32).reshape(-1)
        warn_if_slow(self.name, len(audio) / SAMPLE_RATE, seconds)
        frames = np.asarray(results[1]).reshape(-1) if model.durations else None
        positions = [1 + token for token in token_run.word_tokens]  # after the leading pad
        layout = RunLayout(ids.shape[1], 1, len(token_run.ids), token_run.words, positions)
        clause_end = token_run.ids[-1] in PUNCTUATION_IDS
        return render(
            audio,
            frames,
            layout,
            frame=FRAME,
            lead=_LEAD,
            tail=_TAIL if clause_end else _JOIN,
            volume=options.volume,
            trim_quiet=not clause_end,
        )

    def _session(self) -> LoadedModel:
        with self._model_lock:
            if self._model is None:
                self._model = load_model(
                    self._model_path,
                    extra="kokoro",
                    device=self._device,
                    threads=self._threads,
                    durations=_DURATIONS,
                )
            return self._model

    def _pack(self, blend: Blend) -> np.ndarray:
        packs = [self._load_pack(voice) * weight for voice, weight in blend.members]
        return np.sum(packs, axis=0, dtype=np.float32) if len(packs) > 1 else packs[0]

    def _load_pack(self, voice: str) -> np.ndarray:
        relative = f"voices/{voice}.bin"
        path = self._store.directory(self._voices) / relative
        with _packs_lock:
            pack = _packs.get(path)
        if pack is None:
            check_file(path, self._voice_files[relative], self._voices.name)
            pack = np.fromfile(path, dtype="<f4").reshape(-1, 256)
            with _packs_lock:
                _packs[path] = pack
        return pack

    async def aclose(self) -> None:
        """Nothing to release: the session is shared by the process."""
