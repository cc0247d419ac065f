// Microphone capture: mono float samples in, PCM16 little-endian chunks out (16 kHz by
// default), posted to the page as transferable ArrayBuffers of `chunkFrames` samples.

import { LinearResampler } from "./resampler.js";

class PcmCaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const settings = options.processorOptions || {};
    this.targetRate = settings.targetRate || 16000;
    this.chunkFrames = settings.chunkFrames || 1600;
    this.resampler = new LinearResampler(sampleRate, this.targetRate);
    this.chunk = new Int16Array(this.chunkFrames);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) {
      return true;
    }
    const samples = this.resampler.process(channel);
    for (let i = 0; i < samples.length; i += 1) {
      const value = Math.max(-1, Math.min(1, samples[i]));
      this.chunk[this.filled] = value < 0 ? value * 0x8000 : value * 0x7fff;
      this.filled += 1;
      if (this.filled === this.chunkFrames) {
        this.port.postMessage(this.chunk.buffer, [this.chunk.buffer]);
        this.chunk = new Int16Array(this.chunkFrames);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCaptureProcessor);
