// The history page: the conversations this server keeps, newest first, a page at a time;
// the selected one's transcript and recording; export it as JSON, or delete it for good.

import {
  HistoryError,
  conversationAudio,
  deleteConversation,
  exportConversation,
  getConversation,
  listConversations,
} from "./history-api.js";
import { conversationFacts, conversationRow, transcriptItems } from "./history-view.js";
import { startSession } from "./session.js";
import { byId, initHeader, saveBlob, showNotice, signInText } from "./ui.js";

const view = {
  signin: byId("signin-notice"),
  listStatus: byId("list-status"),
  list: byId("conversation-list"),
  listEmpty: byId("list-empty"),
  loadMore: byId("load-more"),
  heading: byId("detail-heading"),
  meta: byId("detail-meta"),
  exportButton: byId("export-button"),
  deleteButton: byId("delete-button"),
  confirm: byId("delete-confirm"),
  confirmDelete: byId("confirm-delete"),
  cancelDelete: byId("cancel-delete"),
  recording: byId("recording"),
  recordingLabel: byId("recording-label"),
  audio: byId("recording-audio"),
  detailStatus: byId("detail-status"),
  transcript: byId("history-transcript"),
  detailEmpty: byId("detail-empty"),
};

let cursor = null;
let selectedId = null;
let selection = 0; // bumped on every selection, so a slow answer for an older one is dropped
let audioUrl = null;

function setStatus(node, text, kind = "info") {
  node.textContent = text;
  node.dataset.kind = kind;
}

function rows() {
  return [...view.list.querySelectorAll("button.conversation")];
}

function rowFor(id) {
  return rows().find((button) => button.dataset.id === id) || null;
}

function updateListState() {
  const count = rows().length;
  view.listEmpty.hidden = count > 0 || cursor !== null;
  const shown = count === 1 ? "1 conversation" : `${count} conversations`;
  const more = cursor !== null ? "; older ones follow" : "";
  setStatus(view.listStatus, count === 0 ? "" : `${shown}, newest first${more}.`);
}

async function loadPage() {
  view.loadMore.disabled = true;
  try {
    const page = await listConversations(cursor);
    const added = page.conversations.map(conversationRow);
    view.list.append(...added);
    cursor = page.has_more ? page.next_cursor : null;
    view.loadMore.hidden = cursor === null;
    updateListState();
    return added;
  } catch (error) {
    setStatus(view.listStatus, `The conversations could not be loaded: ${error.message}`, "error");
    return [];
  } finally {
    view.loadMore.disabled = false;
  }
}

async function loadMore() {
  const added = await loadPage();
  // Keyboard users carry on where the new entries begin.
  added[0]?.querySelector("button")?.focus();
}

function clearDetail() {
  selection += 1;
  selectedId = null;
  view.audio.pause();
  view.audio.removeAttribute("src");
  view.audio.load();
  if (audioUrl !== null) {
    URL.revokeObjectURL(audioUrl);
    audioUrl = null;
  }
  view.recording.hidden = true;
  view.confirm.hidden = true;
  view.heading.textContent = "Transcript";
  view.meta.textContent = "";
  view.transcript.replaceChildren();
  view.detailEmpty.textContent = "Choose a conversation to read its transcript.";
  view.detailEmpty.hidden = false;
  setStatus(view.detailStatus, "");
  updateActions();
  for (const button of rows()) {
    button.removeAttribute("aria-current");
  }
}

function updateActions() {
  view.exportButton.disabled = selectedId === null;
  view.deleteButton.disabled = selectedId === null;
}

async function select(id) {
  clearDetail();
  const mine = selection;
  selectedId = id;
  rowFor(id)?.setAttribute("aria-current", "true");
  view.detailEmpty.hidden = true;
  setStatus(view.detailStatus, "Loading the transcript…");
  try {
    const conversation = await getConversation(id);
    if (mine !== selection) {
      return;
    }
    show(conversation);
    view.heading.focus();
    if (conversation.has_audio) {
      await loadAudio(id, mine);
    }
  } catch (error) {
    if (mine === selection) {
      setStatus(view.detailStatus, `The conversation could not be loaded: ${error.message}`, "error");
    }
  }
}

function show(conversation) {
  view.heading.textContent = `Conversation with ${conversation.agent_name || conversation.agent_id}`;
  view.meta.textContent = conversationFacts(conversation);
  const turns = conversation.transcript || [];
  view.transcript.replaceChildren(...transcriptItems(turns));
  view.detailEmpty.textContent = "This conversation has no transcript (only its audio was kept).";
  view.detailEmpty.hidden = turns.length > 0;
  setStatus(view.detailStatus, "");
  updateActions();
}

async function loadAudio(id, mine) {
  view.recordingLabel.textContent = "Recording of the call (loading…)";
  view.recording.hidden = false;
  try {
    const blob = await conversationAudio(id);
    if (mine !== selection) {
      return;
    }
    audioUrl = URL.createObjectURL(blob);
    view.audio.src = audioUrl;
    view.recordingLabel.textContent = "Recording of the call";
  } catch (error) {
    if (mine === selection) {
      view.recordingLabel.textContent = `The recording could not be loaded: ${error.message}`;
    }
  }
}

async function exportSelected() {
  const id = selectedId;
  view.exportButton.disabled = true;
  try {
    const name = `conversation-${id.replace(/[^\w.-]/g, "_")}.json`;
    saveBlob(await exportConversation(id), name);
    setStatus(view.detailStatus, `Exported ${name}.`);
  } catch (error) {
    setStatus(view.detailStatus, `The export failed: ${error.message}`, "error");
  } finally {
    updateActions();
  }
}

function askToDelete() {
  view.confirm.hidden = false;
  view.cancelDelete.focus();
}

function cancelDelete() {
  view.confirm.hidden = true;
  view.deleteButton.focus();
}

async function deleteSelected() {
  const id = selectedId;
  view.confirmDelete.disabled = true;
  try {
    await deleteConversation(id);
  } catch (error) {
    if (!(error instanceof HistoryError && error.status === 404)) { // already gone is fine
      setStatus(view.detailStatus, `The conversation could not be deleted: ${error.message}`, "error");
      return;
    }
  } finally {
    view.confirmDelete.disabled = false;
  }
  const row = rowFor(id)?.closest("li");
  const neighbour = row?.nextElementSibling || row?.previousElementSibling;
  row?.remove();
  clearDetail();
  setStatus(view.detailStatus, "The conversation was deleted.");
  updateListState();
  (neighbour?.querySelector("button") || view.heading).focus();
  if (rows().length === 0 && cursor !== null) {
    await loadPage();
  }
}

function wire() {
  view.list.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button.conversation") : null;
    if (button !== null) {
      select(button.dataset.id);
    }
  });
  view.loadMore.addEventListener("click", loadMore);
  view.exportButton.addEventListener("click", exportSelected);
  view.deleteButton.addEventListener("click", askToDelete);
  view.cancelDelete.addEventListener("click", cancelDelete);
  view.confirmDelete.addEventListener("click", deleteSelected);
  view.confirm.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      cancelDelete();
    }
  });
  window.addEventListener("tts-session-expired", () => showSignIn(null));
}

function showSignIn(loginError) {
  showNotice(view.signin, "Sign in to see the conversation history", signInText(loginError));
}

async function main() {
  const current = await startSession();
  initHeader(current);
  wire();
  updateActions();
  if (!current.authenticated) {
    showSignIn(current.loginError);
    setStatus(view.listStatus, "Sign in to see the conversations this server keeps.");
    return;
  }
  await loadPage();
}

main();
