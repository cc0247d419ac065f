// Per-turn latency, shown discreetly: in the transcript header and under the answer.
//
// A turn starts when the user has finished (spoken or typed). A spoken turn's latency is
// the server's own measurement from the end of the speech (its turn_metrics event); a
// typed one's is measured here, from sending to the first answer audio or text.

export class TurnLatency {
  constructor(summary, transcript) {
    this.summary = summary;
    this.transcript = transcript;
    this.turn = null;
  }

  /** The user finished a turn; `typed` turns are timed by the page. */
  start({ typed }) {
    this.turn = { askedAt: performance.now(), typed, latency: null, line: null };
  }

  /** The first audio or text of the answer reached the page. */
  replyStarted() {
    const { turn } = this;
    if (turn !== null && turn.typed && turn.latency === null) {
      this.show((performance.now() - turn.askedAt) / 1000, "after you sent your message");
    }
  }

  /** The transcript line holding the answer (the timing goes under it). */
  answerLine(line) {
    if (this.turn !== null) {
      this.turn.line = line;
      if (this.turn.latency !== null) {
        this.show(this.turn.latency.seconds, this.turn.latency.explanation);
      }
    }
  }

  /** A turn_metrics event from the server. */
  metrics(values) {
    if (typeof values.voice_to_voice_ms !== "number") {
      return;
    }
    const parts = [
      ["transcript", values.stt_final_ms],
      ["first words", values.brain_first_text_ms],
      ["first audio", values.tts_first_audio_ms],
    ].filter(([, value]) => typeof value === "number");
    const detail = parts.map(([name, value]) => `${name} ${value} ms`).join(", ");
    this.show(values.voice_to_voice_ms / 1000, `from the end of your speech (${detail})`);
  }

  show(seconds, explanation) {
    const { turn } = this;
    if (turn === null) {
      return;
    }
    turn.latency = { seconds, explanation };
    const text = `Reply in ${seconds.toFixed(2)} s`;
    this.summary.textContent = text;
    this.summary.title = `${text} ${explanation}`;
    if (turn.line !== null) {
      this.transcript.setMeta(turn.line, text);
      turn.line.title = this.summary.title;
    }
  }
}
