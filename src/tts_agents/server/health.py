"""``GET /health``: the one route without auth, cheap enough to poll under load."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness and how busy synthesis is."""
    return {"status": "ok", "queued": request.app.state.gate.waiting}
