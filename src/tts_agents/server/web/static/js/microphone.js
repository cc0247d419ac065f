// Microphone: the permission flow, and capture to PCM16 16 kHz through an AudioWorklet.
//
// Every way getting the microphone can fail becomes a MicrophoneError with a `kind` the
// page explains in words: insecure (not HTTPS and not localhost), unsupported, denied,
// dismissed, no-device, busy, unplugged, failed.

export const CAPTURE_RATE = 16000;
const CHUNK_FRAMES = 1600; // 100 ms per message: small enough for a quick end of turn

export class MicrophoneError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "MicrophoneError";
    this.kind = kind;
  }
}

/** Throws when this page cannot use a microphone at all. */
export function checkMicrophoneSupport() {
  if (!window.isSecureContext) {
    throw new MicrophoneError("insecure", "microphones need a secure page");
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.AudioWorkletNode) {
    throw new MicrophoneError("unsupported", "this browser cannot capture audio here");
  }
}

/** "granted", "denied", "prompt", or "unknown" when the browser will not say. */
export async function microphonePermission() {
  try {
    const status = await navigator.permissions.query({ name: "microphone" });
    return status.state;
  } catch (error) {
    return "unknown";
  }
}

/** Asks for the microphone with the browser's echo cancellation and noise handling. */
export async function openMicrophone() {
  checkMicrophoneSupport();
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: 1,
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      },
    });
  } catch (error) {
    throw await explain(error);
  }
}

async function explain(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") {
    // A dismissed prompt leaves the permission at "prompt"; a refusal makes it "denied".
    const state = await microphonePermission();
    const dismissed = state === "prompt" || /dismiss/i.test(error.message || "");
    return new MicrophoneError(dismissed ? "dismissed" : "denied", error.message);
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
    return new MicrophoneError("no-device", error.message);
  }
  if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") {
    return new MicrophoneError("busy", error.message);
  }
  return new MicrophoneError("failed", (error && error.message) || String(error));
}

/**
 * Streams a MediaStream's audio as PCM16 chunks (ArrayBuffer) to `onChunk`, and calls
 * `onEnded` if the device goes away (unplugged, or revoked in the browser's settings).
 */
export class MicrophoneCapture {
  constructor(context, stream, { onChunk, onEnded }) {
    this.context = context;
    this.stream = stream;
    this.onChunk = onChunk;
    this.onEnded = onEnded;
    this.source = null;
    this.node = null;
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 512;
    this.analyser.smoothingTimeConstant = 0.6;
    this.track = stream.getAudioTracks()[0];
    this.endedListener = () => this.onEnded();
  }

  async start() {
    await this.context.audioWorklet.addModule("/static/worklets/capture-processor.js");
    this.source = this.context.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.context, "pcm-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: 1,
      channelCountMode: "explicit",
      processorOptions: { targetRate: CAPTURE_RATE, chunkFrames: CHUNK_FRAMES },
    });
    this.node.port.onmessage = (event) => this.onChunk(event.data);
    this.source.connect(this.node);
    this.source.connect(this.analyser);
    this.track.addEventListener("ended", this.endedListener);
  }

  /** Muting keeps the stream flowing as silence, so the agent still sees the turn end. */
  setMuted(muted) {
    this.track.enabled = !muted;
  }

  stop() {
    this.track.removeEventListener("ended", this.endedListener);
    if (this.node) {
      this.node.port.onmessage = null;
      this.node.disconnect();
    }
    if (this.source) {
      this.source.disconnect();
    }
    for (const track of this.stream.getTracks()) {
      track.stop();
    }
  }
}
