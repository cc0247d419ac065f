// Browser sign-in and API calls.
//
// `tts-agents serve` prints a URL with a one-time `#login=` token (in the fragment, so it is
// never sent to a server or logged). The page trades it for a session cookie (HttpOnly:
// this code never sees it) and drops the token from the address bar. API calls then carry the session's CSRF token in a header; it lives only in memory.
// The API key never reaches the page.

const SESSION_PATH = "/v1/web/session";
const RENEW_EVERY_MS = 10 * 60 * 1000;

let current = {
  authenticated: false,
  login_required: true,
  csrf_token: null,
  csrf_header: "x-tts-agents-csrf",
  agents: [],
};
let renewTimer = null;

/** Signs in with `#login=` when present, then returns the session (and any sign-in error). */
export async function startSession() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("login");
  let loginError = null;
  if (token) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    loginError = await redeem(token);
  }
  if (loginError !== null || !current.authenticated) {
    await refresh();
  }
  if (renewTimer === null) {
    renewTimer = window.setInterval(refresh, RENEW_EVERY_MS);
  }
  return { ...current, loginError };
}

/** The session as last seen. */
export function session() {
  return current;
}

/** `fetch` for our API: same-origin cookie plus the CSRF header; 401 means signed out. */
export async function apiFetch(path, init = {}) {
  const headers = new Headers(init.headers || {});
  if (current.csrf_token) {
    headers.set(current.csrf_header, current.csrf_token);
  }
  const response = await fetch(path, { ...init, headers, credentials: "same-origin", cache: "no-store" });
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("tts-session-expired"));
  }
  return response;
}

/** Ends the session on the server (the cookie stops working at once). */
export async function signOut() {
  await apiFetch(SESSION_PATH, { method: "DELETE" });
  current = { ...current, authenticated: false, csrf_token: null, agents: current.agents.filter((a) => a.public) };
}

/** A readable message from an error response of either API shape. */
export async function errorMessage(response) {
  try {
    const body = await response.json();
    const detail = body.error || body.detail;
    if (detail && typeof detail.message === "string") {
      return detail.message;
    }
  } catch (error) {
    // Not JSON: fall through to the status line.
  }
  return `The server answered ${response.status} ${response.statusText}`.trim();
}

async function redeem(token) {
  const response = await fetch(SESSION_PATH, {
    method: "POST",
    headers: { "Content-Type": "application/json", [current.csrf_header]: "login" },
    body: JSON.stringify({ login_token: token }),
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok) {
    return errorMessage(response);
  }
  current = await response.json();
  return current.login_error ?? null;
}

async function refresh() {
  try {
    const response = await fetch(SESSION_PATH, { credentials: "same-origin", cache: "no-store" });
    if (response.ok) {
      current = await response.json();
    }
  } catch (error) {
    // Offline for a moment: keep the last session; the next call will tell.
  }
  return current;
}
