"""Turn detection compared on the same audio: WebRTC VAD + energy gate vs Silero VAD v6.

Six spoken questions separated by 1.5 s gaps, clean and with noise mixed in at 10 dB SNR
(white noise, and "music": a chord of drifting tones with a beat). For each detector:
turns found, false starts (an onset outside every utterance), misses, onset delay after
speech begins, end-of-speech delay (the detector's end minus the true end, end-of-turn
silence excluded), and CPU per second of audio. Run: ``python bench/bench_vad.py``.
Uses Kokoro's voice when its model is installed, else espeak-ng.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from tts_agents import TTSAgent, TTSConfig
from tts_agents.stt.silero import SileroTurnDetector
from tts_agents.stt.vad import SpeechEnded, SpeechStarted, TurnDetector

RATE = 16_000
GAP = 1.5
END_SILENCE_MS = 300
QUESTIONS = (
    "What audio formats can you make?",
    "How do I install it?",
    "Stop.",
    "Which port does the server use?",
    "Can I change the speed?",
    "Is there a health check?",
)


async def _speech() -> tuple[list[np.ndarray], str]:
    for engine in ("kokoro", "espeak"):
        try:
            async with TTSAgent(TTSConfig(engine=engine)) as agent:
                clips = []
                for text in QUESTIONS:
                    stream = agent.prepare(text, format="pcm", sample_rate=RATE)
                    pcm = b"".join([chunk.pcm async for chunk in stream.pcm()])
                    clips.append(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768)
                return clips, engine
        except Exception:  # noqa: BLE001 - fall back to espeak when kokoro is missing
            continue
    raise SystemExit("no engine")


def _trim(clip: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(clip) > 0.01)
    return clip[loud[0] : loud[-1] + 1]


def _timeline(clips: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[float, float]]]:
    parts, spans, at = [np.zeros(int(GAP * RATE), np.float32)], [], GAP
    for clip in map(_trim, clips):
        spans.append((at, at + len(clip) / RATE))
        parts += [clip, np.zeros(int(GAP * RATE), np.float32)]
        at += len(clip) / RATE + GAP
    return np.concatenate(parts), spans


def _noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "white":
        return rng.standard_normal(n).astype(np.float32)
    t = np.arange(n) / RATE
    chord = sum(np.sin(2 * np.pi * f * t * (1 + 0.002 * np.sin(t))) for f in (220, 277, 330, 440))
    beat = 0.5 + 0.5 * (np.sin(2 * np.pi * 2 * t) > 0.9)
    return (chord * beat).astype(np.float32)


def _mix(audio: np.ndarray, spans: list[tuple[float, float]], kind: str) -> np.ndarray:
    if kind == "clean":
        return audio
    speech = np.concatenate([audio[int(a * RATE) : int(b * RATE)] for a, b in spans])
    noise = _noise(kind, len(audio), np.random.default_rng(7))
    scale = np.sqrt(np.mean(speech**2) / np.mean(noise**2) / 10 ** (10 / 10))
    return np.clip(audio + scale * noise, -1, 1)


def _run(detector: object, audio: np.ndarray) -> tuple[list[tuple[float, float]], float]:
    pcm = (audio * 32767).astype("<i2").tobytes()
    step = int(0.02 * RATE) * 2
    turns, start = [], None
    cpu = time.process_time()
    for offset in range(0, len(pcm), step):
        for event in detector.feed(pcm[offset : offset + step]):  # type: ignore[attr-defined]
            if isinstance(event, SpeechStarted):
                start = event.at_ms / 1000
            elif isinstance(event, SpeechEnded) and start is not None:
                turns.append((start, event.at_ms / 1000))
                start = None
    return turns, (time.process_time() - cpu) / (len(audio) / RATE)


def _score(turns: list[tuple[float, float]], spans: list[tuple[float, float]]) -> str:
    matched, false, onset, end = set(), 0, [], []
    for a, b in turns:
        hit = [i for i, (s, e) in enumerate(spans) if a < e + 0.3 and b > s - 0.3]
        if not hit:
            false += 1
            continue
        first = min(hit)
        if first not in matched:
            onset.append(a - spans[first][0])
        matched.update(hit)
        end.append(b - spans[max(hit)][1])
    misses = len(spans) - len(matched)
    on = f"{1000 * np.mean(onset):+.0f}" if onset else "-"
    off = f"{1000 * np.mean(end):+.0f}" if end else "-"
    return f"turns {len(turns):2d}  false {false:2d}  missed {misses}  onset {on} ms  end {off} ms"


def main() -> None:
    clips, engine = asyncio.run(_speech())
    audio, spans = _timeline(clips)
    print(f"{len(spans)} utterances ({engine} voice), {len(audio) / RATE:.1f} s")
    for kind in ("clean", "white", "music"):
        mixed = _mix(audio, spans, kind)
        for name, make in (
            ("webrtc+energy", lambda: TurnDetector(end_silence_ms=END_SILENCE_MS)),
            ("silero v6", lambda: SileroTurnDetector(end_silence_ms=END_SILENCE_MS)),
        ):
            turns, cpu = _run(make(), mixed)
            print(f"{kind:6s} {name:14s} {_score(turns, spans)}  cpu {1000 * cpu:.1f} ms/s")


if __name__ == "__main__":
    main()
