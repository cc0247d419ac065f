"""The user's side of a conversation: turn-taking on a VAD plus a recognizer."""

from tts_agents.agent.listen.listener import (
    HeardEvent,
    PartialTranscript,
    SpeechOnset,
    UserListener,
    Utterance,
)

__all__ = ["HeardEvent", "PartialTranscript", "SpeechOnset", "UserListener", "Utterance"]
