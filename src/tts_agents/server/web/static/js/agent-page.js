// The voice agent page: pick an agent, talk (or type), hear the answer.

import { Conversation } from "./conversation.js";
import { MicPanel } from "./mic-panel.js";
import {
  CAPTURE_RATE,
  MicrophoneCapture,
  MicrophoneError,
  checkMicrophoneSupport,
  microphonePermission,
  openMicrophone,
} from "./microphone.js";
import { PcmPlayer } from "./player.js";
import { apiFetch, errorMessage, session, startSession } from "./session.js";
import { Transcript } from "./transcript.js";
import { TurnLatency } from "./turn-latency.js";
import { byId, initHeader, showNotice, signInText } from "./ui.js";
import { LevelMeter } from "./visualizer.js";

const STATUS = {
  idle: "Ready when you are.",
  connecting: "Connecting…",
  listening: "Listening…",
  thinking: "Thinking…",
  speaking: "Speaking…",
  error: "Something went wrong.",
};
const VOLUME_KEY = "tts-agents-volume";
const QUIET_AFTER_TEXT_MS = 1500; // an answer with no audio leaves "thinking" after this
// What each agent's privacy settings mean for the person about to talk to it.
const CONSENT_TEXT = {
  required:
    "This agent can keep a record of the conversation on this server (its transcript, and its audio if it is set up to), but only if you agree. Without your consent nothing is kept once the call ends.",
  notice:
    "This agent keeps a record of its conversations on this server (the transcript, and the audio if it is set up to), as its privacy settings say. Starting a conversation means you accept this.",
};

const view = {
  orb: byId("orb"),
  status: byId("call-status"),
  hint: byId("call-hint"),
  agents: byId("agent-select"),
  callButton: byId("call-button"),
  muteButton: byId("mute-button"),
  volume: byId("volume"),
  latency: byId("latency"),
  chatForm: byId("chat-form"),
  chatInput: byId("chat-input"),
  signin: byId("signin-notice"),
  consent: byId("consent"),
  consentText: byId("consent-text"),
  consentChoice: byId("consent-choice"),
  consentCheck: byId("consent-check"),
};
const transcript = new Transcript(byId("transcript"), byId("tentative"), byId("transcript-empty"));
const micPanel = new MicPanel();
const micMeter = new LevelMeter(byId("mic-meter"), "--user");
const agentMeter = new LevelMeter(byId("agent-meter"), "--accent");

let agents = [];
let call = null;
let starting = false;
let explained = false;
let state = "idle";

function setState(next) {
  state = next;
  view.orb.dataset.state = next;
  view.status.textContent = call && call.muted && next === "listening" ? "Muted" : STATUS[next];
  if (next !== "listening" && next !== "speaking") {
    view.orb.style.setProperty("--level", "0");
  }
}

function followLevel(source) {
  return (level) => {
    if ((source === "mic" && state === "listening") || (source === "agent" && state === "speaking")) {
      view.orb.style.setProperty("--level", level.toFixed(3));
    }
  };
}
micMeter.onLevel = followLevel("mic");
agentMeter.onLevel = followLevel("agent");

function updateControls() {
  const active = call !== null;
  view.callButton.textContent = active ? "End call" : "Start";
  view.callButton.classList.toggle("button-primary", !active);
  view.callButton.classList.toggle("button-danger", active);
  view.callButton.disabled = (!active && agents.length === 0) || starting;
  view.muteButton.disabled = !(active && call.capture);
  const muted = Boolean(active && call.muted);
  view.muteButton.setAttribute("aria-pressed", String(muted));
  view.muteButton.textContent = muted ? "Unmute" : "Mute";
  view.agents.disabled = active || agents.length === 0;
  view.consentCheck.disabled = active || starting;
  view.hint.hidden = active;
}

function selectedAgent() {
  return agents.find((agent) => agent.id === view.agents.value) || agents[0];
}

/** Tells what the chosen agent may keep, and asks for consent when its settings need it. */
function showConsent() {
  const agent = selectedAgent();
  const text = agent && agent.keeps_records ? CONSENT_TEXT[agent.consent] : undefined;
  view.consent.hidden = text === undefined;
  view.consentText.textContent = text || "";
  view.consentChoice.hidden = !(agent && agent.consent === "required");
  view.consentCheck.checked = false; // each agent asks afresh
}

/** `user_consent: true` when the user agreed, or was told under a "notice" policy. */
function consentVariables(agent) {
  const agreed = agent.consent === "notice" || (agent.consent === "required" && view.consentCheck.checked);
  return agent.keeps_records && agreed ? { user_consent: true } : {};
}

