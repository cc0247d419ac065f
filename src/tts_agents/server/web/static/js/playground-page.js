// The speech playground: speak text or SSML while it streams, highlight each word as it is
// heard, and download the audio (any format) and word-timed subtitles.

import { PcmPlayer, pcmFromBase64 } from "./player.js";
import { apiFetch, errorMessage, startSession } from "./session.js";
import { WordTimeline, toSrt, toVtt } from "./subtitles.js";
import { byId, element, initHeader, saveBlob, showNotice, signInText } from "./ui.js";

const STREAM_RATE = 24000;
const EXTENSIONS = { mp3: "mp3", opus: "ogg", aac: "aac", flac: "flac", wav: "wav", pcm: "pcm" };

const view = {
  form: byId("speech-form"),
  text: byId("text"),
  counter: byId("counter"),
  engine: byId("engine"),
  voice: byId("voice"),
  format: byId("format"),
  speed: byId("speed"),
  speedValue: byId("speed-value"),
  speak: byId("speak"),
  stop: byId("stop"),
  downloadAudio: byId("download-audio"),
  downloadSrt: byId("download-srt"),
  downloadVtt: byId("download-vtt"),
  status: byId("status"),
  words: byId("words"),
  timing: byId("timing"),
  progress: byId("progress"),
  signin: byId("signin-notice"),
};

let maxChars = 4096;
let ready = false;
let audio = null; // {context, player}
let run = null; // the utterance being spoken: {controller, timeline, nodes, seconds, done}
let lastTimeline = null;

function setStatus(text, kind = "info") {
  view.status.textContent = text;
  view.status.dataset.kind = kind;
}

function isSsml(text) {
  return /^\s*(<\?xml[^>]*>\s*)?<speak[\s>]/i.test(text);
}

function updateCounter() {
  const count = Array.from(view.text.value).length;
  view.counter.textContent = `${count.toLocaleString()} / ${maxChars.toLocaleString()}`;
  view.counter.dataset.over = String(count > maxChars);
}

function updateButtons() {
  const busy = run !== null && !run.done;
  view.speak.disabled = !ready;
  view.stop.disabled = !busy;
  view.downloadAudio.disabled = !ready;
  const timed = lastTimeline !== null && lastTimeline.timed;
  view.downloadSrt.disabled = !timed;
  view.downloadVtt.disabled = !timed;
}

async function ensureAudio() {
  if (audio === null) {
    let context;
    try {
      context = new AudioContext({ sampleRate: STREAM_RATE, latencyHint: "interactive" });
    } catch (error) {
      context = new AudioContext({ latencyHint: "interactive" });
    }
    const player = new PcmPlayer(context, { inputRate: STREAM_RATE, jitterMs: 100 });
    audio = { context, player };
    await player.start();
    player.addEventListener("position", (event) => follow(event.detail));
    player.addEventListener("idle", finished);
  }
  await audio.context.resume();
  return audio.player;
}

/** Shows the text as word spans (whitespace kept as text) to highlight while speaking. */
function renderWords(text, timeline) {
  view.words.dataset.empty = "false";
  if (timeline === null) {
    view.words.replaceChildren(element("span", "", text));
    return [];
  }
  const chars = Array.from(text);
  const nodes = [];
  let offset = 0;
  const pieces = [];
  for (const word of timeline.words) {
    if (word.start > offset) {
      pieces.push(document.createTextNode(chars.slice(offset, word.start).join("")));
    }
    const node = element("span", "word word-pending", word.text);
    nodes.push(node);
    pieces.push(node);
    offset = word.end;
  }
  if (offset < chars.length) {
    pieces.push(document.createTextNode(chars.slice(offset).join("")));
  }
  view.words.replaceChildren(...pieces);
  return nodes;
}

function follow(seconds) {
  if (run === null) {
    return;
  }
  const total = run.seconds || 1;
  view.progress.style.width = `${Math.min(100, (seconds / total) * 100).toFixed(1)}%`;
  if (run.timeline === null) {
    return;
  }
  const current = run.timeline.wordAt(seconds);
  if (current === run.current) {
    return;
  }
  run.nodes.forEach((node, index) => {
    node.classList.toggle("word-current", index === current);
    node.classList.toggle("word-spoken", index < current);
    node.classList.toggle("word-pending", index > current);
  });
  run.current = current;
}

function finished() {
  if (run === null || !run.streamed) {
    return;
  }
  run.done = true;
  for (const node of run.nodes) {
    node.classList.remove("word-current", "word-pending");
    node.classList.add("word-spoken");
  }
  view.progress.style.width = "100%";
  updateButtons();
}

async function speak() {
  const text = view.text.value;
  if (!text.trim()) {
    setStatus("Type something to speak first.", "error");
    return;
  }
  stop();
  const player = await ensureAudio();
  const timeline = isSsml(text) ? null : new WordTimeline(text);
  run = {
    controller: new AbortController(),
    timeline,
    nodes: renderWords(text, timeline),
    seconds: 0,
    current: -1,
    streamed: false,
    done: false,
  };
  lastTimeline = null;
  view.progress.style.width = "0%";
  view.timing.textContent = "";
  setStatus("Speaking…");
  updateButtons();
  const active = run;
  try {
    await stream(active, text, player);
  } catch (error) {
    if (error.name !== "AbortError") {
      setStatus(error.message, "error");
    }
    active.done = true;
  }
  updateButtons();
}

