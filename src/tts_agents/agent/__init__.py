"""The voice agent: microphone audio in, VAD, speech-to-text, a brain, streaming speech out.

Needs the ``agent`` extra (pyyaml, webrtcvad, pocketsphinx; ``whisper`` for Whisper and
Silero VAD). The rooms, in the order data flows through them:

* :mod:`.protocol` - the ElevenLabs Conversational AI events, in and out;
* :mod:`.listen` - the user's side: turn detection and recognizers from
  :mod:`tts_agents.stt`, partial and final transcripts, barge-in onsets;
* :mod:`.brain` - from the conversation so far to the next answer (offline, or an LLM
  with tools);
* :mod:`.session` - one real-time conversation: turns, spoken answers, client calls,
  limits, metrics, recording, and what sessions of one agent share (:mod:`.session.runtime`);
* :mod:`.config` - an agent's YAML file (:func:`~.config.load_agent`).

The server's ``/v1/convai/conversation`` WebSocket (``tts-agents serve``) runs sessions.
"""
