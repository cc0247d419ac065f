"""One agent answer: brain text -> sentences -> speech -> paced ``audio`` events.

Text streams in from the brain and is cut into pieces as it arrives (the first piece is a
short clause, so speech starts after a few words); each piece is synthesized to 16 kHz
PCM and sent in small frames, paced to real time a little ahead of the client's playback.
Synthesis runs ahead of sending, so a slow piece never leaves a gap. Cancelling
:meth:`SpokenAnswer.speak` stops the brain, the synthesis and the sending at once; what
the client heard until then is :meth:`SpokenAnswer.heard_text`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from tts_agents.agent import protocol
from tts_agents.agent.protocol import AudioAlignment
from tts_agents.agent.session.metrics import TurnMetrics
from tts_agents.agent.session.pacing import AudioPacer
from tts_agents.agent.session.turn_rules import SentenceSplitter, cut_at_word
from tts_agents.subtitling import alignment
from tts_agents.synthesis import SpeechStream
from tts_agents.types import WordMark

FRAME_SECONDS = 0.1
QUEUED_FRAMES = 100  # synthesis may run this far ahead of sending (10 s of audio)
_SPEAKABLE = re.compile(r"\w")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Voice = Callable[[str], SpeechStream]  # text -> a 16 kHz PCM speech stream


@dataclass(frozen=True)
class Frame:
    """Audio to send; once sent, the answer's text up to ``text_end`` counts as spoken."""

    pcm: bytes
    alignment: AudioAlignment
    text_end: int

    @property
    def seconds(self) -> float:
        """Duration of the frame."""
        return len(self.pcm) / 2 / protocol.SAMPLE_RATE