async function stream(active, text, player) {
  const started = performance.now();
  const response = await apiFetch(
    `/v1/text-to-speech/${encodeURIComponent(view.voice.value)}/stream/with-timestamps?output_format=pcm_${STREAM_RATE}`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, voice_settings: { speed: Number(view.speed.value) } }),
      signal: active.controller.signal,
    },
  );
  if (!response.ok) {
    throw new Error(await errorMessage(response));
  }
  let firstAudio = null;
  let samples = 0;
  for await (const line of jsonLines(response)) {
    const pcm = pcmFromBase64(line.audio_base64 || "");
    if (pcm.length > 0) {
      firstAudio ??= performance.now() - started;
      samples += pcm.length;
      player.push(pcm);
    }
    active.timeline?.add(line.alignment);
    active.seconds = samples / STREAM_RATE;
  }
  player.end();
  active.streamed = true;
  lastTimeline = active.timeline;
  view.timing.textContent = `${active.seconds.toFixed(1)} s of speech · first audio after ${Math.round(firstAudio ?? 0)} ms`;
  setStatus(active.timeline === null ? "Done. Word timing is not available for SSML input." : "Done.");
  if (samples === 0) {
    finished();
  }
}

async function* jsonLines(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    buffered += value;
    const lines = buffered.split("\n");
    buffered = lines.pop();
    for (const line of lines) {
      if (line.trim()) {
        yield JSON.parse(line);
      }
    }
  }
  if (buffered.trim()) {
    yield JSON.parse(buffered);
  }
}

function stop() {
  if (run !== null && !run.done) {
    run.controller.abort();
    run.done = true;
    setStatus("Stopped.");
  }
  audio?.player.interrupt();
  updateButtons();
}

async function downloadAudio() {
  const format = view.format.value;
  setStatus(`Making the ${format} file…`);
  view.downloadAudio.disabled = true;
  try {
    const response = await apiFetch("/v1/audio/speech", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "tts-1",
        input: view.text.value,
        voice: view.voice.value,
        response_format: format,
        speed: Number(view.speed.value),
      }),
    });
    if (!response.ok) {
      throw new Error(await errorMessage(response));
    }
    saveBlob(await response.blob(), `speech.${EXTENSIONS[format] || format}`);
    setStatus(`Downloaded speech.${EXTENSIONS[format] || format}.`);
  } catch (error) {
    setStatus(error.message, "error");
  } finally {
    updateButtons();
  }
}

function downloadSubtitles(kind) {
  if (lastTimeline === null) {
    return;
  }
  const text = kind === "srt" ? toSrt(lastTimeline.words) : toVtt(lastTimeline.words);
  saveBlob(new Blob([text], { type: kind === "srt" ? "application/x-subrip" : "text/vtt" }), `speech.${kind}`);
}

function fillSelect(select, options) {
  select.replaceChildren(...options);
  select.disabled = options.length === 0;
}

function voiceOptions(voices) {
  const named = voices.filter((voice) => (voice.description || "").startsWith("OpenAI"));
  const others = voices.filter((voice) => !named.includes(voice));
  const group = (label, list) => {
    const node = element("optgroup");
    node.label = label;
    node.append(...list.map((voice) => new Option(voice.name, voice.voice_id)));
    return node;
  };
  return [group("OpenAI voice names", named), group("All voices", others)].filter((node) => node.children.length > 0);
}

async function loadOptions() {
  const [options, voices] = await Promise.all([apiFetch("/v1/web/speech-options"), apiFetch("/v1/voices")]);
  if (!options.ok || !voices.ok) {
    throw new Error(await errorMessage(options.ok ? voices : options));
  }
  const settings = await options.json();
  const { voices: list } = await voices.json();
  maxChars = settings.max_input_chars;
  fillSelect(view.engine, settings.engines.map((name) => new Option(name, name)));
  view.engine.title = "The engine this server speaks with (tts-agents serve --engine)";
  fillSelect(view.voice, voiceOptions(list));
  fillSelect(view.format, settings.formats.map((name) => new Option(name, name)));
  ready = true;
  updateCounter();
}

function wire() {
  view.form.addEventListener("submit", (event) => {
    event.preventDefault();
    speak();
  });
  view.stop.addEventListener("click", stop);
  view.downloadAudio.addEventListener("click", downloadAudio);
  view.downloadSrt.addEventListener("click", () => downloadSubtitles("srt"));
  view.downloadVtt.addEventListener("click", () => downloadSubtitles("vtt"));
  view.text.addEventListener("input", updateCounter);
  view.speed.addEventListener("input", () => {
    view.speedValue.textContent = `${Number(view.speed.value).toFixed(2)}×`;
  });
  view.text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      speak();
    }
  });
  window.addEventListener("tts-session-expired", () => {
    showNotice(view.signin, "Sign in to use the playground", signInText(null));
  });
}

async function main() {
  const current = await startSession();
  initHeader(current);
  wire();
  updateCounter();
  view.words.dataset.empty = "true";
  if (!current.authenticated) {
    showNotice(view.signin, "Sign in to use the playground", signInText(current.loginError));
    setStatus("Sign in to speak.");
  } else {
    try {
      await loadOptions();
    } catch (error) {
      setStatus(error.message, "error");
    }
  }
  updateButtons();
}

main();
