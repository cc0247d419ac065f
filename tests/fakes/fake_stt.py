"""A fake OpenAI-compatible ``/v1/audio/transcriptions`` API on a real local port.

It checks what OpenAI documents: a Bearer key, ``multipart/form-data`` with a ``file`` part
and a ``model`` field. Every accepted upload is parsed and kept (form fields, file name,
the WAV's rate, channels and sample count) so tests can check the request shape; the answer
is a canned ``{"text": ...}``. Queued :class:`Reply` faults are served first.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from tests.fakes.http_server import Reply, Request
from tests.fakes.providers import ScriptedFake, openai_error

STT_KEY = "sk-test-stt-0123456789abcdef"
PATH = "/v1/audio/transcriptions"


@dataclass
class Upload:
    """One accepted transcription request, parsed."""

    fields: dict[str, str]
    filename: str
    content_type: str
    sample_rate: int
    channels: int
    sample_width: int
    frames: int


class TranscriptionFake(ScriptedFake):
    """Answers every valid upload with ``{"text": self.text}``."""

    def __init__(self, text: str = "how do i install it", key: str = STT_KEY) -> None:
        super().__init__()
        self.text = text
        self.key = key
        self.uploads: list[Upload] = []

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return openai_error(401, "Incorrect API key provided.", "invalid_request_error",
                                "invalid_api_key")  # fmt: skip
        fault = self._next_fault()
        if fault is not None:
            return fault
        if request.method != "POST" or request.path != PATH:
            return openai_error(
                404, f"Unknown request URL: {request.path}", "invalid_request_error"
            )
        upload = parse_upload(request)
        if isinstance(upload, str):
            return openai_error(400, upload, "invalid_request_error")
        self.uploads.append(upload)
        return Reply.json(200, {"text": self.text})


def parse_upload(request: Request) -> Upload | str:
    """The parsed multipart upload, or why it is not one OpenAI would accept."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return "Content-Type must be multipart/form-data"
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    fields: dict[str, str] = {}
    file: tuple[str, str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None and name == "file":
            file = (filename, part.get_content_type(), payload)
        elif isinstance(name, str):
            fields[name] = payload.decode()
    if file is None:
        return "'file' is a required property"
    if not fields.get("model"):
        return "'model' is a required property"
    try:
        with wave.open(io.BytesIO(file[2])) as wav:
            rate, channels = wav.getframerate(), wav.getnchannels()
            width, frames = wav.getsampwidth(), wav.getnframes()
    except (wave.Error, EOFError):
        return "Invalid file format."
    return Upload(fields, file[0], file[1], rate, channels, width, frames)