function newAudioContext() {
  try {
    return new AudioContext({ sampleRate: CAPTURE_RATE, latencyHint: "interactive" });
  } catch (error) {
    return new AudioContext({ latencyHint: "interactive" }); // the worklets resample
  }
}

async function conversationUrl(agent) {
  const origin = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}`;
  if (!session().authenticated) {
    return `${origin}/v1/convai/conversation?agent_id=${encodeURIComponent(agent.id)}`;
  }
  const response = await apiFetch(`/v1/convai/conversation/get-signed-url?agent_id=${encodeURIComponent(agent.id)}`);
  if (!response.ok) {
    throw new Error(await errorMessage(response));
  }
  // Keep the path and signature, but dial the origin this page came from (a TLS proxy
  // in front of the server changes the scheme and host the server saw).
  const signed = new URL((await response.json()).signed_url);
  return `${origin}${signed.pathname}${signed.search}`;
}

async function askForMicrophone() {
  checkMicrophoneSupport();
  const permission = await microphonePermission();
  if (permission === "denied") {
    throw new MicrophoneError("denied", "blocked in the browser's settings");
  }
  if (permission !== "granted" && !explained) {
    const choice = await micPanel.explain();
    if (choice === "text") {
      return null;
    }
    explained = true;
  }
  return openMicrophone();
}

async function startCall({ voice }) {
  if (call !== null || starting || agents.length === 0) {
    return;
  }
  starting = true;
  const context = newAudioContext(); // made inside the click or key press, so it may play
  micPanel.hide();
  setState("connecting");
  updateControls();
  let stream = null;
  try {
    stream = voice ? await askForMicrophone() : null;
    const player = new PcmPlayer(context, { inputRate: CAPTURE_RATE });
    await player.start();
    player.setVolume(view.volume.value / 100);
    const agent = selectedAgent();
    const conversation = new Conversation(await conversationUrl(agent), {
      dynamicVariables: consentVariables(agent),
    });
    call = {
      context,
      conversation,
      player,
      capture: null,
      muted: false,
      latency: new TurnLatency(view.latency, transcript),
      quietTimer: null,
      ended: false,
    };
    wireConversation(call);
    await conversation.open();
    agentMeter.attach(player.analyser);
    if (stream !== null) {
      await startCapture(call, stream);
    } else {
      view.chatInput.focus();
    }
    if (state === "connecting") {  // the greeting may already be playing
      setState("listening");
    }
  } catch (error) {
    stream?.getTracks().forEach((track) => track.stop());
    failStart(error, context);
  } finally {
    starting = false;
    updateControls();
  }
}

async function startCapture(active, stream) {
  const capture = new MicrophoneCapture(active.context, stream, {
    onChunk: (buffer) => active.conversation.sendAudio(buffer),
    onEnded: () => microphoneLost(active),
  });
  await capture.start();
  active.capture = capture;
  micMeter.attach(capture.analyser);
}

function failStart(error, context) {
  const failed = call;
  call = null;
  if (failed !== null) {
    failed.ended = true;
    failed.conversation.close();
    failed.player.stop();
  }
  context.close();
  agentMeter.detach();
  if (error instanceof MicrophoneError) {
    setState("idle");
    micPanel.problem(error.kind, error.message);
    return;
  }
  setState("error");
  transcript.addNote(`Could not start the conversation: ${error.message}`, { error: true });
}

function microphoneLost(active) {
  if (call !== active || active.capture === null) {
    return;
  }
  active.capture.stop();
  active.capture = null;
  micMeter.detach();
  micPanel.problem("unplugged");
  updateControls();
}

function endCall(note = "Conversation ended.") {
  const active = call;
  if (active === null) {
    return;
  }
  call = null;
  active.ended = true;
  window.clearTimeout(active.quietTimer);
  active.capture?.stop();
  active.player.stop();
  active.conversation.close();
  active.context.close();
  micMeter.detach();
  agentMeter.detach();
  transcript.clearTentative();
  if (note) {
    transcript.addNote(note);
  }
  setState("idle");
  updateControls();
}

function wireConversation(active) {
  const { conversation, player } = active;
  const on = (type, handler) => conversation.addEventListener(type, (event) => {
    if (call === active) {
      handler(event.detail);
    }
  });
  player.addEventListener("playing", () => {
    if (call === active) {
      window.clearTimeout(active.quietTimer);
      active.latency.replyStarted();
      setState("speaking");
    }
  });
  player.addEventListener("idle", () => {
    if (call === active && state === "speaking") {
      setState("listening");
    }
  });
  on("tentative", ({ text }) => {
    transcript.setTentative(text);
    if (state !== "speaking") {
      setState("listening");
    }
  });
  on("user-transcript", ({ text }) => {
    transcript.addUser(text);
    awaitReply(active, { typed: false });
  });
  on("agent-part", (part) => {
    if (part.type === "delta" && part.text) {
      active.latency.answerLine(transcript.appendAgent(part.text));
    }
  });
  on("agent-response", ({ text }) => {
    active.latency.replyStarted();
    active.latency.answerLine(transcript.finishAgent(text));
    if (!player.playing) {
      window.clearTimeout(active.quietTimer);
      active.quietTimer = window.setTimeout(() => {
        if (call === active && state === "thinking") {
          setState("listening");
        }
      }, QUIET_AFTER_TEXT_MS);
    }
  });
  on("agent-correction", ({ original, corrected }) => transcript.correctAgent(original, corrected));
  on("audio", ({ eventId, samples }) => player.push(samples, eventId));
  on("interruption", ({ eventId }) => {
    player.interrupt(eventId);
    setState("listening");
  });
  on("metrics", (message) => active.latency.metrics(message.turn_metrics_event || {}));
  on("server-error", ({ message }) => transcript.addNote(message, { error: true }));
  conversation.addEventListener("closed", ({ detail }) => {
    if (call === active && !active.ended) {
      const reason = detail.reason ? `: ${detail.reason}` : "";
      endCall(detail.byAgent ? `The agent ended the conversation${reason}.` : `The connection closed${reason}.`);
      if (!detail.byAgent) {
        setState("error");
      }
    }
  });
}

function awaitReply(active, { typed }) {
  active.latency.start({ typed });
  setState("thinking");
}

async function sendTyped(text) {
  if (call === null) {
    await startCall({ voice: false });
  }
  if (call === null) {
    return;
  }
  transcript.addUser(text);
  call.conversation.sendText(text);
  awaitReply(call, { typed: true });
}

function toggleMute() {
  if (call === null || call.capture === null) {
    return;
  }
  call.muted = !call.muted;
  call.capture.setMuted(call.muted);
  setState(state);
  updateControls();
}

function isTyping(target) {
  return target instanceof Element && target.closest("input, textarea, select, button, a, [contenteditable]") !== null;
}

function wireControls() {
  view.callButton.addEventListener("click", () => (call ? endCall() : startCall({ voice: true })));
  view.muteButton.addEventListener("click", toggleMute);
  view.agents.addEventListener("change", showConsent);
  view.volume.addEventListener("input", () => {
    call?.player.setVolume(view.volume.value / 100);
    try {
      window.localStorage.setItem(VOLUME_KEY, view.volume.value);
    } catch (error) {
      // Storage disabled: the volume lasts for this page only.
    }
  });
  view.chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = view.chatInput.value.trim();
    if (text) {
      view.chatInput.value = "";
      sendTyped(text);
    }
  });
  micPanel.onRetry = () => startCall({ voice: true });
  micPanel.onTypeInstead = () => view.chatInput.focus();
  document.addEventListener("keydown", (event) => {
    if (event.code === "Space" && !event.repeat && !isTyping(event.target)) {
      event.preventDefault();
      if (call) {
        endCall();
      } else {
        startCall({ voice: true });
      }
    } else if (event.key === "Escape" && call) {
      endCall();
    }
  });
  window.addEventListener("tts-session-expired", () => showSignIn(null));
}

function showSignIn(loginError) {
  showNotice(view.signin, "Sign in to use every agent", signInText(loginError));
}

function showAgents(current) {
  agents = current.agents;
  const label = (agent) => (agent.public ? `${agent.name} (public)` : agent.name);
  view.agents.replaceChildren(...agents.map((agent) => new Option(label(agent), agent.id)));
  if (agents.length === 0) {
    view.agents.replaceChildren(new Option("No agents available", ""));
    view.status.textContent = current.authenticated ? "No voice agent runs on this server." : "Sign in to talk to an agent.";
    view.hint.textContent = current.authenticated ? "Start the server with an agent file to talk here." : "";
  }
  if (current.loginError || (!current.authenticated && current.login_required)) {
    showSignIn(current.loginError);
  }
}

async function main() {
  const current = await startSession();
  initHeader(current);
  try {
    view.volume.value = window.localStorage.getItem(VOLUME_KEY) ?? view.volume.value;
  } catch (error) {
    // Storage disabled: keep the default volume.
  }
  showAgents(current);
  showConsent();
  wireControls();
  updateControls();
}

main();
