// Level meters: bars drawn from an AnalyserNode on a canvas, in the theme's colours.
// `onLevel` receives a 0..1 loudness, which the orb uses for its size.

import { cssColor } from "./ui.js";

const BARS = 24;

export class LevelMeter {
  constructor(canvas, colorVariable) {
    this.canvas = canvas;
    this.colorVariable = colorVariable;
    this.analyser = null;
    this.data = null;
    this.level = 0;
    this.frame = null;
    this.onLevel = null;
    this.draw = this.draw.bind(this);
    window.addEventListener("tts-theme-change", () => this.paint(new Uint8Array(BARS)));
  }

  attach(analyser) {
    this.analyser = analyser;
    this.data = new Uint8Array(analyser.frequencyBinCount);
    if (this.frame === null) {
      this.frame = window.requestAnimationFrame(this.draw);
    }
  }

  detach() {
    this.analyser = null;
    if (this.frame !== null) {
      window.cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    this.level = 0;
    this.onLevel?.(0);
    this.paint(new Uint8Array(BARS));
  }

  draw() {
    this.frame = window.requestAnimationFrame(this.draw);
    if (this.analyser === null) {
      return;
    }
    this.analyser.getByteFrequencyData(this.data);
    // Speech lives in the lower bins; spread those over the bars.
    const usable = Math.floor(this.data.length * 0.6);
    const bars = new Uint8Array(BARS);
    let sum = 0;
    for (let bar = 0; bar < BARS; bar += 1) {
      const from = Math.floor((bar * usable) / BARS);
      const to = Math.max(from + 1, Math.floor(((bar + 1) * usable) / BARS));
      let peak = 0;
      for (let i = from; i < to; i += 1) {
        peak = Math.max(peak, this.data[i]);
      }
      bars[bar] = peak;
      sum += peak;
    }
    const level = Math.min(1, sum / BARS / 140);
    this.level = this.level * 0.6 + level * 0.4;
    this.onLevel?.(this.level);
    this.paint(bars);
  }

  paint(bars) {
    const { canvas } = this;
    const scale = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * scale) || canvas.width;
    const height = Math.round(canvas.clientHeight * scale) || canvas.height;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    context.fillStyle = cssColor(this.colorVariable);
    const gap = Math.max(2, Math.round(width / BARS / 4));
    const barWidth = (width - gap * (BARS + 1)) / BARS;
    for (let bar = 0; bar < BARS; bar += 1) {
      const barHeight = Math.max(2 * scale, (bars[bar] / 255) * (height - 8 * scale));
      const x = gap + bar * (barWidth + gap);
      context.fillRect(x, (height - barHeight) / 2, barWidth, barHeight);
    }
  }
}
