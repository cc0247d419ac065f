// Streamed PCM16 playback through the jitter-buffer worklet (or scheduled buffers where
// AudioWorklet is missing), with volume, a level analyser, and barge-in:
// `interrupt(eventId)` flushes what is queued and drops any later audio whose event_id is
// not newer than it.

export class PcmPlayer extends EventTarget {
  constructor(context, { inputRate = 16000, jitterMs = 120 } = {}) {
    super();
    this.context = context;
    this.inputRate = inputRate;
    this.jitterMs = jitterMs;
    this.output = null; // the worklet's port, or buffers scheduled by hand
    this.gain = context.createGain();
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 512;
    this.analyser.smoothingTimeConstant = 0.6;
    this.droppedThrough = 0;
    this.playing = false;
  }

  async start() {
    this.gain.connect(this.analyser);
    this.analyser.connect(this.context.destination);
    // Pages that are not a secure context have no AudioWorklet.
    if (!this.context.audioWorklet) {
      const notify = (message) => this.receive(message);
      this.output = new ScheduledBuffers(this.context, this.gain, this.inputRate, this.jitterMs, notify);
      return;
    }
    await this.context.audioWorklet.addModule("/static/worklets/playback-processor.js");
    const node = new AudioWorkletNode(this.context, "pcm-playback", {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { inputRate: this.inputRate, jitterMs: this.jitterMs },
    });
    node.port.onmessage = (event) => this.receive(event.data);
    node.connect(this.gain);
    this.output = {
      send: (message, transfer = []) => node.port.postMessage(message, transfer),
      close: () => {
        node.port.onmessage = null;
        node.port.postMessage({ type: "flush" });
        node.disconnect();
      },
    };
  }

  /** Queues PCM16 samples (Int16Array); audio of an interrupted event is dropped. */
  push(samples, eventId = null) {
    if (this.output === null || (eventId !== null && eventId <= this.droppedThrough)) {
      return false;
    }
    const floats = new Float32Array(samples.length);
    for (let i = 0; i < samples.length; i += 1) {
      floats[i] = samples[i] / 0x8000;
    }
    this.output.send({ type: "chunk", samples: floats }, [floats.buffer]);
    return true;
  }

  /** No more audio is coming: play out what is queued without waiting for more. */
  end() {
    this.output?.send({ type: "end" });
  }

  /** Stops at once, dropping queued audio and everything up to `eventId`. */
  interrupt(eventId = null) {
    if (eventId !== null) {
      this.droppedThrough = Math.max(this.droppedThrough, eventId);
    }
    this.output?.send({ type: "flush" });
  }

  setVolume(fraction) {
    this.gain.gain.setTargetAtTime(fraction, this.context.currentTime, 0.02);
  }

  stop() {
    this.output?.close();
    this.output = null;
    this.analyser.disconnect();
    this.playing = false;
  }

  receive(message) {
    if (message.type === "playing") {
      this.playing = message.playing;
      this.dispatchEvent(new CustomEvent(message.playing ? "playing" : "idle"));
    } else if (message.type === "position") {
      this.dispatchEvent(new CustomEvent("position", { detail: message.frames / this.inputRate }));
    }
  }
}

/**
 * The same messages as the playback worklet, for pages without AudioWorklet: each chunk
 * becomes an AudioBuffer started where the previous one ends, after a jitter margin.
 */
class ScheduledBuffers {
  constructor(context, destination, inputRate, jitterMs, notify) {
    this.context = context;
    this.destination = destination;
    this.inputRate = inputRate;
    this.jitter = jitterMs / 1000;
    this.notify = notify;
    this.sources = new Set();
    this.next = 0;
    this.origin = null; // context time of the first sample since the last flush
    this.timer = null;
  }

  send(message) {
    if (message.type === "chunk") {
      this.chunk(message.samples);
    } else if (message.type === "flush") {
      this.flush();
    }
  }

  chunk(samples) {
    const buffer = this.context.createBuffer(1, samples.length, this.inputRate);
    buffer.copyToChannel(samples, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.destination);
    const now = this.context.currentTime;
    if (this.next < now) {
      this.next = now + this.jitter;
    }
    this.origin ??= this.next;
    source.start(this.next);
    this.next += buffer.duration;
    this.sources.add(source);
    source.onended = () => {
      this.sources.delete(source);
      if (this.sources.size === 0) {
        this.idle();
      }
    };
    if (this.timer === null) {
      this.notify({ type: "playing", playing: true });
      this.timer = window.setInterval(() => this.position(), 50);
    }
  }

  position() {
    const played = Math.max(0, this.context.currentTime - this.origin);
    this.notify({ type: "position", frames: Math.round(played * this.inputRate) });
  }

  idle() {
    if (this.timer !== null) {
      this.position();
      window.clearInterval(this.timer);
      this.timer = null;
      this.notify({ type: "playing", playing: false });
    }
  }

  flush() {
    for (const source of this.sources) {
      source.onended = null;
      source.stop();
    }
    this.sources.clear();
    this.next = 0;
    this.origin = null;
    this.idle();
  }

  close() {
    this.flush();
  }
}

/** PCM16 little-endian bytes from base64 (what both APIs send). */
export function pcmFromBase64(text) {
  const binary = window.atob(text);
  const bytes = new Uint8Array(binary.length - (binary.length % 2));
  for (let i = 0; i < bytes.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  const view = new DataView(bytes.buffer);
  const samples = new Int16Array(bytes.length / 2);
  for (let i = 0; i < samples.length; i += 1) {
    samples[i] = view.getInt16(i * 2, true);
  }
  return samples;
}

/** Base64 of raw bytes, in slices so long buffers do not overflow the call stack. */
export function base64FromBytes(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return window.btoa(binary);
}
