"""Neural voices: our Kokoro and Piper engines against plain onnxruntime, latency, memory, server.

    tts-agents models pull kokoro piper-joe
    python bench/bench_neural.py [--rounds 3] [--clients 8] [--skip-server]

Everything in one run on the same texts, so ratios hold on a noisy shared machine:
  * engine vs plain onnxruntime: the same model and text; "plain" phonemizes up front (not
    timed) and calls ``session.run`` on runs of up to 510 tokens, as kokoro-onnx does, and
    again on runs the size ours uses (the engine's own overhead); ours is the library's PCM
    stream (phonemes, pieces, trimming, timings included). Ratio = plain time / our time.
  * first audio of a 2,000-character text (warm, median), and the real-time factor;
  * intra-op threads 1 vs all cores for one stream;
  * peak RSS of one process with one engine loaded speaking the text (a child process);
  * the server with the default engine: 8 concurrent clients, each streaming a paragraph
    as PCM; TTFB, throughput, errors, and stalls (a stream whose received audio falls more
    than 0.3 s behind real time after its first byte), for 2 workers x 2 threads (the
    default: idle threads sleep), 2 x 1 and 1 x 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from contextlib import aclosing
from pathlib import Path

import httpx
import numpy as np

from loopback import server_process
from tts_agents import TTSAgent, TTSConfig
from tts_agents.engines import model_store
from tts_agents.engines.espeak.phonemes import phonemize
from tts_agents.engines.kokoro.tokens import RUN_TOKENS, tokenize
from tts_agents.engines.onnx import onnxruntime
from tts_agents.engines.piper.voice import PiperVoice, to_ids
from tts_agents.server import ServerSettings
from tts_agents.weights import get_spec

PARAGRAPH = (
    "Please tell me the weather forecast for tomorrow in London. I would like to know "
    "whether it will rain in the afternoon, and if I need an umbrella for the walk home. "
    "The library opens at nine in the morning on weekdays, and the train to the city "
    "leaves from the second platform. "
)
TEXT = (PARAGRAPH * 8)[:2000]
KEY = "bench-key"


def plain_session(path: Path, threads: int) -> object:
    ort = onnxruntime("bench")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def kokoro_runs(limit: int) -> list[np.ndarray]:
    clauses = phonemize(TEXT, "en-us", tie="^")
    return [
        np.array([[0, *run.ids, 0]], dtype=np.int64) for run in tokenize(clauses, "en-us", limit)
    ]


def plain_kokoro(session: object, runs: list[np.ndarray], pack: np.ndarray) -> tuple[float, float]:
    began = time.perf_counter()
    samples = 0
    for ids in runs:
        feeds = {
            "tokens": ids,
            "style": pack[ids.shape[1] - 2].reshape(1, -1),
            "speed": np.ones(1, dtype=np.float32),
        }
        samples += session.run(["audio"], feeds)[0].size  # type: ignore[attr-defined]
    return time.perf_counter() - began, samples / 24000


async def ours(agent: TTSAgent, voice: str) -> tuple[float, float, float]:
    """Wall seconds, audio seconds and first-chunk seconds of the whole text."""
    began = time.perf_counter()
    first = None
    stream = agent.prepare(TEXT, voice=voice, format="pcm", collect_words=False)
    async with aclosing(stream.pcm()) as chunks:
        async for _ in chunks:
            first = first if first is not None else time.perf_counter() - began
    return time.perf_counter() - began, stream.duration, first or 0.0


async def first_audio(agent: TTSAgent, voice: str, fmt: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        stream = agent.prepare(TEXT, voice=voice, format=fmt, collect_words=False)
        async with aclosing(stream.encoded()) as chunks:
            async for _ in chunks:
                times.append(time.perf_counter() - began)
                break
    return statistics.median(times)


async def bench_kokoro(rounds: int, threads: int) -> None:
    store = model_store(TTSConfig())
    directory = store.require(get_spec("kokoro"))
    session = plain_session(directory / "kokoro-v1.0.int8.onnx", threads)
    pack = np.fromfile(directory / "voices/af_heart.bin", dtype="<f4").reshape(-1, 256)
    big, same = kokoro_runs(510), kokoro_runs(RUN_TOKENS)
    config = TTSConfig(engine="kokoro", onnx_threads=threads)
    async with TTSAgent(config) as agent:
        await agent.generate_speech("Warm up.", format="pcm")
        plain_big, plain_same, mine = [], [], []
        audio = 0.0
        for _ in range(rounds):  # interleaved, so load changes hit all three alike
            plain_big.append(plain_kokoro(session, big, pack)[0])
            plain_same.append(plain_kokoro(session, same, pack)[0])
            wall, audio, _ = await ours(agent, "af_heart")
            mine.append(wall)
        ours_median = statistics.median(mine)
        print(
            f"kokoro, {threads} threads: our engine {ours_median:.2f} s for {audio:.1f} s audio "
            f"({audio / ours_median:.2f}x real time)"
        )
        print(
            f"  plain onnxruntime, runs <= 510 tokens: {statistics.median(plain_big):.2f} s -> "
            f"ratio {statistics.median(plain_big) / ours_median:.2f}x (target >= 0.95)"
        )
        print(
            f"  plain onnxruntime, our run sizes:      {statistics.median(plain_same):.2f} s -> "
            f"ratio {statistics.median(plain_same) / ours_median:.2f}x"
        )
        for fmt in ("pcm", "mp3"):
            seconds = await first_audio(agent, "af_heart", fmt, max(rounds, 5))
            print(
                f"  first audio of 2,000 characters ({fmt}), median: {seconds * 1000:.0f} ms "
                "(target <= 600)"
            )


async def bench_piper(rounds: int, threads: int) -> None:
    store = model_store(TTSConfig())
    model = store.require(get_spec("piper-joe")) / "en_US-joe-medium.onnx"
    session = plain_session(model, threads)
    voice = PiperVoice.load(model)
    phonemes = to_ids(phonemize(TEXT, voice.espeak_voice), voice)
    ids = np.array([phonemes.ids], dtype=np.int64)
    feeds = {
        "input": ids,
        "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
        "scales": np.array([voice.noise_scale, voice.length_scale, voice.noise_w], np.float32),
    }
    config = TTSConfig(engine="piper", onnx_threads=threads)
    async with TTSAgent(config) as agent:
        await agent.generate_speech("Warm up.", voice="joe", format="pcm")
        plain, mine = [], []
        audio = plain_audio = 0.0
        for _ in range(rounds):
            began = time.perf_counter()
            plain_audio = session.run(["output"], feeds)[0].size / voice.sample_rate  # type: ignore[attr-defined]
            plain.append(time.perf_counter() - began)
            wall, audio, _ = await ours(agent, "joe")
            mine.append(wall)
        ours_median = statistics.median(mine)
        # Piper's durations are sampled, so compare speed (audio per second), not time.
        ratio = (audio / ours_median) / (plain_audio / statistics.median(plain))
        plain_speed = plain_audio / statistics.median(plain)
        print(
            f"piper joe, {threads} threads: our engine {audio / ours_median:.1f}x real time; "
            f"plain onnxruntime (whole text, one call) {plain_speed:.1f}x"
            f" -> ratio {ratio:.2f}x (target: >= 15x real time)"
        )
        seconds = await first_audio(agent, "joe", "pcm", max(rounds, 5))
        print(f"  first audio of 2,000 characters, median: {seconds * 1000:.0f} ms (target <= 150)")


def peak_rss(engine: str, voice: str) -> float:
    """Peak RSS (MB) of a fresh process that loads ``engine`` and speaks the text."""
    code = (
        "import asyncio, resource, tempfile\n"
        "from tts_agents import TTSAgent, TTSConfig\n"
        "async def main():\n"
        f"    async with TTSAgent(TTSConfig(engine={engine!r})) as agent:\n"
        f"        await agent.synthesize_to_file(\n"
        f"            {TEXT!r}, tempfile.mkdtemp() + '/out.mp3', voice={voice!r})\n"
        "asyncio.run(main())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def stream_client(url: str, text: str, rate: int) -> dict[str, float]:
    """One client streaming PCM; time to first byte, and how far it fell behind real time."""
    body = {"model": "tts-1", "input": text, "voice": "alloy", "response_format": "pcm"}
    began = time.perf_counter()
    first = None
    received = 0
    behind = 0.0
    with httpx.Client(timeout=300, headers={"Authorization": f"Bearer {KEY}"}) as client:
        with client.stream("POST", url + "/v1/audio/speech", json=body) as response:
            response.raise_for_status()
            for data in response.iter_bytes():
                now = time.perf_counter()
                if first is None:
                    first = now
                # playback started at the first byte: by now it needs (now - first) s of audio
                behind = max(behind, (now - first) - received / 2 / rate)
                received += len(data)
    return {"ttfb": (first or began) - began, "behind": behind, "audio": received / 2 / rate}


async def bench_server(clients: int, workers: int, threads: int) -> None:
    os.environ["TTS_AGENTS_ONNX_THREADS"] = str(threads)  # the server and its workers read it
    settings = ServerSettings(
        api_keys=(KEY,), synthesis_workers=workers, max_concurrent=64, max_queue=256,
        max_streams_per_key=64,  # the simulated clients share one key
        requests_per_minute_per_key=100_000, requests_per_minute_per_ip=100_000,
    )  # fmt: skip
    with server_process(settings) as url:
        warm = [stream_client(url, "Warm up.", 24000) for _ in range(workers * 2)]
        assert all(result["audio"] > 0 for result in warm)
        began = time.perf_counter()
        results = await asyncio.gather(
            *(asyncio.to_thread(stream_client, url, PARAGRAPH, 24000) for _ in range(clients)),
            return_exceptions=True,
        )
        wall = time.perf_counter() - began
    ok = [r for r in results if isinstance(r, dict)]
    ttfb = sorted(r["ttfb"] for r in ok)
    stalled = [r for r in ok if r["behind"] > 0.3]
    audio = sum(r["audio"] for r in ok)
    print(
        f"server, {workers} worker(s) x {threads} thread(s), {clients} clients x "
        f"{len(PARAGRAPH)} characters: {len(results) - len(ok)} errors; "
        f"TTFB p50 {statistics.median(ttfb) * 1000:.0f} ms, max {ttfb[-1] * 1000:.0f} ms; "
        f"throughput {audio / wall:.2f}x real time; {len(stalled)}/{len(ok)} streams fell "
        f"behind real time (worst {max(r['behind'] for r in ok):.1f} s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"{cores} cores; {len(TEXT)} characters; models in {model_store(TTSConfig()).root}")
    # First, while this process is small: on Linux a child's peak RSS starts from its
    # parent's at the fork.
    print(
        f"peak RSS, one process speaking the text: kokoro {peak_rss('kokoro', 'af_heart'):.0f}"
        f" MB (target <= 600), piper {peak_rss('piper', 'joe'):.0f} MB, "
        f"espeak {peak_rss('espeak', 'alloy'):.0f} MB"
    )
    for threads in sorted({1, min(cores, 4)}):
        await bench_kokoro(args.rounds, threads)
    await bench_piper(args.rounds, min(cores, 4))
    if not args.skip_server:
        every = min(cores, 4)
        for workers, threads in ((every, every), (every, 1), (1, every)):
            await bench_server(args.clients, workers, threads)


if __name__ == "__main__":
    asyncio.run(main())
