// One voice-agent conversation over WebSocket, in the ElevenLabs Conversational AI
// protocol: the page sends microphone audio and typed messages; the server sends
// transcripts, the agent's words and audio, interruptions, pings and metrics.
//
// Events (CustomEvent, payload in `detail`): user-transcript, tentative, agent-response,
// agent-part, agent-correction, audio, interruption, metrics, server-error, closed.

import { base64FromBytes, pcmFromBase64 } from "./player.js";

const CLIENT = { source: "tts_agents_web", version: "1" };

export class Conversation extends EventTarget {
  /** `dynamicVariables` go out in the initiation message (`user_consent` among them). */
  constructor(url, { dynamicVariables = {} } = {}) {
    super();
    this.url = url;
    this.dynamicVariables = dynamicVariables;
    this.socket = null;
    this.conversationId = null;
  }

  /** Connects and resolves once the server has sent the conversation's metadata. */
  open() {
    return new Promise((resolve, reject) => {
      let started = false;
      const socket = new WebSocket(this.url);
      this.socket = socket;
      socket.addEventListener("open", () => {
        this.send({
          type: "conversation_initiation_client_data",
          conversation_config_override: {},
          custom_llm_extra_body: {},
          dynamic_variables: this.dynamicVariables,
          source_info: CLIENT,
        });
      });
      socket.addEventListener("message", (event) => {
        const message = parse(event.data);
        if (message === null) {
          return;
        }
        if (message.type === "conversation_initiation_metadata" && !started) {
          started = true;
          this.conversationId = message.conversation_initiation_metadata_event?.conversation_id ?? null;
          resolve(this.conversationId);
          return;
        }
        this.handle(message);
      });
      socket.addEventListener("close", (event) => {
        this.socket = null;
        if (!started) {
          reject(new Error(event.reason || `the connection closed (${event.code})`));
        }
        this.emit("closed", { code: event.code, reason: event.reason, byAgent: event.code === 1000 });
      });
    });
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** One chunk of microphone audio: PCM16 16 kHz mono bytes. */
  sendAudio(buffer) {
    this.send({ user_audio_chunk: base64FromBytes(buffer) });
  }

  /** A typed message, answered like a spoken one. */
  sendText(text) {
    this.send({ type: "user_message", text });
  }

  close() {
    if (this.socket !== null && this.socket.readyState <= WebSocket.OPEN) {
      this.socket.close(1000, "user ended the call");
    }
  }

  send(payload) {
    if (this.isOpen) {
      this.socket.send(JSON.stringify(payload));
    }
  }

  handle(message) {
    switch (message.type) {
      case "ping":
        this.send({ type: "pong", event_id: message.ping_event?.event_id });
        break;
      case "audio": {
        const event = message.audio_event || {};
        if (typeof event.audio_base_64 === "string") {
          this.emit("audio", { eventId: event.event_id ?? null, samples: pcmFromBase64(event.audio_base_64) });
        }
        break;
      }
      case "user_transcript":
        this.emit("user-transcript", { text: message.user_transcription_event?.user_transcript ?? "" });
        break;
      case "tentative_user_transcript":
        this.emit("tentative", { text: message.tentative_user_transcription_event?.user_transcript ?? "" });
        break;
      case "agent_response":
        this.emit("agent-response", { text: message.agent_response_event?.agent_response ?? "" });
        break;
      case "agent_chat_response_part":
        this.emit("agent-part", message.text_response_part || {});
        break;
      case "agent_response_correction": {
        const event = message.agent_response_correction_event || {};
        this.emit("agent-correction", {
          original: event.original_agent_response ?? "",
          corrected: event.corrected_agent_response ?? "",
        });
        break;
      }
      case "interruption":
        this.emit("interruption", { eventId: message.interruption_event?.event_id ?? null });
        break;
      case "client_tool_call": {
        // This page offers no client tools; say so, so the agent does not wait.
        const call = message.client_tool_call || {};
        this.send({
          type: "client_tool_result",
          tool_call_id: call.tool_call_id,
          result: `Client tool ${call.tool_name} is not available in the browser app`,
          is_error: true,
        });
        break;
      }
      case "error":
        this.emit("server-error", { message: message.error_event?.message || "the agent reported an error" });
        break;
      default:
        if (message.type && message.type.endsWith("metrics")) {
          this.emit("metrics", message);
        }
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function parse(data) {
  if (typeof data !== "string") {
    return null;
  }
  try {
    const message = JSON.parse(data);
    return message && typeof message === "object" ? message : null;
  } catch (error) {
    return null;
  }
}
