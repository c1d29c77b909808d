// The dashboard's shell: sign-in, the hash router (#/, #/instances, #/instances/<id>, #/events), the notice line and
// the one live event stream every view listens to.

import { api, ApiError, describe, onUnauthorized, session } from "./api.js";
import { fill, h } from "./dom.js";
import { EventStream } from "./events.js";
import { renderOverview } from "./overview.js";
import { renderInstances } from "./instances.js";
import { renderInstance } from "./instance.js";
import { renderFeed } from "./feed.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const notice = document.getElementById("notice");
const live = document.getElementById("live");
const who = document.getElementById("who");
const signout = document.getElementById("signout");

/** What views share: the notice line, the event stream and the recent events. */
const app = {
  main,
  recent: [],
  listeners: new Set(),
  notify(message, tone = "error") {
    notice.className = `notice${tone === "error" ? "" : " info"}`;
    fill(notice, h("span", {}, message), h("button", { type: "button", onclick: () => app.clear() }, "Dismiss"));
    notice.hidden = false;
  },
  clear() { notice.hidden = true; notice.replaceChildren(); },
  fail(error, action) {
    if (error instanceof ApiError && error.status === 401) return;
    app.notify(describe(error, action));
    app.showRole();
  },
  /** Calls `listener(events)` for each batch of live events until the returned function is called. */
  subscribe(listener) { app.listeners.add(listener); return () => app.listeners.delete(listener); },
  showRole() { who.textContent = session.role ? `role ${session.role}` : "signed in"; },
};

const stream = new EventStream({
  onEvents(events) {
    const received = new Date();
    for (const event of events) event.received = received;
    app.recent.unshift(...[...events].reverse());
    app.recent.length = Math.min(app.recent.length, 500);
    for (const listener of app.listeners) listener(events);
  },
  onStatus(status) {
    live.textContent = status === "live" ? "live" : status === "reconnecting" ? "reconnecting…" : "";
    live.className = `live ${status === "live" ? "on" : status === "reconnecting" ? "off" : ""}`;
  },
  onReset() { for (const listener of app.listeners) listener([{ type: "reset" }]); },
  onUnauthorized() { signOut("Your key is no longer accepted: sign in again."); },
});

let cleanup = null;

function route() {
  app.clear();
  cleanup?.();
  cleanup = null;
  if (!session.key) { showSignIn(); return; }
  nav.hidden = false;
  signout.hidden = false;
  app.showRole();
  stream.start();
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("?")[0].split("/").filter(Boolean);
  const section = parts[0] ?? "overview";
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  main.replaceChildren();
  if (section === "instances" && parts[1]) cleanup = renderInstance(app, decodeURIComponent(parts[1]));
  else if (section === "instances") cleanup = renderInstances(app);
  else if (section === "events") cleanup = renderFeed(app);
  else cleanup = renderOverview(app);
  main.focus({ preventScroll: true });
}

function showSignIn(message) {
  nav.hidden = true;
  signout.hidden = true;
  who.textContent = "";
  const input = h("input", {
    id: "key", name: "key", type: "password", autocomplete: "off", spellcheck: "false", required: true,
    placeholder: "flt_…", "aria-describedby": "signin-error",
  });
  const error = h("p", { id: "signin-error", class: "error", role: "alert" }, message ?? "");
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", {}, h("label", { for: "key" }, "API key"), input, submit, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    submit.disabled = true;
    error.textContent = "";
    session.key = key;
    try {
      await api("GET", "/api/v2/cluster");
      app.clear();
      route();
    } catch (failure) {
      session.signOut();
      error.textContent = failure instanceof ApiError && failure.status === 401
        ? "That key was refused: check it and try again."
        : describe(failure, "sign in");
    } finally {
      submit.disabled = false;
    }
  });
  fill(main, h("section", { class: "signin card" },
    h("h1", {}, "Sign in to Flotilla"),
    h("p", { class: "muted" }, "Use an API key of this cluster. It stays in this browser tab only and is sent as the X-API-Key header."),
    form));
  input.focus();
}

function signOut(message) {
  cleanup?.();
  cleanup = null;
  session.signOut();
  stream.stop();
  app.recent.length = 0;
  app.clear();
  if (location.hash) history.replaceState(null, "", location.pathname);
  showSignIn(message);
}

onUnauthorized(() => signOut("Your key was refused (401): sign in again."));
signout.addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
route();
