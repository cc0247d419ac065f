"""The plan of a batch: which file each request writes, decided before any work starts.

Items are numbered from 1 in request order. Each gets a file name (without extension): its
``id`` when it has one, else its number and a slug of its text (``00001-hello-world``).
The manifest's ``index`` is that same number. Names are checked to be safe and unique up
front, so a bad name refuses the whole batch before anything is spoken or written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tts_agents.errors import TTSValidationError
from tts_agents.models import TTSRequest

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class BatchItem:
    """One request of a batch and the file name (without extension) it writes.

    ``number`` is the request's position counting from 1: the number in an automatic file
    name and the ``index`` of the item's manifest record.
    """

    number: int
    name: str
    request: TTSRequest


def plan_items(requests: list[TTSRequest]) -> list[BatchItem]:
    """Give every request a deterministic, safe, unique file name, or refuse the batch."""
    items: list[BatchItem] = []
    seen: dict[str, int] = {}
    for number, request in enumerate(requests, start=1):
        try:
            name = item_name(number, request)
        except TTSValidationError as exc:
            raise TTSValidationError("requests", f"item {number}: {exc.message}") from None
        if name in seen:
            raise TTSValidationError("id", f"{name!r} is used by items {seen[name]} and {number}")
        seen[name] = number
        items.append(BatchItem(number, name, request))
    return items


def item_name(number: int, request: TTSRequest) -> str:
    """The request's ``id`` if it is a safe file name, else its number and a slug of its text."""
    if request.id is not None:
        check_id(request.id)
        return request.id
    slug = re.sub(r"[^a-z0-9]+", "-", request.text.lower()).strip("-")[:40].strip("-")
    return f"{number:05d}-{slug or 'speech'}"


def check_id(item_id: str) -> None:
    """Refuse an ``id`` that is not a plain file name: it could write outside the directory."""
    if not _SAFE_ID.match(item_id) or ".." in item_id:
        raise TTSValidationError(
            "id", f"{item_id!r} is not a safe file name (letters, digits, . _ -)"
        )
