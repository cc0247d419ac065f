"""The text front end: what people write, read the way people say it.

Every local engine speaks through it (cloud engines normalize for themselves), and SSML
``<say-as>`` uses the same code. :func:`~.reading.read_text` keeps each input token's
span, so word timings point at what the caller wrote however many words a token became.
"""

from tts_agents.text.normalize.languages import Reader, reader_for
from tts_agents.text.normalize.reading import Fixed, Reading, read_text

__all__ = ["Fixed", "Reader", "Reading", "read_text", "reader_for"]
