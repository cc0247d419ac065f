"""The optional per-session recording of the user's audio (``privacy.record_audio``).

Nothing touches the disk unless the agent's config asks for it. The WAV is written to a
temporary file beside its final name while the session runs and moved into place when it
ends, so a crash never leaves a half file under the real name.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from tts_agents.audio.encode import Encoder, create_encoder
from tts_agents.audio.formats import get_format
from tts_agents.files import atomic_output


class SessionRecording:
    """A 16-bit mono WAV of everything the user sent, named after the conversation."""

    def __init__(self, directory: Path, conversation_id: str, sample_rate: int) -> None:
        self.path = directory / f"{conversation_id}.wav"
        self._files = ExitStack()
        sink = self._files.enter_context(atomic_output(self.path))
        self._encoder: Encoder = create_encoder(get_format("wav"), sample_rate, sink)

    def write(self, pcm: bytes) -> None:
        """Append user audio."""
        self._encoder.encode(pcm)

    def close(self) -> None:
        """Finish the header and move the file into place."""
        self._encoder.finish()
        self._files.close()
