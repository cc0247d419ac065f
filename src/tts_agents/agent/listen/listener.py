"""The user's side of a conversation: audio in, speech onsets, partial and final transcripts.

Audio chunks go through the turn detector (VAD) and, while the user speaks, into the
recognizer, which decodes as the audio arrives, so the final transcript is ready moments
after the end-of-turn silence. An onset is reported through ``on_onset`` the moment the
detector sees it, before any recognizer work, so a barge-in stops the agent's audio at
once. The detector reports an onset a little after speech began, so recent audio is kept
and fed from just before the onset. Partial transcripts are read at most every
``tentative_interval`` seconds; a turn longer than ``max_turn`` seconds is cut there.
After ``PAUSE_MS`` of quiet within a turn the recognizer hears ``pause()``, so one that
decodes whole utterances (Whisper) starts its final decode before the turn has ended.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tts_agents.agent.protocol import SAMPLE_RATE
from tts_agents.agent.session.metrics import StreamClock
from tts_agents.stt import Recognizer, create_turn_detector
from tts_agents.stt.vad import SpeechStarted

PREROLL = 0.3  # seconds fed to the recognizer from before the detected onset
PAUSE_MS = 120  # quiet within a turn before the recognizer may start its final decode
_BYTES_PER_SECOND = SAMPLE_RATE * 2


@dataclass(frozen=True)
class SpeechOnset:
    """The user started speaking at wall time ``at``."""

    at: float


@dataclass(frozen=True)
class PartialTranscript:
    """The recognizer's current hypothesis changed."""

    text: str


@dataclass(frozen=True)
class Utterance:
    """The user finished a turn: speech from ``started`` to ``ended`` (wall times).

    ``transcribed`` is when the transcript was ready. ``speech`` is how long the user
    spoke, in seconds of audio: the wall times squeeze together when buffered audio
    arrives in a burst (a stalled network or server), so only this says how much was said.
    """

    text: str
    started: float
    ended: float
    transcribed: float
    speech: float


HeardEvent = PartialTranscript | Utterance


class UserListener:
    """Feeds one session's audio through VAD and STT and says what it heard."""

    def __init__(
        self,
        recognizer: Recognizer,
        *,
        end_silence_ms: int,
        on_onset: Callable[[SpeechOnset], None],
        max_turn: float = 30.0,
        tentative_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        vad: str = "auto",
    ) -> None:
        self.stream = StreamClock()
        self._recognizer = recognizer
        self._detector = create_turn_detector(vad, end_silence_ms=end_silence_ms)
        self._origin = 0.0  # stream position where the detectors' time starts
        self._on_onset = on_onset
        self._max_turn = max_turn
        self._interval = tentative_interval
        self._clock = clock
        self._recent: deque[bytes] = deque()
        self._recent_bytes = 0
        self._speech_started: float | None = None  # wall time of the onset
        self._onset = 0.0  # stream position of the onset
        self._partial = ""
        self._partial_read = 0.0
        self._paused_at: int | None = None  # detector time of the speech end last paused on

    @property
    def speaking(self) -> bool:
        """True between a speech onset and the end of that turn."""
        return self._speech_started is not None

    @property
    def speech_seconds(self) -> float:
        """Seconds of audio since the onset (0 when the user is silent)."""
        if self._speech_started is None:
            return 0.0
        return max(0.0, self.stream.position - self._onset)

    @property
    def partial(self) -> str:
        """The latest partial transcript of the current speech."""
        return self._partial

    async def feed(self, pcm: bytes) -> list[HeardEvent]:
        """Take a chunk of 16 kHz PCM16; the transcripts it completed, in order."""
        self.stream.advance(len(pcm) / _BYTES_PER_SECOND, self._clock())
        self._remember(pcm)
        events = self._detector.feed(pcm)
        for event in events:  # barge-in first: nothing below may delay it
            if isinstance(event, SpeechStarted):
                self._on_onset(SpeechOnset(self.stream.wall(self._position(event.at_ms))))
        heard: list[HeardEvent] = []
        if self.speaking:
            await self._recognizer.feed(pcm)
        for event in events:
            if isinstance(event, SpeechStarted):
                await self._start(event)
            elif self.speaking:
                if event.at_ms != self._paused_at:  # speech since the last pause hint
                    await self._recognizer.pause()
                heard.append(await self._finish(self._position(event.at_ms)))
        if self.speaking:
            await self._notice_pause()
        if self.speaking and self.speech_seconds > self._max_turn:
            await self._recognizer.pause()  # all speech so far is the turn
            heard.append(await self._finish(self.stream.position))
            self._origin = self.stream.position  # listen afresh from here
            self._detector.reset()
        elif (
            self.speaking
            and self._detector.silence_ms == 0  # a pause may end the turn: no new partial
            and self._clock() - self._partial_read >= self._interval
        ):
            heard.extend(await self._read_partial())
        return heard

    async def aclose(self) -> None:
        """Release the recognizer."""
        await self._recognizer.aclose()

    async def _notice_pause(self) -> None:
        """Tell the recognizer once per pause; speech after it re-arms the hint."""
        detector = self._detector
        speech_end = detector.stream_ms - detector.silence_ms
        if detector.silence_ms >= PAUSE_MS and speech_end != self._paused_at:
            self._paused_at = speech_end
            await self._recognizer.pause()

    def _position(self, at_ms: int) -> float:
        return self._origin + at_ms / 1000

    async def _start(self, event: SpeechStarted) -> None:
        onset = self._onset = self._position(event.at_ms)
        self._speech_started = self.stream.wall(onset)
        self._partial = ""
        self._paused_at = None
        self._partial_read = self._clock()
        await self._recognizer.start()
        await self._recognizer.feed(self._since(onset - PREROLL))

    async def _finish(self, end: float) -> Utterance:
        started = self._speech_started if self._speech_started is not None else self._clock()
        self._speech_started = None
        transcript = await self._recognizer.finish()
        self._partial = ""
        text = transcript.text.strip()
        return Utterance(text, started, self.stream.wall(end), self._clock(), end - self._onset)

    async def _read_partial(self) -> list[HeardEvent]:
        self._partial_read = self._clock()
        text = (await self._recognizer.partial()).strip()
        if not text or text == self._partial:
            return []
        self._partial = text
        return [PartialTranscript(text)]

    def _remember(self, pcm: bytes) -> None:
        self._recent.append(pcm)
        self._recent_bytes += len(pcm)
        limit = int(PREROLL * 2 * _BYTES_PER_SECOND)
        while self._recent and self._recent_bytes - len(self._recent[0]) >= limit:
            self._recent_bytes -= len(self._recent.popleft())

    def _since(self, position: float) -> bytes:
        """The remembered audio from stream ``position`` (seconds) to now."""
        held = b"".join(self._recent)
        skip = round((self.stream.position - position) * _BYTES_PER_SECOND)
        skip = min(max(skip - skip % 2, 0), len(held))
        return held[len(held) - skip :] if skip else b""
