"""Voice agent latency: voice-to-voice and barge-in stop time over a live loopback server.

    python bench/bench_agent.py [--turns 24] [--chunk-ms 20] [--agent PATH.yaml]

Starts the real app (default help-desk agent: pocketsphinx, offline brain, espeak) in its
own process, then one scripted client talks to it over the ElevenLabs WebSocket protocol
like a microphone would: questions synthesized with espeak (16 kHz PCM16), streamed in
real time in ``--chunk-ms`` chunks on a fixed clock, silence in between.

* voice-to-voice: from the end of the user's speech (the last sample of the question
  above -40 dBFS, known exactly from the synthesized audio) to the first audio byte of
  the answer received; includes the agent's end-of-turn silence.
* interruption stop: every other question barges in 1 s into the previous answer; from
  the onset of that speech (its first loud sample) to the last audio chunk received of
  the interrupted answer.

A stream position p (seconds) is live at ``t0 + p`` and its chunk leaves at the end of
its window, as a real microphone's would. Prints p50/p95 of both, the server's own
per-turn metrics (``turn_metrics`` events) and transcripts that missed. Targets (issue
6): voice-to-voice p50 <= 450 ms and p95 <= 600 ms, interruption stop p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from websockets.asyncio.client import connect

from loopback import server_process
from tts_agents import TTSAgent
from tts_agents.server import ServerSettings
from tts_agents.server.run import load_agents

KEY = "bench-key"
RATE = 16000
QUESTIONS = [
    "What audio formats can you make?",
    "How do I install it?",
    "Does it work offline?",
    "What voices are there?",
    "How do I make it talk faster?",
    "Do you support SSML?",
    "How do I start the server?",
    "Can I interrupt you?",
    "How do I make subtitles?",
    "Is there a health check?",
    "Do you record my voice?",
    "What is a fallback chain?",
]
LOUD = 10 ** (-40 / 20) * 32768  # -40 dBFS


@dataclass
class Clip:
    """A question's audio and where its speech starts and ends (seconds)."""

    text: str
    pcm: bytes
    onset: float
    end: float


@dataclass
class Log:
    """What the client received, with arrival times."""

    audio: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    transcripts: list[str] = field(default_factory=list)
    metrics: list[dict[str, int | None]] = field(default_factory=list)
    interruptions: list[int] = field(default_factory=list)
    first_audio: asyncio.Event = field(default_factory=asyncio.Event)


async def synthesize(texts: list[str]) -> list[Clip]:
    clips = []
    async with TTSAgent() as agent:
        for index, text in enumerate(texts):
            voice = ("alloy", "echo")[index % 2]
            stream = agent.prepare(text, format="pcm", sample_rate=RATE, voice=voice)
            pcm = b"".join([chunk.pcm async for chunk in stream.pcm()])
            samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
            loud = np.flatnonzero(samples > LOUD)
            clips.append(Clip(text, pcm, loud[0] / RATE, (loud[-1] + 1) / RATE))
    return clips


class Microphone:
    """Streams silence, or queued clips, in real time on a fixed clock."""

    def __init__(self, chunk_ms: int) -> None:
        self.chunk = RATE * chunk_ms // 1000 * 2
        self.t0 = 0.0
        self.position = 0.0  # seconds streamed
        self._queue = b""

    def play(self, pcm: bytes) -> float:
        """Queue ``pcm`` after what is queued; the stream position where it starts."""
        start = self.position + len(self._queue) / 2 / RATE
        self._queue += pcm
        return start

    def live(self, position: float) -> float:
        """The wall time at which stream ``position`` was spoken."""
        return self.t0 + position

    async def run(self, ws) -> None:
        self.t0 = time.perf_counter()
        sent = 0
        while True:
            data, self._queue = self._queue[: self.chunk], self._queue[self.chunk :]
            data += bytes(self.chunk - len(data))
            sent += 1
            self.position = sent * self.chunk / 2 / RATE
            delay = self.t0 + self.position - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await ws.send(json.dumps({"user_audio_chunk": base64.b64encode(data).decode()}))


async def receive(ws, log: Log) -> None:
    async for raw in ws:
        now = time.perf_counter()
        message = json.loads(raw)
        kind = message["type"]
        if kind == "audio":
            log.audio[message["audio_event"]["event_id"]].append(now)
            log.first_audio.set()
        elif kind == "user_transcript":
            log.transcripts.append(message["user_transcription_event"]["user_transcript"])
        elif kind == "turn_metrics":
            log.metrics.append(message["turn_metrics_event"])
        elif kind == "interruption":
            log.interruptions.append(message["interruption_event"]["event_id"])
        elif kind == "ping":
            pong = {"type": "pong", "event_id": message["ping_event"]["event_id"]}
            await ws.send(json.dumps(pong))


