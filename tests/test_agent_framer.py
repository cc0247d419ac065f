"""An answer's audio is framed as it streams, one word behind the engine, losing nothing."""

from __future__ import annotations

import asyncio

from tts_agents import TTSAgent, TTSConfig
from tts_agents.agent.session.answer import FRAME_SECONDS, _Framer

TEXT = "Hello there, this answer streams as it is made. Nothing is lost on the way."


def test_frames_follow_the_stream_and_cover_everything() -> None:
    async def run() -> tuple[list[bytes], list[list], int]:
        async with TTSAgent(TTSConfig(engine="espeak")) as agent:
            stream = agent.prepare(TEXT, format="pcm", sample_rate=16000)
            chunks, marks = [], []
            async for chunk in stream.pcm():
                chunks.append(chunk.pcm)
                marks.append(list(stream.words))
            return chunks, marks, stream.sample_rate

    chunks, marks, rate = asyncio.run(run())
    framer = _Framer(TEXT, 5, rate)
    pcm, frames = b"", []
    for chunk, words in zip(chunks, marks, strict=True):
        pcm += chunk
        ready = framer.take(pcm, words, final=False)
        # Only audio before the latest word's start is framed while the stream goes on.
        assert framer.done <= words[-1].sample * 2 if words else framer.done == 0
        frames += ready
    streamed = len(frames)
    frames += framer.take(pcm, marks[-1], final=True)
    assert 0 < streamed < len(frames)  # most frames left before the audio was complete
    assert b"".join(frame.pcm for frame in frames) == pcm
    assert "".join(c for frame in frames for c in frame.alignment.chars) == TEXT
    assert frames[-1].text_end == 5 + len(TEXT)
    step = round(FRAME_SECONDS * rate) * 2
    assert all(len(frame.pcm) == step for frame in frames[:-1])
