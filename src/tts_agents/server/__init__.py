"""The speech server: OpenAI- and ElevenLabs-compatible HTTP APIs over one ``TTSAgent``.

Needs the ``server`` extra (FastAPI, uvicorn). ``create_app`` builds the ASGI app;
``tts-agents serve`` runs it with uvicorn.
"""

from __future__ import annotations

from tts_agents.errors import MissingExtraError

try:
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise MissingExtraError("the speech server", "server") from exc

from tts_agents.server.app import create_app
from tts_agents.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
