"""One real-time conversation: turns, answers, client calls, limits, metrics, recording.

:class:`~.conversation.ConversationSession` runs a conversation over the ElevenLabs
Conversational AI protocol; :mod:`.runtime` holds what sessions of one agent share (its
recognizers, brain and voice); :mod:`.turns` and :mod:`.answer` speak the agent's answers
and handle barge-in, with the text rules of :mod:`.turn_rules` and the pacing of
:mod:`.pacing`; :mod:`.calls`, :mod:`.limits`, :mod:`.metrics` and :mod:`.recording` are
the rest of a session's duties.
"""
