"""The voice agent: microphone audio in, VAD, speech-to-text, a brain, streaming speech out.

Needs the ``agent`` extra (pocketsphinx, webrtcvad, pyyaml). Where things live:

* :mod:`.config` - an agent's YAML file (:func:`~.config.load_agent`);
* :mod:`.vad`, :mod:`.stt` - turn detection and speech recognition;
* :mod:`.brain` - from the conversation so far to the next answer (offline or an LLM);
* :mod:`.session` - one real-time conversation over the ElevenLabs Conversational AI
  event protocol (:mod:`.protocol`), on any transport that moves JSON text frames: the
  user's side in :mod:`.session_listen`, the agent's answers and barge-in in
  :mod:`.session_turns` and :mod:`.session_answer`, what sessions of one agent share in
  :mod:`.session_runtime`.

The server's ``/v1/convai/conversation`` WebSocket (``tts-agents serve``) runs sessions.
"""
