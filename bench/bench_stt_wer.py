"""Speech-to-text accuracy and speed: pocketsphinx's general model vs the agent-adapted one.

Every question in ``bench/data/stt_questions.txt`` (answerable from the default agent's
knowledge base) is synthesized with espeak in three voices at 16 kHz and recognized by

  * ``general``: pocketsphinx's general English language model (130k words);
  * ``adapted``: the language model built from the default agent's domain sentences;
  * ``fallback``: adapted plus the general model on the same audio, keeping the better
    scoring hypothesis (``general_fallback=True``), for out-of-domain speech.

Each voice is one session (one recognizer, questions in turn, as a caller would ask them);
``cold`` decodes each question with a brand-new factory instead (nothing learned yet, the
first utterance of a server's first session). Audio is fed in 20 ms chunks; before the last
chunk the bench waits until decoding has caught up, as it does when audio arrives in real
time, and then times ``finish()`` from the last ``feed``.

Printed: WER (word edit distance / reference words) overall and on the held-out questions
that are not verbatim among the agent's example questions; a few out-of-domain sentences
for contrast; decoding real-time factor; finish() latency p50/p95; build and decoder times.
References are normalized the way the agent's brain reads a transcript ("TTS" -> "t t s").

    python bench/bench_stt_wer.py [--voices alloy,echo,onyx] [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tts_agents import TTSAgent
from tts_agents.agent.brain.spoken import spoken_words
from tts_agents.agent.config import default_agent_path, domain_sentences, load_agent
from tts_agents.stt import build_recognizer_factory
from tts_agents.stt.base import Recognizer
from tts_agents.stt.sphinx import PocketsphinxFactory
from tts_agents.stt.words import normalize, word_errors

QUESTIONS = Path(__file__).parent / "data" / "stt_questions.txt"
OUT_OF_DOMAIN = [
    "The weather will be sunny tomorrow afternoon.",
    "My brother bought a new car last week.",
    "Please call me back in ten minutes.",
    "We are going to the beach on Saturday.",
    "I would like to order a large pizza.",
    "The train to Boston leaves at noon.",
]
CHUNK = 640  # 20 ms of 16 kHz PCM16


@dataclass
class Score:
    """Errors and reference words, split into held-out and seen questions."""

    errors: int = 0
    words: int = 0
    held_errors: int = 0
    held_words: int = 0
    finish_ms: list[float] = field(default_factory=list)
    decode_s: float = 0.0
    audio_s: float = 0.0

    def add(self, reference: str, hypothesis: str, held_out: bool) -> None:
        errors, words = word_errors(reference, hypothesis)
        self.errors += errors
        self.words += words
        if held_out:
            self.held_errors += errors
            self.held_words += words

    @property
    def wer(self) -> float:
        return self.errors / max(self.words, 1)

    @property
    def held_wer(self) -> float:
        return self.held_errors / max(self.held_words, 1)


async def synthesize(texts: list[str], voices: list[str]) -> dict[str, list[bytes]]:
    async with TTSAgent() as agent:
        audio: dict[str, list[bytes]] = {}
        for voice in voices:
            audio[voice] = []
            for text in texts:
                response = await agent.generate_speech(
                    text, voice=voice, format="pcm", sample_rate=16000
                )
                audio[voice].append(response.audio_data or b"")
        return audio


async def recognize(recognizer: Recognizer, pcm: bytes, score: Score) -> str:
    """One utterance as a session runs it; the decode and finish() times go into ``score``."""
    chunks = [pcm[offset : offset + CHUNK] for offset in range(0, len(pcm), CHUNK)]
    started = time.perf_counter()
    await recognizer.start()
    for chunk in chunks[:-1]:
        await recognizer.feed(chunk)
    await recognizer.partial()  # decoding has caught up, as with real-time audio
    score.decode_s += time.perf_counter() - started
    score.audio_s += len(pcm) / 32000
    last = time.perf_counter()
    await recognizer.feed(chunks[-1])
    transcript = await recognizer.finish()
    score.finish_ms.append((time.perf_counter() - last) * 1000)
    return transcript.text


async def run_session(
    factory: PocketsphinxFactory, items: list[tuple[str, bytes, bool]], show: bool
) -> Score:
    score = Score()
    recognizer = factory.create()
    try:
        for reference, pcm, held_out in items:
            hypothesis = await recognize(recognizer, pcm, score)
            score.add(reference, hypothesis, held_out)
            if show and normalize(reference) != normalize(hypothesis):
                print(f"      {normalize(reference)!r} -> {hypothesis!r}")
    finally:
        await recognizer.aclose()
    return score


async def run_cold(
    sentences: list[str], items: list[tuple[str, bytes, bool]], cache: Path
) -> Score:
    score = Score()
    for reference, pcm, held_out in items:
        factory = await build_recognizer_factory(sentences, cache_dir=cache)
        recognizer = factory.create()
        score.add(reference, await recognize(recognizer, pcm, score), held_out)
        await recognizer.aclose()
    return score


def report(name: str, score: Score) -> None:
    finish = sorted(score.finish_ms)
    p95 = finish[min(len(finish) - 1, round(0.95 * (len(finish) - 1)))]
    print(
        f"  {name:<22} WER {score.wer:6.1%}  held-out WER {score.held_wer:6.1%}  "
        f"RTF {score.decode_s / max(score.audio_s, 1e-9):.3f}  "
        f"finish p50 {statistics.median(finish):5.1f} ms  p95 {p95:5.1f} ms"
    )


def timed_decoders(factory: PocketsphinxFactory, count: int = 3) -> float:
    started = time.perf_counter()
    for _ in range(count):
        factory.acquire_decoders()
    return (time.perf_counter() - started) / count * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default="alloy,echo,onyx")
    parser.add_argument("--show", action="store_true", help="print every misrecognition")
    args = parser.parse_args()
    voices = args.voices.split(",")

    agent = load_agent(default_agent_path())
    sentences = domain_sentences(agent)
    examples = {normalize(spoken_words(text)) for text in agent.examples}
    lines = QUESTIONS.read_text("utf-8").splitlines()
    questions = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    references = [spoken_words(text) for text in questions]
    held = [normalize(ref) not in examples for ref in references]
    print(
        f"{len(questions)} questions ({sum(held)} held out), voices {', '.join(voices)}; "
        f"{len(sentences)} domain sentences"
    )

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        started = time.perf_counter()
        adapted = await build_recognizer_factory(sentences, cache_dir=cache)
        cold_build = time.perf_counter() - started
        started = time.perf_counter()
        await build_recognizer_factory(sentences, cache_dir=cache)
        warm_build = time.perf_counter() - started
        assert isinstance(adapted, PocketsphinxFactory) and adapted.model is not None
        general = PocketsphinxFactory(None)
        fallback = PocketsphinxFactory(adapted.model, general_fallback=True)
        factories = {"general": general, "adapted": adapted, "fallback": fallback}
        print(
            f"adapted model: {adapted.model.vocabulary_size} words, dropped "
            f"{list(adapted.model.dropped)}; build {cold_build:.2f} s cold, "
            f"{warm_build * 1000:.0f} ms cached"
        )
        print(
            f"decoder construction: adapted {timed_decoders(adapted):.0f} ms, "
            f"general {timed_decoders(general):.0f} ms"
        )

        audio = await synthesize(questions + OUT_OF_DOMAIN, voices)
        total = {name: Score() for name in factories}
        for voice in voices:
            items = list(zip(references, audio[voice], held, strict=False))
            print(f"voice {voice}:")
            for name, factory in factories.items():
                score = await run_session(factory, items, args.show)
                report(f"{name} session", score)
                _merge(total[name], score)
            report("adapted cold", await run_cold(sentences, items, cache))
            ood = [
                (spoken_words(t), audio[voice][len(questions) + i], True)
                for i, t in enumerate(OUT_OF_DOMAIN)
            ]
            for name, factory in factories.items():
                score = await run_session(factory, ood, args.show)
                print(f"  {name + ' out-of-domain':<22} WER {score.wer:6.1%}")
        print("all voices:")
        for name, score in total.items():
            report(f"{name} session", score)
        ratio = total["adapted"].wer / max(total["general"].wer, 1e-9)
        print(f"adapted / general WER: {ratio:.2f} (target <= 0.5; adapted target <= 25%)")


def _merge(into: Score, score: Score) -> None:
    into.errors += score.errors
    into.words += score.words
    into.held_errors += score.held_errors
    into.held_words += score.held_words
    into.finish_ms += score.finish_ms
    into.decode_s += score.decode_s
    into.audio_s += score.audio_s


if __name__ == "__main__":
    asyncio.run(main())
