// Small DOM helpers shared by the pages. Text always goes in through textContent, never
// as HTML, so whatever an agent, a tool or a user writes shows as literal text.

import { signOut } from "./session.js";

const THEME_KEY = "tts-agents-theme";

/** An element with a class and literal text. */
export function element(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}

/** The element with `id` (it must exist: the pages are static). */
export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) {
    throw new Error(`missing #${id}`);
  }
  return node;
}

/** Shows a notice: a bold title and a plain-text body, optionally with a code sample. */
export function showNotice(node, title, body, code = null) {
  node.replaceChildren(element("strong", "", title), element("span", "", body));
  if (code !== null) {
    node.append(" ", element("code", "", code));
  }
  node.hidden = false;
}

/** Downloads `blob` as a file called `name` (a same-origin blob: link, so the CSP allows it). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = element("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Wires the header: theme toggle, and sign-out when a session exists. */
export function initHeader(state) {
  const toggle = byId("theme-toggle");
  const updateLabel = () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    toggle.setAttribute("aria-label", `Switch to ${next} theme`);
    toggle.title = `Switch to ${next} theme`;
  };
  toggle.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      window.localStorage.setItem(THEME_KEY, next);
    } catch (error) {
      // Storage disabled: the choice lasts for this page only.
    }
    updateLabel();
    window.dispatchEvent(new CustomEvent("tts-theme-change"));
  });
  updateLabel();
  const out = byId("sign-out");
  out.hidden = !(state.authenticated && state.login_required);
  out.addEventListener("click", async () => {
    await signOut();
    window.location.reload();
  });
}

/** "dark" or "light": the saved choice, else the system's. */
function currentTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "dark" || chosen === "light") {
    return chosen;
  }
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** A CSS custom property's value on the root (theme colours for canvases). */
export function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The sign-in guidance shown when a page needs a session it does not have. */
export function signInText(loginError) {
  const why = loginError ? `${loginError}. ` : "";
  return `${why}Open the sign-in link that "tts-agents serve" printed when it started (it ends in #login=…). Each link works once; a holder of an API key can make a new one with POST /v1/web/login-links.`;
}
