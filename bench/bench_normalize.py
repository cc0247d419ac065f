"""What the text front end costs: normalizing vs only segmenting, and vs speaking.

On the same everyday text (money, dates, times, units, addresses, plain words), alternating
in one run so the shared machine's drift hits all alike, prints medians of:
  * segmenting only (normalization off), the baseline;
  * segmenting and normalizing (what every local engine now gets);
  * espeak-ng speaking the normalized text (the engine the overhead must stay small beside).

    python bench/bench_normalize.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from tts_agents import TTSAgent, TTSConfig
from tts_agents.text.front_end import speech_segments

SENTENCE = (
    "Dr. Smith paid $1,234.56 on 3/4/2024 at 10:30 a.m. and walked 5 km to the 22nd St. "
    "office, writing to john.doe@example.com about the 50% discount. The quick brown fox "
    "jumps over the lazy dog. "
)
TEXT = SENTENCE * 40  # about 8,000 characters


def front_end(normalize: bool) -> float:
    start = time.perf_counter()
    list(speech_segments(TEXT, ssml=False, language="en-us", normalize=normalize))
    return time.perf_counter() - start


async def speak() -> float:
    async with TTSAgent(TTSConfig(engines=["espeak"])) as agent:
        start = time.perf_counter()
        stream = agent.prepare(TEXT, format="pcm", max_length=-1)
        async for _ in stream.pcm():
            pass
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    plain, normalized, spoken = [], [], []
    for _ in range(rounds):
        plain.append(front_end(False))
        normalized.append(front_end(True))
        spoken.append(asyncio.run(speak()))
    base, norm, speech = (statistics.median(v) for v in (plain, normalized, spoken))
    print(f"text: {len(TEXT)} characters, {rounds} rounds, medians")
    print(f"segment only:          {base * 1000:8.1f} ms")
    print(f"segment + normalize:   {norm * 1000:8.1f} ms  ({len(TEXT) / norm / 1000:.0f}k chars/s)")
    print(f"espeak-ng speaking it: {speech * 1000:8.1f} ms")
    print(f"normalizing costs {norm / speech:.1%} of espeak-ng's time for the same text")


if __name__ == "__main__":
    main()
