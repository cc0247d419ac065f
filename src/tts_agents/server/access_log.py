"""Keep credentials out of uvicorn's access and connection logs.

uvicorn logs each request's path with its query string, and each WebSocket's URL. Keys
travel in headers (never logged), but signed conversation URLs and the browser's login
link carry tokens in the query, and a client may put a key there. The filter redacts
the arguments of those records in place, keeping their shape for uvicorn's formatters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from tts_agents.redact import redact, redact_traces, register_secret

UVICORN_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "asyncio", "fastapi")


class ArgumentRedactingFilter(logging.Filter):
    """Redact a record's string arguments (uvicorn formats from the tuple) and traceback.

    An exception's text may quote what a client sent, a key included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's string arguments and exception text; never drops it."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(value) if isinstance(value, str) else value for value in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        redact_traces(record)
        return True


_FILTER = ArgumentRedactingFilter()


def protect_access_logs(keys: Iterable[str]) -> None:
    """Redact ``keys`` and credential-shaped query values in uvicorn's logs (idempotent)."""
    for key in keys:
        register_secret(key)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
