// The live transcript: both sides of the conversation as literal text. Final lines go in
// the aria-live list; what the recogniser is still unsure of is shown apart, as tentative.

import { element } from "./ui.js";

export class Transcript {
  constructor(list, tentative, empty) {
    this.list = list;
    this.tentative = tentative;
    this.empty = empty;
    this.agentLine = null; // the agent message still being written
  }

  addUser(text) {
    this.clearTentative();
    this.agentLine = null;
    return this.add("msg-user", "You", text);
  }

  setTentative(text) {
    this.tentative.textContent = text;
    this.tentative.hidden = text.trim() === "";
    this.scroll();
  }

  clearTentative() {
    this.setTentative("");
  }

  /** Streams agent text: parts append to the open message, a full response replaces it. */
  appendAgent(text) {
    if (this.agentLine === null) {
      this.agentLine = this.add("msg-agent", "Agent", "");
    }
    const body = this.agentLine.querySelector(".msg-text");
    body.textContent += text;
    this.scroll();
    return this.agentLine;
  }

  finishAgent(text) {
    const line = this.agentLine || this.add("msg-agent", "Agent", "");
    line.querySelector(".msg-text").textContent = text;
    this.agentLine = null;
    this.scroll();
    return line;
  }

  /** The agent was cut off: show what the user actually heard. */
  correctAgent(original, corrected) {
    const lines = [...this.list.querySelectorAll(".msg-agent .msg-text")].reverse();
    const line = lines.find((candidate) => candidate.textContent === original) || lines[0];
    if (line) {
      line.textContent = corrected;
    }
  }

  addNote(text, { error = false } = {}) {
    this.agentLine = null;
    return this.add(error ? "msg-note msg-error" : "msg-note", "", text);
  }

  /** A discreet timing under the latest agent message. */
  setMeta(line, text) {
    let meta = line.querySelector(".msg-meta");
    if (meta === null) {
      meta = element("span", "msg-meta");
      line.append(meta);
    }
    meta.textContent = text;
  }

  add(kind, who, text) {
    const line = element("li", `msg ${kind}`);
    if (who) {
      line.append(element("span", "msg-who", who));
    }
    line.append(element("p", "msg-text", text));
    this.list.append(line);
    this.empty.hidden = true;
    this.scroll();
    return line;
  }

  scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
