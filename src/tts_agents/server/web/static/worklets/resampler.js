// Streaming linear-interpolation resampler for the audio worklets. Continuous across
// calls: the last input sample and the fractional read position carry over. Both pages run
// their AudioContext at the stream's own rate where the browser allows, so this normally
// passes samples straight through.

export class LinearResampler {
  constructor(fromRate, toRate) {
    this.step = fromRate / toRate;
    this.position = 0; // read position in the input, relative to `previous` at -1
    this.previous = 0;
  }

  /** Resampled copy of `input` (Float32Array); the same array when the rates match. */
  process(input) {
    if (this.step === 1) {
      return input;
    }
    const output = [];
    let position = this.position;
    while (position < input.length - 1 + 1e-9) {
      const index = Math.floor(position);
      const fraction = position - index;
      const left = index < 0 ? this.previous : input[index];
      const right = input[Math.min(index + 1, input.length - 1)];
      output.push(left + (right - left) * fraction);
      position += this.step;
    }
    this.position = position - input.length;
    this.previous = input[input.length - 1];
    return Float32Array.from(output);
  }
}
