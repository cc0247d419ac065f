// The microphone panel: why the page wants the microphone (shown before the browser's own
// prompt), and what to do when getting it fails. Every case offers typing instead.

import { byId } from "./ui.js";

const PROBLEMS = {
  insecure: {
    title: "The microphone needs a secure page",
    text: () =>
      `This page was opened over plain HTTP at ${window.location.host}, and browsers only allow microphones on HTTPS pages or on localhost. Open it through https:// (start tts-agents serve with --ssl-certfile and --ssl-keyfile) or on this machine as http://localhost. You can type to the agent meanwhile.`,
    retry: false,
  },
  unsupported: {
    title: "This browser cannot record here",
    text: () => "Your browser does not offer microphone capture with AudioWorklet on this page. Try a current Chrome, Edge, Firefox or Safari, or type to the agent below.",
    retry: false,
  },
  denied: {
    title: "Microphone access is blocked",
    text: () =>
      "The browser is set to block the microphone for this site. To talk, allow it in the site settings (the icon beside the address bar), then press Try again. You can type to the agent meanwhile.",
    retry: true,
  },
  dismissed: {
    title: "The microphone prompt was closed",
    text: () => "The browser asked for the microphone and the prompt closed without an answer. Press Try again and choose Allow, or type to the agent below.",
    retry: true,
  },
  "no-device": {
    title: "No microphone found",
    text: () => "No microphone is connected, or the system hides it from the browser. Connect one (a headset works well) and press Try again, or type to the agent below.",
    retry: true,
  },
  busy: {
    title: "The microphone is busy",
    text: () => "The microphone could not start: another app may be using it, or the system blocked it. Close that app and press Try again, or type to the agent below.",
    retry: true,
  },
  unplugged: {
    title: "The microphone was disconnected",
    text: () => "The call goes on by text: type below. Plug the microphone back in and start a new call to talk again.",
    retry: true,
  },
  failed: {
    title: "The microphone could not start",
    text: (detail) => `${detail || "An unexpected error stopped the microphone"}. Press Try again, or type to the agent below.`,
    retry: true,
  },
};

export class MicPanel {
  constructor() {
    this.panel = byId("mic-panel");
    this.title = byId("mic-title");
    this.text = byId("mic-text");
    this.continueButton = byId("mic-continue");
    this.textButton = byId("mic-text-only");
    this.pending = null;
    this.onRetry = null;
    this.onTypeInstead = null;
    this.continueButton.addEventListener("click", () => this.choose("continue"));
    this.textButton.addEventListener("click", () => this.choose("text"));
  }

  /** Explains the microphone before the browser asks; resolves "continue" or "text". */
  explain() {
    this.show("explain", "Talk with your voice?", `The agent listens through your microphone while the call is on. The audio goes only to this server (${window.location.host}). Your browser will ask for permission next.`, "Continue");
    return new Promise((resolve) => {
      this.pending = resolve;
    });
  }

  /** Shows what went wrong with the microphone (a MicrophoneError kind). */
  problem(kind, detail = "") {
    const entry = PROBLEMS[kind] || PROBLEMS.failed;
    this.show("problem", entry.title, entry.text(detail), entry.retry ? "Try again" : null);
    this.panel.setAttribute("role", "alert");
  }

  hide() {
    this.panel.hidden = true;
    this.panel.removeAttribute("role");
  }

  show(kind, title, text, continueLabel) {
    this.panel.dataset.kind = kind;
    this.title.textContent = title;
    this.text.textContent = text;
    this.continueButton.hidden = continueLabel === null;
    this.continueButton.textContent = continueLabel || "";
    this.panel.hidden = false;
    (continueLabel === null ? this.textButton : this.continueButton).focus();
  }

  choose(choice) {
    const kind = this.panel.dataset.kind;
    this.hide();
    if (this.pending !== null) {
      const resolve = this.pending;
      this.pending = null;
      resolve(choice);
    } else if (choice === "continue" && kind === "problem") {
      this.onRetry?.();
    } else if (choice === "text") {
      this.onTypeInstead?.();
    }
  }
}
