"""Core speed: raw libespeak-ng vs the library on the same 10,000-character text.

Prints medians and ratios measured in this one run (machines are shared and noisy):
  * throughput: raw ctypes synthesis vs the library's PCM stream (engine + pipeline);
  * time to the first audio chunk through the library (engine warm);
  * encoding cost per format, as a real-time factor;
  * concurrency: 4 requests on the in-process espeak thread vs a 2-process pool.

Raw and library runs alternate in one process (each sets its own callback, voice and
prosody before it speaks), so the shared machine's drift hits both alike.

    python bench/bench_core.py [--rounds 15]
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
BUFFER_MS = 500  # callback buffer, the same for raw and library (libespeak-ng is global)


def bench_text() -> str:
    sentence = "The quick brown fox jumps over the lazy dog, and then it rests for a while. "
    return (sentence * (TEXT_CHARS // len(sentence) + 1))[:TEXT_CHARS]


class RawEspeak:
    """The floor: libespeak-ng through bare ctypes, copying each buffer out, nothing else."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        data_path = espeakng_loader.get_data_path().encode()
        self.rate = self.lib.espeak_Initialize(2, BUFFER_MS, data_path, 0)
        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
        )
        self.callback = callback_type(self._on_audio)
        self.samples = 0
        self.first = 0.0

    def _on_audio(self, wav: int, count: int, events: int) -> int:
        if count > 0:
            if not self.first:
                self.first = time.perf_counter()
            ctypes.string_at(wav, count * 2)
            self.samples += count
        return 0

    def run(self, text: str) -> dict[str, float]:
        # Same voice and prosody as the library, set the same way (libespeak-ng is global).
        self.lib.espeak_SetSynthCallback(self.callback)
        self.lib.espeak_SetVoiceByName(VOICE.encode())
        for parameter, value in ((1, 175), (3, 50), (2, 100)):
            self.lib.espeak_SetParameter(parameter, value, 0)
        data = text.encode()
        self.samples, self.first = 0, 0.0
        start = time.perf_counter()
        self.lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1 | 0x1000, None, None)
        elapsed = time.perf_counter() - start
        return {"seconds": elapsed, "audio": self.samples / self.rate, "first": self.first - start}


async def library(agent: object, text: str) -> dict[str, float]:
    """The library's PCM stream: validation, engine thread hop, pipeline, word marks."""
    stream = agent.prepare(text, format="pcm", max_length=-1)  # type: ignore[attr-defined]
    start = time.perf_counter()
    first = 0.0
    async for _chunk in stream.pcm():
        if not first:
            first = time.perf_counter() - start
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "audio": stream.duration, "first": first}


async def throughput(rounds: int) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Raw and library runs interleaved in one process, so drift hits both alike."""
    from tts_agents import TTSAgent

    text = bench_text()
    raw = RawEspeak()
    raws, libs = [], []
    async with TTSAgent() as agent:
        await agent.generate_speech("warm up", format="pcm")
        raw.run("warm up")
        for _ in range(rounds):
            raws.append(raw.run(text))
            libs.append(await library(agent, text))
    return raws, libs


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


def concurrency(repeats: int = 3) -> dict[str, float]:
    """4 concurrent requests: the in-process espeak thread vs a pool of 2 processes."""
    texts = [bench_text()[:2500] for _ in range(4)]
    serialized, pooled = [], []
    # spawn, not fork: a forked child would inherit the espeak thread's locks but not the thread
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_library_batch, [texts[:1], texts[:1]]))  # warm both workers
        _library_batch(texts[:1])
        for _ in range(repeats):
            start = time.perf_counter()
            _library_batch(texts)
            serialized.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(pool.map(_library_batch, [texts[:2], texts[2:]]))
            pooled.append(time.perf_counter() - start)
    return {"serialized": statistics.median(serialized), "pool2": statistics.median(pooled)}


def measure(kind: str) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--child", choices=["encoding", "concurrency"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"encoding": encoding, "concurrency": concurrency}[args.child]()))
        return

    raws, libs = asyncio.run(throughput(args.rounds))
    raw_t = [r["seconds"] for r in raws]
    lib_t = [r["seconds"] for r in libs]
    audio = statistics.median(r["audio"] for r in libs)
    first_ms = statistics.median(r["first"] for r in libs) * 1000
    raw_first_ms = statistics.median(r["first"] for r in raws) * 1000
    print(
        f"text: {TEXT_CHARS} characters, {audio:.0f} s of audio, voice {VOICE}, "
        f"{args.rounds} interleaved rounds in one process"
    )
    print(
        f"raw libespeak-ng     : best {min(raw_t):.3f} s, median {statistics.median(raw_t):.3f} s"
        f"  ({audio / statistics.median(raw_t):.0f}x real time)"
    )
    print(
        f"library PCM stream   : best {min(lib_t):.3f} s, median {statistics.median(lib_t):.3f} s"
        f"  ({audio / statistics.median(lib_t):.0f}x real time)"
    )
    print(
        f"throughput ratio     : {statistics.median(raw_t) / statistics.median(lib_t):.3f}x "
        f"of raw by medians ({min(raw_t) / min(lib_t):.3f}x best of each; target >= 0.9)"
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
