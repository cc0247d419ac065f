"""Core speed: raw libespeak-ng vs the library on the same 10,000-character text.

Prints medians and ratios measured in this one run (machines are shared and noisy):
  * throughput: raw ctypes synthesis vs the library's PCM stream (engine + pipeline);
  * time to the first audio chunk through the library (engine warm);
  * encoding cost per format, as a real-time factor;
  * concurrency: 4 requests on the in-process espeak thread vs a 2-process pool.

Each measurement runs in a fresh subprocess, raw and library interleaved, so neither
shares libespeak-ng's global state with the other.

    python bench/bench_core.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

TEXT_CHARS = 10_000
VOICE = "en-us+f5"  # what the library uses for its default voice, alloy


def bench_text() -> str:
    sentence = "The quick brown fox jumps over the lazy dog, and then it rests for a while. "
    return (sentence * (TEXT_CHARS // len(sentence) + 1))[:TEXT_CHARS]


def raw() -> dict[str, float]:
    """The floor: libespeak-ng through bare ctypes, copying each buffer out, nothing else."""
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.restype = ctypes.c_int
    rate = lib.espeak_Initialize(2, 100, espeakng_loader.get_data_path().encode(), 0)
    callback_type = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
    )
    samples = [0]
    first = [0.0]

    def on_audio(wav: object, count: int, events: object) -> int:
        if count > 0:
            if not first[0]:
                first[0] = time.perf_counter()
            ctypes.string_at(wav, count * 2)
            samples[0] += count
        return 0

    keep = callback_type(on_audio)
    lib.espeak_SetSynthCallback(keep)
    lib.espeak_SetVoiceByName(VOICE.encode())
    data = bench_text().encode()
    start = time.perf_counter()
    lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1 | 0x1000, None, None)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "audio": samples[0] / rate, "first": first[0] - start}


def library() -> dict[str, float]:
    """The library's PCM stream: validation, engine thread hop, pipeline, word marks."""
    from tts_agents import TTSAgent

    async def run() -> dict[str, float]:
        async with TTSAgent() as agent:
            await agent.generate_speech("warm up", format="pcm")
            stream = agent.prepare(bench_text(), format="pcm", max_length=-1)
            start = time.perf_counter()
            first = 0.0
            async for _chunk in stream.pcm():
                if not first:
                    first = time.perf_counter() - start
            elapsed = time.perf_counter() - start
            return {"seconds": elapsed, "audio": stream.duration, "first": first}

    return asyncio.run(run())


def encoding() -> dict[str, float]:
    """Seconds to synthesize and encode the text in each format (real-time factor)."""
    from tts_agents import TTSAgent

    async def run() -> dict[str, float]:
        out = {}
        async with TTSAgent() as agent:
            for fmt in ("pcm", "wav", "flac", "mp3", "opus", "aac"):
                stream = agent.prepare(bench_text(), format=fmt, max_length=-1)
                start = time.perf_counter()
                async for _ in stream.encoded():
                    pass
                out[fmt] = stream.duration / (time.perf_counter() - start)
        return out

    return asyncio.run(run())


def _library_batch(texts: list[str]) -> float:
    from tts_agents import TTSAgent

    async def run() -> float:
        async with TTSAgent() as agent:
            total = 0.0
            results = await asyncio.gather(
                *(agent.generate_speech(t, format="pcm", max_length=-1) for t in texts)
            )
            for response in results:
                total += response.duration or 0
            return total

    return asyncio.run(run())


def concurrency() -> dict[str, float]:
    """4 concurrent requests: the in-process espeak thread vs a pool of 2 processes."""
    texts = [bench_text()[:2500] for _ in range(4)]
    _library_batch(texts[:1])  # warm
    start = time.perf_counter()
    _library_batch(texts)
    serialized = time.perf_counter() - start
    # spawn, not fork: a forked child would inherit the espeak thread's locks but not the thread
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_library_batch, [texts[:1], texts[:1]]))  # warm both workers
        start = time.perf_counter()
        list(pool.map(_library_batch, [texts[:2], texts[2:]]))
        pooled = time.perf_counter() - start
    return {"serialized": serialized, "pool2": pooled}


def measure(kind: str) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--child", choices=["raw", "library", "encoding", "concurrency"])
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                {"raw": raw, "library": library, "encoding": encoding, "concurrency": concurrency}[
                    args.child
                ]()
            )
        )
        return

    raws, libs = [], []
    for _ in range(args.rounds):
        raws.append(measure("raw"))
        libs.append(measure("library"))
    raw_t = [r["seconds"] for r in raws]
    lib_t = [r["seconds"] for r in libs]
    audio = statistics.median(r["audio"] for r in libs)
    first_ms = statistics.median(r["first"] for r in libs) * 1000
    raw_first_ms = statistics.median(r["first"] for r in raws) * 1000
    print(
        f"text: {TEXT_CHARS} characters, {audio:.0f} s of audio, voice {VOICE}, "
        f"{args.rounds} interleaved rounds, each in a fresh process"
    )
    print(
        f"raw libespeak-ng     : best {min(raw_t):.3f} s, median {statistics.median(raw_t):.3f} s"
        f"  ({audio / min(raw_t):.0f}x real time)"
    )
    print(
        f"library PCM stream   : best {min(lib_t):.3f} s, median {statistics.median(lib_t):.3f} s"
        f"  ({audio / min(lib_t):.0f}x real time)"
    )
    print(
        f"throughput ratio     : {min(raw_t) / min(lib_t):.3f}x of raw, best of each "
        f"({statistics.median(raw_t) / statistics.median(lib_t):.3f}x by medians; "
        "target >= 0.9)"
    )
    print(
        f"first chunk, library : {first_ms:.2f} ms median (raw engine: {raw_first_ms:.2f} ms; "
        "target <= 15 ms)"
    )
    rtf = measure("encoding")
    print(
        "synthesize+encode    : "
        + ", ".join(f"{k} {v:.0f}x" for k, v in rtf.items())
        + " real time"
    )
    conc = measure("concurrency")
    print(
        f"4 concurrent requests: in-process {conc['serialized']:.3f} s, "
        f"2-process pool {conc['pool2']:.3f} s "
        f"(pool speed-up {conc['serialized'] / conc['pool2']:.2f}x)"
    )


if __name__ == "__main__":
    main()
