// The conversation history API (ElevenLabs' shapes), called with this browser's session:
// every call, the audio and export downloads too, goes through apiFetch and so carries the
// CSRF header. That is why the recording is fetched here and played from a blob URL: an
// <audio src> pointing at the API could not send the header.

import { apiFetch, errorMessage } from "./session.js";

const BASE = "/v1/convai/conversations";
export const PAGE_SIZE = 20;

/** An API call that failed; `status` is the HTTP status (404: the conversation is gone). */
export class HistoryError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** One page of summaries, newest first: {conversations, next_cursor, has_more}. */
export async function listConversations(cursor = null) {
  const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
  if (cursor) {
    query.set("cursor", cursor);
  }
  return (await checked(apiFetch(`${BASE}?${query}`))).json();
}

/** One conversation: its transcript, metadata and whether audio is kept. */
export async function getConversation(id) {
  return (await checked(apiFetch(conversationPath(id)))).json();
}

/** The call's audio, both sides mixed, as an MP3 blob. */
export async function conversationAudio(id) {
  return (await checked(apiFetch(conversationPath(id, "/audio")))).blob();
}

/** Everything the server holds about the conversation, as a JSON blob. */
export async function exportConversation(id) {
  return (await checked(apiFetch(conversationPath(id, "/export")))).blob();
}

/** Deletes the conversation, its transcript and its audio on the server. */
export async function deleteConversation(id) {
  await checked(apiFetch(conversationPath(id), { method: "DELETE" }));
}

function conversationPath(id, suffix = "") {
  return `${BASE}/${encodeURIComponent(id)}${suffix}`;
}

async function checked(request) {
  const response = await request;
  if (!response.ok) {
    throw new HistoryError(await errorMessage(response), response.status);
  }
  return response;
}
