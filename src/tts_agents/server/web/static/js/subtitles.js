// Word timings from the server's character alignment, and SRT / WebVTT subtitles from them.

const MAX_CUE_CHARS = 42;
const MAX_CUE_SECONDS = 5;

/**
 * The words of `text` with their offsets in code points (as the server counts characters):
 * [{text, start, end}] with `end` exclusive, plus the times `begin` and `finish` once known.
 */
function splitWords(text) {
  const chars = Array.from(text);
  const words = [];
  let start = -1;
  const close = (end) => {
    words.push({ text: chars.slice(start, end).join(""), start, end, begin: null, finish: null });
    start = -1;
  };
  chars.forEach((char, index) => {
    const space = /\s/u.test(char);
    if (!space && start < 0) {
      start = index;
    } else if (space && start >= 0) {
      close(index);
    }
  });
  if (start >= 0) {
    close(chars.length);
  }
  return words;
}

/**
 * Collects per-character times as alignment blocks stream in, and gives each word its
 * start (its first character's start) and end (its last character's end), in seconds.
 */
export class WordTimeline {
  constructor(text) {
    this.words = splitWords(text);
    const length = Array.from(text).length;
    this.starts = new Array(length).fill(null);
    this.ends = new Array(length).fill(null);
    this.filled = 0;
  }

  add(alignment) {
    if (!alignment || !Array.isArray(alignment.characters)) {
      return;
    }
    const starts = alignment.character_start_times_seconds || [];
    const ends = alignment.character_end_times_seconds || [];
    for (let i = 0; i < alignment.characters.length && this.filled < this.starts.length; i += 1) {
      this.starts[this.filled] = starts[i];
      this.ends[this.filled] = ends[i];
      this.filled += 1;
    }
    for (const word of this.words) {
      if (word.finish === null && word.end <= this.filled) {
        word.begin = this.starts[word.start];
        word.finish = this.ends[word.end - 1];
      }
    }
  }

  get timed() {
    return this.words.length > 0 && this.words.every((word) => word.finish !== null);
  }

  /** Index of the word being spoken at `seconds` (the last one started), or -1. */
  wordAt(seconds) {
    let found = -1;
    for (let i = 0; i < this.words.length; i += 1) {
      const begin = this.words[i].begin;
      if (begin === null || begin > seconds) {
        break;
      }
      found = i;
    }
    return found;
  }
}

/** Cues of whole words: at most ~42 characters and 5 s, split after sentence ends. */
function cues(words) {
  const result = [];
  let current = null;
  for (const word of words) {
    if (word.begin === null) {
      continue;
    }
    const text = current ? `${current.text} ${word.text}` : word.text;
    if (current && (text.length > MAX_CUE_CHARS || word.finish - current.begin > MAX_CUE_SECONDS || current.closed)) {
      result.push(current);
      current = null;
    }
    if (current) {
      current.text = text;
      current.finish = word.finish;
    } else {
      current = { text: word.text, begin: word.begin, finish: word.finish };
    }
    current.closed = /[.!?…]["')\]]?$/.test(word.text);
  }
  if (current) {
    result.push(current);
  }
  return result;
}

export function toSrt(words) {
  return cues(words)
    .map((cue, index) => `${index + 1}\n${stamp(cue.begin, ",")} --> ${stamp(cue.finish, ",")}\n${cue.text}\n`)
    .join("\n");
}

export function toVtt(words) {
  const body = cues(words)
    .map((cue) => `${stamp(cue.begin, ".")} --> ${stamp(cue.finish, ".")}\n${cue.text}\n`)
    .join("\n");
  return `WEBVTT\n\n${body}`;
}

function stamp(seconds, separator) {
  const total = Math.max(0, Math.round(seconds * 1000));
  const pad = (value, width = 2) => String(value).padStart(width, "0");
  const hours = Math.floor(total / 3600000);
  const minutes = Math.floor((total % 3600000) / 60000);
  const secs = Math.floor((total % 60000) / 1000);
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(total % 1000, 3)}`;
}
