"""Piper voices (VITS through onnxruntime): fast, natural, any ``.onnx`` + ``.onnx.json``.

Voices come from the catalogue (``joe``, installed with ``tts-agents models pull piper-joe``)
or from any path to a Piper ``.onnx`` model whose config sits beside it. Phonemes come from
the in-process libespeak-ng, ids from the voice's own phoneme map, noise and length scales
from its config. The model's per-phoneme durations (the graph's ``Ceil`` output) time words.
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
from tts_agents.engines.onnx import (
    Device,
    LoadedModel,
    check_onnxruntime,
    load_model,
    run,
    warn_if_slow,
)
from tts_agents.engines.pcm import chunked
from tts_agents.engines.piper.voice import PhonemeIds, PiperVoice, to_ids
from tts_agents.engines.timing import RunLayout, render
from tts_agents.engines.voice_names import generic_voice
from tts_agents.errors import TTSAPIError, TTSValidationError, VoiceNotFoundError
from tts_agents.text.segment import SegmentSizes
from tts_agents.types import AudioChunk, VoiceInfo, WordMark
from tts_agents.weights import CATALOGUE, ModelStore

HOP = 256  # samples per duration frame
_DURATIONS = "/Ceil_output_0"
SEGMENTS = SegmentSizes((32, 100, 300))
# Catalogue voices: short name -> (model name, file, gender).
CATALOGUE_VOICES = {"joe": ("piper-joe", "en_US-joe-medium.onnx", "male")}


class PiperEngine:
    """Piper voices from the catalogue or from paths."""

    name = "piper"

    def __init__(
        self,
        *,
        store: ModelStore | None = None,
        device: Device = "auto",
        threads: int | None = None,
        allow_paths: bool = True,
    ) -> None:
        """Verify the installed catalogue voices (the default is the first one installed).

        ``allow_paths=False`` refuses voices that name files: a server must not let its
        clients make it load whatever ``.onnx`` is on its disk.
        """
        self._store = store or ModelStore()
        self._device: Device = device
        self._threads = threads
        self._allow_paths = allow_paths
        self._installed: dict[str, Path] = {}
        for short, (model, file, _gender) in CATALOGUE_VOICES.items():
            spec = CATALOGUE[model]
            if self._store.status(spec).installed:
                self._installed[short] = self._store.require(spec) / file
        self._voices: dict[Path, PiperVoice] = {}
        self._models: dict[Path, LoadedModel] = {}
        self._lock = threading.Lock()
        first = next(iter(self._installed.values()), None)
        rate = self._voice(first).sample_rate if first is not None else 22050
        self.capabilities = Capabilities(
            sample_rate=rate,
            word_timestamps=True,
            speed_range=(0.5, 2.0),
            volume=True,
            local=True,
            segments=SEGMENTS,
        )

    @classmethod
    def from_config(cls, config: TTSConfig) -> PiperEngine:
        """The engine ``config`` describes (models dir, device, threads, voice files)."""
        check_onnxruntime("piper")  # a missing extra fails here, naming it
        return cls(
            store=model_store(config),
            device=config.device,
            threads=config.onnx_threads,
            allow_paths=config.allow_voice_paths,
        )

    @property
    def default_voice(self) -> str | None:
        """The voice generic names (``alloy``, ElevenLabs ids) use: the first installed."""
        return next(iter(self._installed), None)

    async def start(self) -> None:
        """Load the default voice and run it once."""
        if self.default_voice:
            async for _ in self.synthesize("Ready.", SynthesisOptions(voice=self.default_voice)):
                pass

    async def voices(self) -> list[VoiceInfo]:
        """The installed catalogue voices."""
        infos = []
        for short, path in self._installed.items():
            voice = self._voice(path)
            infos.append(
                VoiceInfo(
                    id=short,
                    name=short.capitalize(),
                    engine="piper",
                    languages=(voice.language,),
                    gender=CATALOGUE_VOICES[short][2],
                    description=f"Piper {path.stem}",
                    aliases=(path.stem,),
                )
            )
        return infos

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """A catalogue voice (``joe``), a path to a ``.onnx`` voice, or a generic name."""
        wanted = voice.strip()
        if generic_voice(wanted) is not None and self.default_voice:
            wanted = self.default_voice
        short = wanted.lower()
        if short not in CATALOGUE_VOICES and not self._allow_paths:
            raise VoiceNotFoundError(
                "voice", f"unknown voice {voice!r}: voices that name files are not accepted here"
            )
        resolved = short if short in CATALOGUE_VOICES else str(Path(wanted).expanduser())
        spoken = self._voice(self._path(resolved, voice)).language
        if language and not _same_language(language, spoken):
            raise TTSValidationError(
                "language", f"Piper voice {Path(resolved).stem!r} speaks {spoken}, not {language!r}"
            )
        return resolved

    def _path(self, voice: str, asked: str | None = None) -> Path:
        """The model file of a voice id from :meth:`resolve_voice`."""
        if voice in self._installed:
            return self._installed[voice]
        if voice in CATALOGUE_VOICES:
            model, file, _gender = CATALOGUE_VOICES[voice]
            return self._store.require(CATALOGUE[model]) / file
        path = Path(voice)
        if path.suffix == ".onnx" and path.is_file():
            return path.resolve()
        raise VoiceNotFoundError(
            "voice",
            f"unknown Piper voice {asked or voice!r}: use joe (`tts-agents models pull "
            "piper-joe`) or a path to a Piper .onnx voice with its .onnx.json beside it",
        )

    def speaks(self, language: str | None) -> bool:
        """Whether the default voice speaks ``language`` (English when not given)."""
        if not self.default_voice:
            return False
        spoken = self._voice(self._installed[self.default_voice]).language
        return _same_language(language or "en-us", spoken)

    async def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Yield ~0.5 s chunks with word marks, one model call per segment."""
        path = self._path(options.voice)
        voice = await asyncio.to_thread(self._voice, path)
        clauses = await asyncio.to_thread(phonemize, text, voice.espeak_voice)
        if not clauses:
            return
        model = await asyncio.to_thread(self._model, path)
        pcm, marks = await self._speak(model, voice, to_ids(clauses, voice), options)
        for chunk in chunked(pcm, voice.sample_rate, marks):
            yield chunk

    async def _speak(
        self,
        model: LoadedModel,
        voice: PiperVoice,
        phonemes: PhonemeIds,
        options: SynthesisOptions,
    ) -> tuple[bytes, list[WordMark]]:
        ids = np.array([phonemes.ids], dtype=np.int64)
        feeds = {
            "input": ids,
            "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
            "scales": np.array(
                [voice.noise_scale, voice.length_scale / options.speed, voice.noise_w],
                dtype=np.float32,
            ),
        }
        if voice.speakers > 1:
            feeds["sid"] = np.array([0], dtype=np.int64)
        outputs = ["output", model.durations] if model.durations else ["output"]
        results, seconds = await run(model, feeds, outputs)
        audio = np.asarray(results[0], dtype=np.float32).reshape(-1)
        warn_if_slow(self.name, len(audio) / voice.sample_rate, seconds)
        frames = np.asarray(results[1]).reshape(-1) if model.durations else None
        layout = RunLayout(
            len(phonemes.ids), phonemes.first, phonemes.last, phonemes.words, phonemes.positions
        )
        margin = voice.sample_rate // 10  # 100 ms of silence kept around the speech
        return render(
            audio, frames, layout, frame=HOP, lead=margin, tail=margin, volume=options.volume
        )

    def _voice(self, path: Path) -> PiperVoice:
        with self._lock:
            voice = self._voices.get(path)
            if voice is None:
                voice = self._voices[path] = PiperVoice.load(path)
            return voice

    def _model(self, path: Path) -> LoadedModel:
        try:
            return load_model(
                path,
                extra="piper",
                device=self._device,
                threads=self._threads,
                durations=_DURATIONS,
            )
        except TTSAPIError:
            if path in self._installed.values():
                raise
            unusable = f"{path.name!r} is not a usable Piper model"
            raise VoiceNotFoundError("voice", unusable) from None

    async def aclose(self) -> None:
        """Nothing to release: sessions are shared by the process."""


def is_piper_voice(voice: str) -> bool:
    """Whether ``voice`` names a Piper voice: a catalogue name or a ``.onnx`` model file."""
    wanted = voice.strip().lower()
    return wanted in CATALOGUE_VOICES or wanted.endswith(".onnx")


def _same_language(wanted: str, spoken: str) -> bool:
    wanted = wanted.strip().lower().replace("_", "-")
    return spoken == wanted or spoken.split("-")[0] == wanted
