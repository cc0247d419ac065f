"""Streaming and batch: first-chunk latency, memory in text length, batch throughput.

    python bench/bench_stream.py [--sizes 10000,100000,1000000] [--items 100] [--no-ray]

* time to the first encoded chunk of a 50,000-character input (mp3 and pcm), from the call
  that starts the stream;
* peak RSS of ``tts-agents file`` speaking 10 KB, 100 KB and 1 MB texts to mp3 (each in a
  fresh process; flat is the goal), with the growth over the smallest;
* batch throughput for N short items with 1 worker, 2 workers and the Ray backend, as
  items per second and ratios to 1 worker (all measured in this one run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCE = "The old lighthouse keeper counted 1,024 waves, then wrote them all down. "
PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def text_of(size: int) -> str:
    return (SENTENCE * (size // len(SENTENCE) + 1))[:size]


async def first_chunk_ms(fmt: str, rounds: int = 5) -> float:
    from tts_agents import TTSAgent

    text = text_of(50_000)
    times = []
    async with TTSAgent() as agent:
        await agent.generate_speech("warm up", format=fmt)
        for _ in range(rounds):
            start = time.perf_counter()
            stream = agent.stream(text, format=fmt)
            await anext(stream)
            times.append((time.perf_counter() - start) * 1000)
            await stream.aclose()
    return statistics.median(times)


def peak_rss_mb(size: int, workdir: Path) -> tuple[float, float]:
    source = workdir / f"text-{size}.txt"
    source.write_text(text_of(size), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "tts_agents",
        "file",
        str(source),
        "-o",
        str(workdir / f"out-{size}.mp3"),
    ]
    start = time.perf_counter()
    out = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-c", PEAK_RSS, *command], capture_output=True, text=True, check=True
    )
    return int(out.stdout) / 1024, time.perf_counter() - start


def batch_rate(items: int, workdir: Path, extra: list[str], name: str) -> float:
    lines = workdir / "items.txt"
    sentence = "Batch item {} reads a paragraph of a few sentences, as a course module would. "
    lines.write_text("".join(sentence.format(i) * 4 + "\n" for i in range(items)))
    out = workdir / name
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [
            sys.executable,
            "-m",
            "tts_agents",
            "batch",
            "-i",
            str(lines),
            "-d",
            str(out),
            "--json",
            *extra,
        ],
        capture_output=True,
        check=True,
    )
    return items / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()

    for fmt in ("mp3", "pcm"):
        print(
            f"first chunk, 50,000 chars, {fmt}: {asyncio.run(first_chunk_ms(fmt)):.1f} ms "
            "median of 5 (target <= 50 ms)",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sizes = [int(size) for size in args.sizes.split(",")]
        results = {size: peak_rss_mb(size, workdir) for size in sizes}
        base = results[sizes[0]][0]
        for size, (peak, seconds) in results.items():
            print(
                f"tts-agents file, {size:>9,} chars to mp3: peak RSS {peak:6.1f} MB "
                f"(+{peak - base:5.1f} MB over {sizes[0]:,}), {seconds:7.1f} s",
                flush=True,
            )

        rates = {"1 worker": batch_rate(args.items, workdir, ["-c", "1"], "one")}
        rates["2 workers"] = batch_rate(args.items, workdir, ["-c", "2"], "two")
        if not args.no_ray:
            rates["ray, 2 CPUs"] = batch_rate(
                args.items, workdir, ["-c", "2", "--backend", "ray"], "ray"
            )
        for name, rate in rates.items():
            print(
                f"batch of {args.items} (mp3, ~330 chars each), {name:>11}: {rate:6.1f} items/s "
                f"({rate / rates['1 worker']:.2f}x of 1 worker)",
                flush=True,
            )
    print(json.dumps({"note": "each run starts its own processes; Ray includes its start-up"}))


if __name__ == "__main__":
    main()
