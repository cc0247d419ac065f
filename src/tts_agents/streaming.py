"""``StreamingTTS``: audio chunks as they are made (API kept from the original TTS Agents)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any, cast

from tts_agents.speech import TTSAgent
from tts_agents.types import AudioFormat, TTSModel, Voice

ChunkCallback = Callable[[bytes], Awaitable[None] | None]


class StreamingTTS:
    """Streams speech from a :class:`~tts_agents.TTSAgent`: the first bytes come early."""

    def __init__(self, agent: TTSAgent) -> None:
        self.agent = agent

    async def stream_speech(
        self,
        text: str,
        voice: str | Voice | None = None,
        model: str | TTSModel | None = None,
        format: str | AudioFormat | None = None,
        speed: float | None = None,
        output_path: str | Path | None = None,
        chunk_callback: ChunkCallback | None = None,
        **options: Any,
    ) -> AsyncIterator[bytes]:
        """Yield encoded chunks; also call ``chunk_callback`` with each, if given.

        ``output_path`` only picks the format from its extension here; use
        :meth:`stream_speech_to_file` to write a file.
        """
        del model  # accepted for compatibility; the engine decides what models mean
        chunks = self.agent.stream(
            text, voice=voice, format=format, speed=speed, output_path=output_path, **options
        )
        async with aclosing(chunks):
            async for chunk in chunks:
                if chunk_callback is not None:
                    result = chunk_callback(chunk)
                    if result is not None:
                        await result
                yield chunk

    async def stream_speech_to_file(
        self,
        text: str,
        output_path: str | Path,
        voice: str | Voice | None = None,
        model: str | TTSModel | None = None,
        format: str | AudioFormat | None = None,
        speed: float | None = None,
        **options: Any,
    ) -> Path:
        """Stream speech into ``output_path`` (written atomically); return the path."""
        response = await self.agent.synthesize_to_file(
            text, output_path, voice=voice, model=model, format=format, speed=speed, **options
        )
        return cast(Path, response.file_path)  # always set by synthesize_to_file
