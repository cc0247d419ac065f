// Gap-free playback of streamed PCM through a small jitter buffer.
//
// Chunks (Float32 at `inputRate`) queue up; output starts `jitterMs` after the first chunk
// (sooner when a burst already holds three times that), so a stream sent at real-time pace
// keeps that margin and small network hiccups never split a word. "end"
// says no more is coming (play out the rest); "flush" empties the queue at once (barge-in)
// and restarts the position count. The page hears {type: "playing", playing} when
// sound starts and after the queue has stayed empty for `idleMs`, and {type: "position",
// frames} (input-rate frames played) about every 50 ms.

import { LinearResampler } from "./resampler.js";

const QUANTUM = 128;

class PcmPlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const settings = options.processorOptions || {};
    this.inputRate = settings.inputRate || 16000;
    this.jitterFrames = Math.round(((settings.jitterMs ?? 60) / 1000) * sampleRate);
    this.idleFrames = Math.round(((settings.idleMs ?? 200) / 1000) * sampleRate);
    this.positionEvery = Math.round(0.05 * sampleRate);
    this.resampler = new LinearResampler(this.inputRate, sampleRate);
    this.reset();
    this.playedInput = 0;
    this.sincePosition = 0;
    this.port.onmessage = (event) => this.receive(event.data);
  }

  reset() {
    this.queue = [];
    this.offset = 0; // read offset into queue[0]
    this.buffered = 0; // output-rate frames queued
    this.state = "idle"; // idle | priming | playing
    this.waited = 0;
    this.emptyFor = 0;
    this.ended = false;
    this.announced = false;
  }

  receive(message) {
    if (message.type === "chunk") {
      const samples = this.resampler.process(message.samples);
      this.queue.push(samples);
      this.buffered += samples.length;
      if (this.state === "idle") {
        this.state = "priming";
        this.waited = 0;
      }
    } else if (message.type === "end") {
      this.ended = true;
    } else if (message.type === "flush") {
      const wasPlaying = this.announced;
      this.reset();
      this.playedInput = 0;
      this.resampler = new LinearResampler(this.inputRate, sampleRate);
      if (wasPlaying) {
        this.port.postMessage({ type: "playing", playing: false });
      }
    }
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    if (this.state === "priming") {
      // Wait `jitterMs` of wall time: audio streamed at real-time pace then keeps that
      // much in hand. A burst that already holds plenty may start at once.
      this.waited += out.length;
      if (this.waited >= this.jitterFrames || this.buffered >= 3 * this.jitterFrames || this.ended) {
        this.state = "playing";
      }
    }
    const written = this.state === "playing" ? this.fill(out) : 0;
    out.fill(0, written);
    for (let channel = 1; channel < outputs[0].length; channel += 1) {
      outputs[0][channel].set(out);
    }
    this.track(written, out.length);
    return true;
  }

  fill(out) {
    let written = 0;
    while (written < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      const take = Math.min(out.length - written, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + take), written);
      written += take;
      this.offset += take;
      this.buffered -= take;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    return written;
  }

  track(written, frames) {
    if (written > 0) {
      this.emptyFor = 0;
      this.playedInput += (written * this.inputRate) / sampleRate;
      if (!this.announced) {
        this.announced = true;
        this.port.postMessage({ type: "playing", playing: true });
      }
    } else if (this.announced) {
      this.emptyFor += frames;
    }
    if (this.queue.length === 0 && this.announced && (this.ended || this.emptyFor >= this.idleFrames)) {
      // The utterance is over (or the stream stalled for good): stop announcing sound.
      this.reset();
      this.port.postMessage({ type: "playing", playing: false });
    } else if (this.state === "playing" && written < frames && !this.ended) {
      // Underrun mid-stream: wait for a jitter margin again instead of stuttering.
      this.state = "priming";
      this.waited = 0;
    }
    this.sincePosition += frames;
    if (this.sincePosition >= this.positionEvery) {
      this.sincePosition = 0;
      this.port.postMessage({ type: "position", frames: Math.round(this.playedInput) });
    }
  }
}

registerProcessor("pcm-playback", PcmPlaybackProcessor);
