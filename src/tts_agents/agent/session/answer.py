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
from collections.abc import AsyncIterator, Awaitable, Callable
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
                for frame in await self._speak(*piece):
                    await frames.put(frame)
        await frames.put(None)

    async def _speak(self, start: int, end: int) -> list[Frame]:
        if self._voice is None:
            raise RuntimeError("an answer was spoken before its voice was chosen")
        raw = self._splitter.text[start:end]
        text = raw.strip()
        if not _SPEAKABLE.search(text):
            return []
        offset = start + len(raw) - len(raw.lstrip())
        asked = self._clock()
        stream = self._voice(text)
        parts = []
        async with aclosing(stream.pcm()) as chunks:
            async for chunk in chunks:
                if self.metrics.tts_first_audio is None:
                    self.metrics.tts_first_audio = self._clock() - asked
                parts.append(chunk.pcm)
        return _frames(b"".join(parts), text, offset, stream)

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


def _frames(pcm: bytes, text: str, offset: int, stream: SpeechStream) -> list[Frame]:
    """Cut one piece's audio into frames, each with the characters that start in it."""
    rate = stream.sample_rate
    timing = alignment(text, stream.words, rate, len(pcm) // 2)
    starts = timing.character_start_times
    ends = timing.character_end_times
    step = round(FRAME_SECONDS * rate) * 2
    frames, index = [], 0
    for begin in range(0, len(pcm), step):
        frame_start = begin / 2 / rate
        frame_end = (begin + step) / 2 / rate
        first = index
        while index < len(text) and starts[index] < frame_end:
            index += 1
        if begin + step >= len(pcm):  # the last frame carries whatever is left
            index = len(text)
        block = AudioAlignment(
            chars=tuple(text[first:index]),
            char_start_times_ms=tuple(
                max(0, round((starts[i] - frame_start) * 1000)) for i in range(first, index)
            ),
            char_durations_ms=tuple(
                round((ends[i] - starts[i]) * 1000) for i in range(first, index)
            ),
        )
        frames.append(Frame(pcm[begin : begin + step], block, offset + index))
    return frames
