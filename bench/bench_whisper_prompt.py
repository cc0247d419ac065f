"""The agent's ears compared on its own questions: pocketsphinx (adapted) vs Whisper.

Every question in ``bench/data/stt_questions.txt`` is synthesized with espeak-ng (voice
echo) and, when installed, Kokoro (af_heart, closer to a person), then recognized whole by

  * ``sphinx-adapted``: pocketsphinx with the language model built from the help desk;
  * ``whisper``: Whisper base, beam 5, no prompt (what agents use);
  * ``whisper+glossary`` / ``whisper+examples`` / ``whisper+hotwords``: the same with the
    agent's domain as a prompt: its most frequent content words, its example questions,
    or those words as faster-whisper ``hotwords``.

Prints WER per recognizer and voice and the mean decode time of one question.

    TTS_AGENTS_MODELS_DIR=... python bench/bench_whisper_prompt.py
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from pathlib import Path

from tts_agents import TTSAgent, TTSConfig
from tts_agents.agent.config import default_agent_path, domain_sentences, load_agent
from tts_agents.audio.decode import pcm16_to_float
from tts_agents.engines import model_store
from tts_agents.stt import build_recognizer_factory
from tts_agents.stt.whisper_model import load_whisper
from tts_agents.stt.words import word_errors

QUESTIONS = Path(__file__).with_name("data") / "stt_questions.txt"
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")


def glossary(sentences: list[str], limit: int = 40) -> str:
    counts = Counter(w.lower() for s in sentences for w in _WORD.findall(s))
    return ", ".join(word for word, _ in counts.most_common(limit)) + "."


async def speech(engine: str, voice: str, texts: list[str]) -> list[bytes]:
    async with TTSAgent(TTSConfig(engine=engine)) as agent:
        out = []
        for text in texts:
            stream = agent.prepare(text, format="pcm", sample_rate=16000, voice=voice)
            out.append(b"".join([chunk.pcm async for chunk in stream.pcm()]))
        return out


async def sphinx(sentences: list[str], audio: list[bytes]) -> list[str]:
    factory = await build_recognizer_factory(sentences, engine="pocketsphinx")
    recognizer = factory.create()
    heard = []
    for pcm in audio:
        await recognizer.start()
        await recognizer.feed(pcm)
        heard.append((await recognizer.finish()).text)
    await recognizer.aclose()
    return heard


def whisper(model: object, audio: list[bytes], **options: object) -> list[str]:
    heard = []
    for pcm in audio:
        segments, _ = model.transcribe(  # type: ignore[attr-defined]
            pcm16_to_float(pcm),
            language="en",
            beam_size=5,
            condition_on_previous_text=False,
            without_timestamps=True,
            **options,
        )
        heard.append(" ".join(s.text.strip() for s in segments))
    return heard


def wer(references: list[str], heard: list[str]) -> float:
    errors = words = 0
    for reference, hypothesis in zip(references, heard, strict=True):
        e, n = word_errors(reference, hypothesis)
        errors, words = errors + e, words + n
    return 100 * errors / words


def main() -> None:
    lines = QUESTIONS.read_text().splitlines()
    questions = [q.strip() for q in lines if q.strip() and not q.startswith("#")]
    agent = load_agent(default_agent_path())
    sentences = list(domain_sentences(agent))
    model = load_whisper("base", model_store(TTSConfig()))
    words = glossary(sentences)
    examples = " ".join(agent.examples)[:600]
    voices = [("espeak", "echo"), ("kokoro", "af_heart")]
    for engine, voice in voices:
        try:
            audio = asyncio.run(speech(engine, voice, questions))
        except Exception as exc:  # noqa: BLE001 - Kokoro may not be installed
            print(f"{engine}: skipped ({exc})")
            continue
        runs = {
            "sphinx-adapted": lambda a: asyncio.run(sphinx(sentences, a)),
            "whisper": lambda a: whisper(model, a),
            "whisper+glossary": lambda a: whisper(model, a, initial_prompt=words),
            "whisper+examples": lambda a: whisper(model, a, initial_prompt=examples),
            "whisper+hotwords": lambda a: whisper(model, a, hotwords=words.replace(",", "")),
        }
        for name, run in runs.items():
            start = time.perf_counter()
            heard = run(audio)
            each = (time.perf_counter() - start) / len(audio)
            score = wer(questions, heard)
            print(f"{engine:7s} {name:17s} WER {score:5.1f} %  {each:.2f} s/question")


if __name__ == "__main__":
    main()
