"""Offline speech-to-text with pocketsphinx, decoding while the user is still speaking.

Each recognizer owns one decoder (two with ``general_fallback``) and one worker thread:
audio is decoded as it arrives, so when the user stops only the last few frames and the
final pass remain (``finish`` takes milliseconds). pocketsphinx holds the GIL while it
decodes, so the worker feeds it in slices of ``_SLICE_BYTES`` (a few ms of CPU each); the
event loop gets the GIL back between slices instead of waiting out a whole second of audio.

Building a decoder for a domain model takes only ~20-40 ms, but the factory still keeps up
to ``_MAX_IDLE`` decoders that closed sessions gave back, and one built in advance, so a new
session never waits for one.

A decoder's cepstral mean (the long-term spectrum of the speaker and microphone) adapts
from utterance to utterance; a fresh decoder starts from the factory's running estimate of
it, learned from earlier sessions, because a poor first estimate costs far more accuracy
than the rest of the first utterance.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from tts_agents.errors import TTSAPIError, TTSValidationError
from tts_agents.stt.base import Transcript
from tts_agents.stt.domain_model import DomainModel, model_path

_T = TypeVar("_T")
SAMPLE_RATE = 16_000
_SLICE_BYTES = 1_280  # 40 ms of audio per decoder call: a few ms of GIL at a time
_BACKLOG = 50  # queued feeds before feed() waits for the decoder (backpressure)
_MAX_IDLE = 2
#: Cepstral mean to start from before any speech was heard: ordinary speech at a normal
#: level (pocketsphinx's own default, c0 = 40, suits much quieter input).
DEFAULT_CMN = "50,3,-1"
#: No second "flat" pass at the end of an utterance: it re-decodes the whole utterance
#: (100-300 ms inside finish()) and made no measurable difference to the domain model's WER.
#: Eight Gaussians per senone instead of four: ~2 points less WER for ~25% more CPU.
_DECODER_DEFAULTS: dict[str, Any] = {"fwdflat": False, "topn": 8}
_FILLERS = ("<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]")


class PocketsphinxFactory:
    """Makes recognizers that share one domain model (see :mod:`.domain_model`)."""

    def __init__(
        self, model: DomainModel | None, *, general_fallback: bool = False, **decoder_options: Any
    ) -> None:
        """``model=None`` decodes with pocketsphinx's general English model instead.

        ``general_fallback=True`` also decodes every utterance with the general model and
        keeps whichever hypothesis scores better, so out-of-domain speech ("the weather is
        nice") is not forced into domain words. It costs ~5x the CPU of the domain model
        alone (see bench/bench_stt_wer.py), which is why it is off by default.
        """
        self.model = model
        self.general = PocketsphinxFactory(None) if general_fallback and model else None
        self._options = decoder_options
        self._cmn = DEFAULT_CMN
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def create(self) -> PocketsphinxRecognizer:
        """A recognizer for one session; it gets its decoders on its own thread at once."""
        return PocketsphinxRecognizer(self)

    def prewarm(self) -> None:
        """Build decoders now (blocking), so a bad model fails here, not in a session."""
        self.release_decoders(self.acquire_decoders())

    def acquire_decoders(self) -> list[Any]:
        """The domain decoder, then the general one if enabled (idle ones first; blocking)."""
        decoders = [self._acquire()]
        if self.general is not None:
            decoders += self.general.acquire_decoders()
        return decoders

    def release_decoders(self, decoders: list[Any]) -> None:
        """Take back decoders that are not in an utterance, for the next session."""
        with self._lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(decoders[0])
        if self.general is not None:
            self.general.release_decoders(decoders[1:])

    async def aclose(self) -> None:
        """Drop the idle decoders (sessions still open keep theirs)."""
        with self._lock:
            self._idle.clear()
        if self.general is not None:
            await self.general.aclose()

    def learn_cmn(self, cmn: str) -> None:
        """Remember a decoder's adapted cepstral mean as the start for new decoders."""
        with self._lock:
            self._cmn = cmn

    def _acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        from pocketsphinx import Decoder

        options: dict[str, Any] = {"samprate": SAMPLE_RATE, "loglevel": "FATAL"}
        options |= _DECODER_DEFAULTS
        if self.model is not None:
            options |= {
                "hmm": str(model_path() / "en-us"),
                "lm": str(self.model.lm_path),
                "dict": str(self.model.dict_path),
            }
        with self._lock:
            options["cmninit"] = self._cmn
        try:
            return Decoder(**(options | self._options))
        except (RuntimeError, ValueError) as exc:
            raise TTSAPIError(f"pocketsphinx could not load its model: {exc}") from exc


class PocketsphinxRecognizer:
    """One session's recognizer: one utterance at a time, decoded incrementally."""

    def __init__(self, factory: PocketsphinxFactory) -> None:
        self._factory = factory
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        self._decoders = self._worker.submit(factory.acquire_decoders)
        self._pending: deque[Future[None]] = deque()
        self._in_utterance = False  # loop side: between start() and finish()/cancel()
        self._decoding = False  # worker side: between start_utt() and end_utt()
        self._odd_byte = b""
        self._closed = False

    async def start(self) -> None:
        """Begin an utterance (an unfinished one is discarded)."""
        self._check_open()
        self._in_utterance = True
        self._odd_byte = b""
        await self._call(self._start_utterance)

    async def feed(self, pcm16: bytes) -> None:
        """Queue 16 kHz mono s16le audio for decoding; returns before it is decoded."""
        self._check_open()
        if not self._in_utterance:
            await self.start()
        data = self._odd_byte + pcm16
        cut = len(data) - len(data) % 2
        self._odd_byte = data[cut:]
        if cut:
            self._pending.append(self._worker.submit(self._decode, data[:cut]))
        await self._drain(_BACKLOG)

    async def partial(self) -> str:
        """The hypothesis so far ("" before any word is recognized)."""
        self._check_open()
        if not self._in_utterance:
            return ""
        return await self._call(self._hypothesis)

    async def pause(self) -> None:
        """Nothing to do early: the result is ready when the utterance ends."""

    async def finish(self) -> Transcript:
        """End the utterance and return its transcript."""
        self._check_open()
        if not self._in_utterance:
            raise TTSValidationError("utterance", "finish() called without start()")
        self._in_utterance = False
        self._odd_byte = b""
        return await self._call(self._end_utterance)

    async def cancel(self) -> None:
        """Drop the current utterance, if any."""
        if self._closed or not self._in_utterance:
            return
        self._in_utterance = False
        self._odd_byte = b""
        await self._call(self._abandon)

    async def aclose(self) -> None:
        """Give the decoders back to the factory and stop the worker thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()  # queued work still runs, in order, before the hand-back
        if self._in_utterance:
            self._in_utterance = False
            self._worker.submit(self._abandon)
        self._worker.submit(self._give_back)
        await asyncio.to_thread(self._worker.shutdown, wait=True)
        # The decoders are the factory's again (or nobody's): let go of them now, not when
        # a session's reference cycles are collected (~7 MB of native memory each).
        self._decoders = _NO_DECODERS

    # -- the event loop side ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise TTSValidationError("recognizer", "is closed")

    async def _call(self, function: Callable[[], _T]) -> _T:
        """Run ``function`` on the worker after everything queued before it."""
        await self._drain(0)
        return await asyncio.wrap_future(self._worker.submit(function))

    async def _drain(self, keep: int) -> None:
        while len(self._pending) > keep or (self._pending and self._pending[0].done()):
            await asyncio.wrap_future(self._pending.popleft())

    # -- the worker side (the decoders are touched only here) ----------------------------------

    def _start_utterance(self) -> None:
        for decoder in self._decoders.result():
            if self._decoding:
                decoder.end_utt()
            decoder.start_utt()
        self._decoding = True

    def _decode(self, data: bytes) -> None:
        decoders = self._decoders.result()
        for offset in range(0, len(data), _SLICE_BYTES):
            for decoder in decoders:
                decoder.process_raw(data[offset : offset + _SLICE_BYTES])

    def _hypothesis(self) -> str:
        hypothesis = self._decoders.result()[0].hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def _end_utterance(self) -> Transcript:
        decoders = self._decoders.result()
        for decoder in decoders:
            decoder.end_utt()
        self._decoding = False
        self._factory.learn_cmn(decoders[0].get_cmn())
        if self._factory.general is not None:
            self._factory.general.learn_cmn(decoders[1].get_cmn())
        # Both decoders share the acoustic model, so their path scores (acoustic plus
        # weighted language model) say which language model explains the audio better.
        scored = [(decoder.hyp(), decoder) for decoder in decoders]
        hypothesis, best = max(scored, key=lambda pair: _score(pair[0]))
        if hypothesis is None or not hypothesis.hypstr:
            return Transcript("", None)
        # The mean of the words' posteriors: a garbled out-of-domain guess scores low even
        # when the sentence as a whole was the best the model could do.
        posteriors = [seg.prob for seg in best.seg() if seg.word.split("(")[0] not in _FILLERS]
        if not posteriors:
            return Transcript(hypothesis.hypstr, None)
        # pocketsphinx's log-domain arithmetic can land a hair above 1.0.
        mean = sum(posteriors) / len(posteriors)
        return Transcript(hypothesis.hypstr, min(1.0, max(0.0, mean)))

    def _give_back(self) -> None:
        if self._decoders.exception() is None and not self._decoding:
            self._factory.release_decoders(self._decoders.result())

    def _abandon(self) -> None:
        if self._decoding:
            for decoder in self._decoders.result():
                decoder.end_utt()
            self._decoding = False


_NO_DECODERS: Future[list[Any]] = Future()
_NO_DECODERS.set_result([])


def _score(hypothesis: Any) -> float:
    return float("-inf") if hypothesis is None else float(hypothesis.score)


__all__ = ["DEFAULT_CMN", "PocketsphinxFactory", "PocketsphinxRecognizer"]
