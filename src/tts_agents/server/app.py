"""The app factory: one ``TTSAgent`` shared by every route, limits and headers around it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from tts_agents.config import TTSConfig
from tts_agents.server import (
    catalog,
    convai_routes,
    elevenlabs_routes,
    health,
    history_routes,
    metrics,
    openai_routes,
    signed_urls,
    stream_input,
    transcription_routes,
    web_routes,
)
from tts_agents.server.access_log import protect_access_logs
from tts_agents.server.connections import create_guard, quiet_loop_errors
from tts_agents.server.disconnects import CancelOnDisconnect
from tts_agents.server.errors import install_error_handlers
from tts_agents.server.headers import SecurityHeadersMiddleware
from tts_agents.server.limits import BodyLimitMiddleware, RateLimiter
from tts_agents.server.loopback_guard import LoopbackGuardMiddleware
from tts_agents.server.metrics import Metrics, MetricsMiddleware
from tts_agents.server.records_hub import RecordsHub
from tts_agents.server.settings import ServerSettings
from tts_agents.server.shared_state import open_shared_state
from tts_agents.server.synthesis_gate import SynthesisGate
from tts_agents.server.synthesis_pool import SynthesisPool
from tts_agents.server.transcription_pool import TranscriptionPool
from tts_agents.speech import TTSAgent


def create_app(settings: ServerSettings, agent: TTSAgent | None = None) -> FastAPI:
    """The ASGI app for ``settings``, speaking through ``agent``.

    Without ``agent`` one is built (and closed) for ``settings.engine``; a given agent
    stays the caller's to close.

    FastAPI's own docs pages are off (they need inline scripts the CSP forbids); the browser
    app serves ``/docs`` with a self-hosted Swagger UI instead, for a key or a signed-in
    browser (see :mod:`tts_agents.server.web_routes`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        protect_access_logs(settings.api_keys)  # uvicorn has configured logging by now
        quiet_loop_errors(asyncio.get_running_loop())
        async with AsyncExitStack() as stack:
            if agent is None:
                # Clients name voices; they must not make the server load files of its disk.
                config = TTSConfig(engine=settings.engine, allow_voice_paths=False)
                app.state.agent = await stack.enter_async_context(TTSAgent(config))
            else:
                app.state.agent = agent
            app.state.pool = await _start_pool(settings, app.state.agent, stack)
            app.state.transcriber = TranscriptionPool(
                settings.transcription_workers,
                app.state.agent.config,
                max_seconds=settings.max_audio_seconds,
                retry_after=settings.retry_after_seconds,
            )
            stack.push_async_callback(app.state.transcriber.aclose)
            await app.state.transcriber.start()
            app.state.records = await RecordsHub.open(settings.agents)
            stack.push_async_callback(app.state.records.aclose)
            yield

    app = FastAPI(
        title="TTS Agents",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.connections = create_guard(settings)  # uvicorn's protocols use it (run.py)
    app.state.shared_state = open_shared_state(settings.redis_url)
    app.state.limiter = RateLimiter.sharing(app.state.shared_state)
    app.state.metrics = Metrics(queue_depth=lambda: app.state.gate.waiting)
    app.state.gate = SynthesisGate(
        settings.max_concurrent,
        settings.max_queue,
        settings.retry_after_seconds,
        per_caller=settings.max_streams_per_key,
    )
    install_error_handlers(app)
    for module in (health, openai_routes, elevenlabs_routes, stream_input, catalog, metrics):
        app.include_router(module.router)
    app.include_router(transcription_routes.router)
    for module in (signed_urls, convai_routes, history_routes):  # voice agents and their records
        app.include_router(module.router)
    web_routes.install(app)
    app.add_middleware(CancelOnDisconnect)  # innermost: it sees the body the app reads
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        uploads=transcription_routes.UPLOAD_PATHS,
    )
    if settings.cors_origins:  # outside the body limit, so a 413 carries CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "xi-api-key"],
            max_age=600,
        )
    if not settings.auth:
        app.add_middleware(LoopbackGuardMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeadersMiddleware, tls=settings.tls)
    return app


async def _start_pool(
    settings: ServerSettings, agent: TTSAgent, stack: AsyncExitStack
) -> SynthesisPool | None:
    """Worker processes for the offline engines, when the settings ask for them.

    The workers build the engine from the agent's own configuration, so they speak exactly
    what the routes validated against.
    """
    if settings.synthesis_workers < 1 or not agent.engine.capabilities.local:
        return None
    pool = SynthesisPool(settings.synthesis_workers, agent.config)
    stack.push_async_callback(pool.aclose)
    await pool.start()
    return pool
