"""The OpenAPI document: every status, body shape and media type an operation can answer.

Routes name what is theirs: the errors they raise (``responses=errors(400, 404)``), their
audio and text bodies (:func:`success_body`), their upload forms (:func:`upload_body`).
:func:`document` adds what the server does around every route (the key and its rate
limits: 401, 429; the body limit: 413; validation: 400 or 422) and gives each error its
JSON shape, chosen as :func:`tts_agents.server.errors.wants_elevenlabs` chooses it at run
time: ElevenLabs' on ElevenLabs' routes, elsewhere OpenAI's unless the key came in
``xi-api-key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from tts_agents.server.errors import elevenlabs_path
from tts_agents.text.validation import SPEAKABLE_PATTERN

_REF = "#/components/schemas/"
_OVERVIEW = (
    "OpenAI- and ElevenLabs-compatible speech and transcription. Send the key as "
    "`Authorization: Bearer` or `xi-api-key`. Errors take ElevenLabs' shape on its routes "
    "(`/v1/text-to-speech`, `/v1/voices`, `/v2/voices`, `/v1/speech-to-text`); elsewhere "
    "OpenAI's, or ElevenLabs' when the key came in `xi-api-key`. Invalid requests are 400 "
    "in OpenAI's shape and 422 (FastAPI's list of problems) in ElevenLabs'."
)
_DESCRIPTIONS = {
    400: "Invalid request: the message names the field (in `param`) and the rule",
    401: "Missing or invalid API key",
    403: "Not allowed for this caller",
    404: "No such voice, agent or path",
    413: "Request body over the server's limit",
    422: "Invalid request, for ElevenLabs clients: FastAPI's list of problems",
    429: "Rate limit, or this key's concurrent streams, exceeded; retry after `Retry-After`",
    502: "The cloud engine failed",
    503: "Server busy or the engine unavailable; retry after `Retry-After` when given",
    504: "The cloud engine timed out",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
ENGINE_ERRORS = (502, 503, 504)
# Every API route but these depends on auth.require_key (the test of this schema checks both).
PUBLIC_PATHS = ("/health",)
SECURITY_SCHEMES = {
    "bearerKey": {"type": "http", "scheme": "bearer", "description": "OpenAI clients"},
    "xiApiKey": {"type": "apiKey", "in": "header", "name": "xi-api-key"},
}


class OpenAIErrorBody(BaseModel):
    """What went wrong, as the OpenAI SDK reads it."""

    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(BaseModel):
    """An error in OpenAI's shape."""

    error: OpenAIErrorBody


class ElevenLabsErrorDetail(BaseModel):
    """What went wrong, as ElevenLabs sends it (``status`` repeats ``code``)."""

    type: str
    code: str
    status: str
    message: str
    param: str | None


class ElevenLabsError(BaseModel):
    """An error in ElevenLabs' shape."""

    detail: ElevenLabsErrorDetail


def speakable_text(description: str) -> Any:
    """A pydantic field for text to speak, documented with ``validate_text``'s rules.

    Only documented: the server applies the rules itself, in the library, whose messages
    say which character is wrong and where.
    """
    return Field(
        min_length=1, description=description, json_schema_extra={"pattern": SPEAKABLE_PATTERN}
    )


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for error statuses; :func:`document` adds their bodies."""
    return {status: {"description": _DESCRIPTIONS[status]} for status in statuses}


def success_body(
    *media_types: str, description: str, events: Sequence[type[BaseModel]] = ()
) -> dict[int | str, dict[str, Any]]:
    """A ``responses=`` entry for a 200 whose body is one of ``media_types`` (audio or text).

    With ``events``, also a ``text/event-stream`` whose events carry one of them as JSON.
    """
    content = {
        media_type: {"schema": {"type": "string", "format": "binary"}}
        if media_type.startswith("audio/")
        else {"schema": {"type": "string"}}
        for media_type in media_types
    }
    if events:
        payload = {"anyOf": [event.model_json_schema() for event in events]}
        data = {"type": "string", "contentMediaType": "application/json", "contentSchema": payload}
        event = {"type": "object", "required": ["data"], "properties": {"data": data}}
        content["text/event-stream"] = {"schema": event}
    return {200: {"description": description, "content": content}}


def upload_body(form: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route reading ``form`` and a ``file`` as multipart/form-data.

    (Those routes parse the form themselves, after the key is checked, so FastAPI cannot
    see it.)
    """
    schema = form.model_json_schema(by_alias=True)
    audio = {"type": "string", "format": "binary", "description": "The audio, any format"}
    schema["properties"] = {"file": audio, **schema["properties"]}
    schema["required"] = ["file", *schema.get("required", [])]
    content = {"multipart/form-data": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return :func:`document` (FastAPI's way to extend the schema)."""
    app.openapi = partial(document, app)  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema of ``app``, completed; built once, then cached as FastAPI does."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=_OVERVIEW, routes=app.routes
        )
        components = schema.setdefault("components", {})
        models = components.setdefault("schemas", {})
        for model in (OpenAIError, ElevenLabsError):
            models.update(_component(model))
        components["securitySchemes"] = SECURITY_SCHEMES
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                _complete(path, operation)
        _cap_text(models, app.state.settings.max_input_chars)
        app.openapi_schema = schema
    return app.openapi_schema


def _complete(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    elevenlabs = elevenlabs_path(path)
    if "422" in responses or "400" in responses:  # it validates input
        responses.setdefault("422", errors(422)[422])
        if not elevenlabs:
            responses.setdefault("400", errors(400)[400])
    if path not in PUBLIC_PATHS:
        operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
        responses.setdefault("401", errors(401)[401])
        responses.setdefault("429", errors(429)[429])
    if "requestBody" in operation:
        responses.setdefault("413", errors(413)[413])
    for status, response in responses.items():
        if int(status) >= 400:
            body = {"schema": _error(status, elevenlabs=elevenlabs)}
            response.setdefault("content", {"application/json": body})
        if status in ("429", "503"):
            response.setdefault("headers", _RETRY_AFTER)
    operation["responses"] = dict(sorted(responses.items()))


def _error(status: str, *, elevenlabs: bool) -> dict[str, Any]:
    if status == "422":
        return {"$ref": _REF + "HTTPValidationError"}
    if elevenlabs:
        return {"$ref": _REF + "ElevenLabsError"}
    return {"anyOf": [{"$ref": _REF + "OpenAIError"}, {"$ref": _REF + "ElevenLabsError"}]}


def _component(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF + "{model}")
    return {model.__name__: schema, **schema.pop("$defs", {})}


def _cap_text(models: dict[str, Any], limit: int) -> None:
    """Give every speakable text field the server's length limit (a setting, not a constant)."""
    for model in models.values():
        for field in model.get("properties", {}).values():
            if field.get("pattern") == SPEAKABLE_PATTERN:
                field["maxLength"] = limit