async def converse(url: str, clips: list[Clip], turns: int, chunk_ms: int) -> dict[str, list]:
    log, mic = Log(), Microphone(chunk_ms)
    results: dict[str, list] = {"v2v": [], "stop": [], "asked": []}
    query = "/v1/convai/conversation?agent_id=help-desk"
    async with connect(
        url.replace("http", "ws") + query, additional_headers={"xi-api-key": KEY}
    ) as ws:
        init = {"agent": {"first_message": ""}}
        await ws.send(
            json.dumps(
                {
                    "type": "conversation_initiation_client_data",
                    "conversation_config_override": init,
                }
            )
        )
        tasks = [asyncio.create_task(mic.run(ws)), asyncio.create_task(receive(ws, log))]
        await asyncio.sleep(1.0)  # the noise floor settles
        answer_id = 0
        for turn in range(turns):
            clip = clips[turn % len(clips)]
            barge = turn % 2 == 1
            start = mic.play(clip.pcm)
            results["asked"].append(clip.text)
            speech_end = mic.live(start + clip.end)
            await _wait_for(lambda n=answer_id: max(log.audio, default=0) > n, speech_end + 10)
            if barge and answer_id in log.interruptions:
                onset = mic.live(start + clip.onset)
                results["stop"].append(max(0.0, log.audio[answer_id][-1] - onset))
            answer_id = max(log.audio)
            results["v2v"].append(log.audio[answer_id][0] - speech_end)
            if turn % 2 == 0:  # the next question barges in 1 s into this answer
                await asyncio.sleep(1.0)
            else:  # let this answer play out
                await _wait_quiet(log, answer_id)
        for task in tasks:
            task.cancel()
    results["server"] = log.metrics
    results["transcripts"] = log.transcripts
    return results


async def _wait_for(condition, deadline: float) -> None:
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("no answer audio")
        await asyncio.sleep(0.002)


async def _wait_quiet(log: Log, event_id: int) -> None:
    """Until the answer's audio stopped arriving and has played (paced ~real time)."""
    while True:
        quiet = 0.8 - (time.perf_counter() - log.audio[event_id][-1])
        if quiet <= 0:
            return
        await asyncio.sleep(quiet)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(name: str, values: list[float], p50: float, p95: float) -> None:
    ms = [v * 1000 for v in values]
    if not ms:
        print(f"{name}: no samples")
        return
    a, b = percentile(ms, 0.5), percentile(ms, 0.95)
    verdict = "ok" if a <= p50 and b <= p95 else "MISSED"
    print(
        f"{name:<22} n={len(ms):>3}  p50 {a:6.0f} ms  p95 {b:6.0f} ms  max {max(ms):6.0f} ms"
        f"  (targets p50 <= {p50:.0f}, p95 <= {p95:.0f}: {verdict})"
    )


def server_side(metrics: list[dict[str, int | None]]) -> None:
    for key in (
        "stt_final_ms",
        "brain_first_text_ms",
        "tts_first_audio_ms",
        "voice_to_voice_ms",
        "interruption_stop_ms",
    ):
        values = [m[key] for m in metrics if m.get(key) is not None]
        if values:
            print(
                f"  server {key:<22} p50 {statistics.median(values):6.0f}  "
                f"p95 {percentile(values, 0.95):6.0f}  n={len(values)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=24)
    parser.add_argument("--chunk-ms", type=int, default=20)
    parser.add_argument("--agent", action="append", default=[])
    args = parser.parse_args()
    settings = ServerSettings(
        api_keys=(KEY,), agents=load_agents(args.agent), requests_per_minute_per_ip=100_000
    )
    clips = asyncio.run(synthesize(QUESTIONS))
    with server_process(settings) as url:
        results = asyncio.run(converse(url, clips, args.turns, args.chunk_ms))
    print(
        f"{args.turns} turns, {args.chunk_ms} ms chunks, end-of-turn silence "
        f"{settings.agents[0].turn.end_of_turn_silence_ms} ms"
    )
    report("voice-to-voice", results["v2v"], 450, 600)
    report("interruption stop", results["stop"], 200, 200)
    server_side(results["server"])
    heard = list(zip(results["asked"], results["transcripts"], strict=False))
    missed = [(a, t) for a, t in heard if not set(a.lower().strip("?").split()) & set(t.split())]
    print(
        f"transcripts: {len(results['transcripts'])} for {len(results['asked'])} questions; "
        f"{len(missed)} share no word with the question"
    )


if __name__ == "__main__":
    main()
