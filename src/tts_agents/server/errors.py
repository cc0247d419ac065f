"""Errors in each protocol's own JSON shape, so both official SDKs raise the right class.

OpenAI clients get ``{"error": {"message", "type", "param", "code"}}``; ElevenLabs clients
get ``{"detail": {"status", "code", "message", "param"}}``. Which shape a request gets is
decided by :func:`wants_elevenlabs`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tts_agents.errors import TTSAgentError, TTSValidationError, VoiceNotFoundError

_ELEVENLABS_PREFIXES = (
    "/v1/text-to-speech",
    "/v1/voices",
    "/v2/voices",
    "/v1/speech-to-text",
    "/v1/convai/conversations",
)
# Library field names as each protocol calls them in its requests.
_OPENAI_PARAMS = {"text": "input", "format": "response_format"}
_ELEVENLABS_PARAMS = {"voice": "voice_id", "format": "output_format", "language": "language_code"}


class ApiProblem(Exception):
    """A refusal made by the server itself (auth, limits): status, message, headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers or {}


def elevenlabs_path(path: str) -> bool:
    """True for ElevenLabs' own routes, which answer every error in its shape."""
    return path.startswith(_ELEVENLABS_PREFIXES)


def wants_elevenlabs(request: Request) -> bool:
    """ElevenLabs routes, or any other route called with ``xi-api-key``."""
    return elevenlabs_path(request.url.path) or "xi-api-key" in request.headers


def error_response(request: Request, problem: ApiProblem) -> JSONResponse:
    """The JSON error response for ``problem`` in the caller's protocol."""
    if wants_elevenlabs(request):
        body: dict[str, Any] = {
            "detail": {
                "type": "validation_error" if problem.status < 500 else "server_error",
                "code": problem.code,
                "status": problem.code,
                "message": problem.message,
                "param": problem.param,
            }
        }
    else:
        kind = "invalid_request_error" if problem.status < 500 else "server_error"
        if problem.status == 401:
            kind = "authentication_error"
        elif problem.status == 429:
            kind = "rate_limit_error"
        body = {
            "error": {
                "message": problem.message,
                "type": kind,
                "param": problem.param,
                "code": problem.code,
            }
        }
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)


def problem_from_error(exc: TTSAgentError, *, elevenlabs: bool) -> ApiProblem:
    """Our library error as an HTTP problem (unknown voices are 404 for ElevenLabs)."""
    status = exc.http_status
    if elevenlabs and isinstance(exc, VoiceNotFoundError):
        status = 404
    param = None
    if isinstance(exc, TTSValidationError):
        names = _ELEVENLABS_PARAMS if elevenlabs else _OPENAI_PARAMS
        param = names.get(exc.field, exc.field)
    headers = {"Retry-After": "1"} if exc.retryable else None
    return ApiProblem(status, exc.message, code=exc.code, param=param, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through :func:`error_response`."""

    async def on_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return error_response(request, exc)

    async def on_library_error(request: Request, exc: TTSAgentError) -> JSONResponse:
        problem = problem_from_error(exc, elevenlabs=wants_elevenlabs(request))
        return error_response(request, problem)

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if wants_elevenlabs(request):  # FastAPI's own 422 shape, as ElevenLabs sends it
            detail = [_plain(error) for error in exc.errors()]
            return JSONResponse({"detail": detail}, status_code=422)
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":  # its loc is a character position
            problem = ApiProblem(400, "the request body is not valid JSON", code="invalid_json")
            return error_response(request, problem)
        where = first.get("loc", ())
        param = ".".join(str(part) for part in where if part not in ("body", "query", "path"))
        message = f"{param or 'request'}: {first.get('msg', 'invalid request')}"
        return error_response(
            request, ApiProblem(400, message, code="invalid_request", param=param or None)
        )

    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        problem = ApiProblem(exc.status_code, str(exc.detail), code="http_error", headers=headers)
        return error_response(request, problem)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged by the server; the caller learns nothing about the internals.
        problem = ApiProblem(500, "internal server error", code="internal_error")
        return error_response(request, problem)

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(TTSAgentError, on_library_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


def _plain(error: Any) -> dict[str, Any]:
    """A validation error without the rejected input (it may be long or sensitive)."""
    return {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