class SpokenAnswer:
    """Speaks one answer under ``event_id``; ``voice=None`` is text-only (no audio).

    ``text_source`` yields text pieces (strings); the answer's ``agent_response`` goes out
    once the source is done. Timing lands in ``metrics``; ``speech_end`` (the wall time
    the user stopped speaking, for a spoken question) makes it measure voice-to-voice;
    ``on_first_audio`` is awaited once the first frame went out.
    """

    def __init__(
        self,
        event_id: int,
        *,
        send: Send,
        pacer: AudioPacer,
        voice: Voice | None,
        metrics: TurnMetrics,
        speech_end: float | None = None,
        on_first_audio: Callable[[SpokenAnswer], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.event_id = event_id
        self.metrics = metrics
        self.speech_end = speech_end
        self.reported = False  # the owner's flag: metrics sent to the client
        self.first_audio_at: float | None = None
        self.last_audio_at: float | None = None
        self.response_sent = False
        self._send = send
        self._on_first_audio = on_first_audio
        self._pacer = pacer
        self._voice = voice
        self._clock = clock
        self._splitter = SentenceSplitter()
        self._sent: list[tuple[float, int]] = []  # (audio seconds before a frame, its text_end)
        self._sent_seconds = 0.0

    @property
    def text(self) -> str:
        """The answer's text so far (all of it once the source is done)."""
        return self._splitter.text.strip()

    def heard_text(self, unplayed: float) -> str:
        """The text whose audio the client started to play.

        ``unplayed`` seconds of what was sent are still in the client's buffer. In
        text-only mode this is the whole text.
        """
        if self._voice is None:
            return self.text
        played = self._sent_seconds - unplayed
        end = 0
        for start, text_end in self._sent:
            if start >= played:
                break
            end = text_end
        return cut_at_word(self._splitter.text, end)

    async def speak(self, text_source: AsyncIterator[str]) -> None:
        """Run the answer to its end: every frame sent (returns before playback ends).

        Three stages run at once: text into pieces, pieces into audio frames, frames to
        the client; the first failure ends them all.
        """
        pieces: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        frames: asyncio.Queue[Frame | None] = asyncio.Queue(QUEUED_FRAMES)
        stages = [
            asyncio.ensure_future(self._read(text_source, pieces)),
            asyncio.ensure_future(self._synthesize(pieces, frames)),
            asyncio.ensure_future(self._deliver(frames)),
        ]
        try:
            done, _ = await asyncio.wait(stages, return_when=asyncio.FIRST_EXCEPTION)
            for stage in done:
                stage.result()
        finally:
            for stage in stages:
                stage.cancel()
            await asyncio.wait(stages)

    async def _read(
        self, text_source: AsyncIterator[str], pieces: asyncio.Queue[tuple[int, int] | None]
    ) -> None:
        started = self._clock()
        async with aclosing(text_source) as texts:
            async for text in texts:
                if self.metrics.brain_first_text is None and text.strip():
                    self.metrics.brain_first_text = self._clock() - started
                for piece in self._splitter.push(text):
                    pieces.put_nowait(piece)
        tail = self._splitter.flush()
        if tail is not None:
            pieces.put_nowait(tail)
        pieces.put_nowait(None)
        if self.text:  # the whole text is known: say it now, as audio follows
            await self._send(protocol.agent_response(self.text, self.event_id))
            self.response_sent = True

    async def _synthesize(
        self, pieces: asyncio.Queue[tuple[int, int] | None], frames: asyncio.Queue[Frame | None]
    ) -> None:
        while (piece := await pieces.get()) is not None:
            if self._voice is not None:
                await self._speak(*piece, frames)
        await frames.put(None)

    async def _speak(self, start: int, end: int, frames: asyncio.Queue[Frame | None]) -> None:
        """Queue a piece's frames as its audio streams in (a neural voice takes a while)."""
        if self._voice is None:
            raise RuntimeError("an answer was spoken before its voice was chosen")
        raw = self._splitter.text[start:end]
        text = raw.strip()
        if not _SPEAKABLE.search(text):
            return
        asked = self._clock()
        stream = self._voice(text)
        framer = _Framer(text, start + len(raw) - len(raw.lstrip()), stream.sample_rate)
        pcm = bytearray()
        async with aclosing(stream.pcm()) as chunks:
            async for chunk in chunks:
                if self.metrics.tts_first_audio is None:
                    self.metrics.tts_first_audio = self._clock() - asked
                pcm += chunk.pcm
                for frame in framer.take(bytes(pcm), stream.words, final=False):
                    await frames.put(frame)
        for frame in framer.take(bytes(pcm), stream.words, final=True):
            await frames.put(frame)

    async def _deliver(self, queue: asyncio.Queue[Frame | None]) -> None:
        while (frame := await queue.get()) is not None:
            await self._pacer.wait_to_send()
            await self._send(protocol.audio(frame.pcm, self.event_id, frame.alignment))
            self.last_audio_at = self._clock()
            self._pacer.sent(frame.seconds)
            self._sent.append((self._sent_seconds, frame.text_end))
            self._sent_seconds += frame.seconds
            if self.first_audio_at is None:
                await self._first_audio()

    async def _first_audio(self) -> None:
        self.first_audio_at = self.last_audio_at
        if self.speech_end is not None and self.first_audio_at is not None:
            self.metrics.voice_to_voice = max(0.0, self.first_audio_at - self.speech_end)
        if self._on_first_audio is not None:
            await self._on_first_audio(self)


class _Framer:
    """Cuts one piece's growing audio into frames, each with the characters that start in it.

    A character's timing is final once the word after it has begun, so until the audio ends
    frames stop at the start of the latest word heard (about one word behind the engine).
    """

    def __init__(self, text: str, offset: int, rate: int) -> None:
        self.text = text
        self.offset = offset
        self.rate = rate
        self.step = round(FRAME_SECONDS * rate) * 2
        self.done = 0  # bytes already framed
        self.index = 0  # characters already framed

    def take(self, pcm: bytes, words: Sequence[WordMark], *, final: bool) -> list[Frame]:
        """The frames that became ready; with ``final`` every byte that is left."""
        limit = len(pcm) if final else (words[-1].sample * 2 if words else 0)
        if self.done + (1 if final else self.step) > limit:
            return []
        timing = alignment(self.text, words, self.rate, len(pcm) // 2)
        starts, ends = timing.character_start_times, timing.character_end_times
        frames = []
        while self.done + (1 if final else self.step) <= limit:
            begin = self.done
            frame_start, frame_end = begin / 2 / self.rate, (begin + self.step) / 2 / self.rate
            first = self.index
            while self.index < len(self.text) and starts[self.index] < frame_end:
                self.index += 1
            if final and begin + self.step >= len(pcm):  # the last frame carries the rest
                self.index = len(self.text)
            block = AudioAlignment(
                chars=tuple(self.text[first : self.index]),
                char_start_times_ms=tuple(
                    max(0, round((starts[i] - frame_start) * 1000))
                    for i in range(first, self.index)
                ),
                char_durations_ms=tuple(
                    round((ends[i] - starts[i]) * 1000) for i in range(first, self.index)
                ),
            )
            frames.append(Frame(pcm[begin : begin + self.step], block, self.offset + self.index))
            self.done += self.step
        return frames
