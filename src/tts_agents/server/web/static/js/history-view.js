// How the history page shows conversations: a row per conversation in the list, and the
// transcript of the one selected. Everything an agent, a tool or a user said goes in as
// text (ui.element), never as HTML.

import { element } from "./ui.js";

const STATUS = { done: "Ended", "in-progress": "In progress", failed: "Failed" };
const ROLES = { user: "User", agent: "Agent" };
const RESULT_CHARS = 160;

/** A list entry: a button naming the agent, when, how long, how many messages, the status. */
export function conversationRow(summary) {
  const button = element("button", "conversation");
  button.type = "button";
  button.dataset.id = summary.conversation_id;
  const top = element("span", "conversation-top");
  top.append(
    element("span", "conversation-agent", summary.agent_name || summary.agent_id),
    statusBadge(summary.status),
  );
  const facts = [duration(summary.call_duration_secs), messages(summary.message_count)];
  button.append(
    top,
    startTime(summary.start_time_unix_secs),
    element("span", "conversation-facts", facts.join(" · ")),
  );
  const row = element("li", "conversation-row");
  row.append(button);
  return row;
}

/** One line about the selected conversation: when, how long, how many messages, how it ended. */
export function conversationFacts(conversation) {
  const { metadata = {}, transcript = [] } = conversation;
  const facts = [
    `Started ${formatTime(metadata.start_time_unix_secs)}`,
    duration(metadata.call_duration_secs),
    messages(transcript.filter((turn) => (turn.message || "").trim()).length),
    STATUS[conversation.status] || conversation.status,
  ];
  if (metadata.termination_reason) {
    facts.push(metadata.termination_reason);
  }
  return facts.join(" · ");
}

/** The transcript's entries: role, time in the call, text, interruptions, tool calls. */
export function transcriptItems(turns) {
  return turns.map(turnItem);
}

function turnItem(turn) {
  const role = ROLES[turn.role] ? turn.role : "agent";
  const item = element("li", `turn turn-${role}`);
  const head = element("div", "turn-head");
  const seconds = Math.max(0, Math.round(turn.time_in_call_secs || 0));
  const at = element("time", "turn-time", clock(seconds));
  at.dateTime = `PT${seconds}S`;
  head.append(element("span", "turn-role", ROLES[role]), at);
  item.append(head);
  if ((turn.message || "").trim()) {
    item.append(element("p", "turn-text", turn.message));
  }
  if (turn.interrupted) {
    item.classList.add("turn-interrupted");
    const badge = element("span", "turn-badge", "Interrupted");
    head.append(badge);
    if (turn.original_message && turn.original_message !== turn.message) {
      badge.title = `Meant to say: ${turn.original_message}`;
      const meant = element("p", "turn-original");
      meant.append(element("span", "turn-original-label", "Meant to say: "), turn.original_message);
      item.append(meant);
    }
  }
  const tools = toolList(turn.tool_calls || [], turn.tool_results || []);
  if (tools !== null) {
    item.append(tools);
  }
  return item;
}

function toolList(calls, results) {
  if (calls.length === 0) {
    return null;
  }
  const list = element("ul", "turn-tools");
  for (const call of calls) {
    const result = results.find((candidate) => candidate.request_id === call.request_id);
    const details = element("details", "tool");
    const summary = element("summary", "tool-summary");
    summary.append(element("code", "tool-name", call.tool_name), " ", toolOutcome(result));
    details.append(summary, toolPart("Arguments", call.params_as_json || "{}"));
    if (result) {
      details.append(toolPart("Result", result.result_value || ""));
    }
    const entry = element("li");
    entry.append(details);
    list.append(entry);
  }
  return list;
}

function toolOutcome(result) {
  if (!result) {
    return element("span", "tool-outcome", "no result");
  }
  if (result.is_error) {
    return element("span", "tool-outcome tool-error", "failed");
  }
  const value = result.result_value || "";
  const short = value.length > RESULT_CHARS ? `${value.slice(0, RESULT_CHARS)}…` : value;
  return element("span", "tool-outcome", `→ ${short}`);
}

function toolPart(label, text) {
  const part = element("div", "tool-part");
  part.append(element("span", "tool-label", label), element("pre", "tool-value", text));
  return part;
}

function statusBadge(status) {
  const badge = element("span", "status-badge", STATUS[status] || status);
  badge.dataset.status = status;
  return badge;
}

function startTime(unix) {
  const node = element("time", "conversation-time", formatTime(unix));
  node.dateTime = new Date(unix * 1000).toISOString();
  return node;
}

/** The start of a call in the browser's locale and time zone. */
function formatTime(unix) {
  return new Date(unix * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A call's length in words: "45 s", "2 min 5 s", "1 h 2 min". */
function duration(seconds) {
  const total = Math.max(0, Math.round(seconds || 0));
  const [hours, minutes, rest] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  if (hours > 0) {
    return `${hours} h ${minutes} min`;
  }
  return minutes > 0 ? `${minutes} min ${rest} s` : `${rest} s`;
}

/** A time in the call: "0:07", "12:34", "1:02:03". */
function clock(seconds) {
  const [hours, minutes, rest] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const mmss = `${hours > 0 ? String(minutes).padStart(2, "0") : minutes}:${String(rest).padStart(2, "0")}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

function messages(count) {
  return count === 1 ? "1 message" : `${count} messages`;
}
