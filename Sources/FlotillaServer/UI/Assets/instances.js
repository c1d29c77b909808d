// The instance list (`/api/v2/vms`, paged with its cursor) with filters and the actions a role allows. Live events
// update rows in place and add new instances without a reload.

import { api, mayDo, needs } from "./api.js";
import { confirmButton, fill, h, stateBadge } from "./dom.js";

const PAGE = 50;
const STATES = ["pending", "creating", "starting", "running", "stopping", "stopped", "paused", "restarting", "error", "deleting"];
const BACKENDS = ["sim", "docker", "kvm"];

/** The actions each state offers (the server still decides); a running kvm VM can also move live (ADR 0027). */
export function actionsFor(state, backend) {
  switch (state) {
    case "running": return ["stop", "restart", "pause", "migrate", ...(backend === "kvm" ? ["migrate live"] : [])];
    case "paused": return ["resume", "stop"];
    case "stopped": case "error": return ["start", "migrate"];
    default: return [];
  }
}

/** Runs an action on an instance; returns the answer's instance. */
export async function perform(app, vm, action) {
  const path = `/api/v2/vms/${encodeURIComponent(vm.id)}`;
  try {
    const result = action === "delete" ? await api("DELETE", path)
      : action === "migrate live" ? await api("POST", `${path}/migrate`, { body: { live: true } })
      : await api("POST", `${path}/${action}`);
    app.notify(`${vm.name}: ${action} requested.`, "info");
    return result;
  } catch (error) {
    app.fail(error, `${action} instance ${vm.name}`);
    return null;
  }
}

/** The action buttons of one instance. */
export function actionButtons(app, vm, after) {
  const allowed = mayDo(needs.instances);
  const title = allowed ? null : "your key's role may not change instances";
  const run = async (action) => { const result = await perform(app, vm, action); after(result, action); };
  const buttons = actionsFor(vm.observed?.state, vm.backend).map((action) =>
    h("button", { type: "button", disabled: !allowed, title, "aria-label": `${action} ${vm.name}`, dataset: { action }, onclick: () => run(action) }, action));
  const del = confirmButton("Delete", () => run("delete"), { disabled: !allowed, title, "aria-label": `delete ${vm.name}`, "data-action": "delete" });
  return [...buttons, del];
}

export function renderInstances(app) {
  const rows = new Map();
  let cursor = null;
  let stopped = false;
  let rendered = false;
  const filters = { state: "", backend: "", host: "", name: "" };
  const select = (name, label, options) => {
    const el = h("select", { id: `filter-${name}`, name },
      h("option", { value: "" }, "any"), options.map((o) => h("option", { value: o.value ?? o }, o.label ?? o)));
    el.addEventListener("change", () => { filters[name] = el.value; reload(); });
    return h("label", { for: `filter-${name}` }, label, el);
  };
  const workerSelect = h("select", { id: "filter-host", name: "host" }, h("option", { value: "" }, "any"));
  workerSelect.addEventListener("change", () => { filters.host = workerSelect.value; reload(); });
  const nameInput = h("input", { id: "filter-name", type: "search", placeholder: "part of a name", autocomplete: "off" });
  nameInput.addEventListener("input", () => { filters.name = nameInput.value.trim().toLowerCase(); draw(); });
  const body = h("tbody");
  const status = h("span", { class: "muted", role: "status" }, "Loading…");
  const more = h("button", { type: "button", hidden: true, onclick: () => load(false) }, "Load more");
  const table = h("table", { class: "instances" },
    h("caption", { class: "skip" }, "Instances"),
    h("thead", {}, h("tr", {}, ["Name", "State", "Desired", "Backend", "Worker", "Zone", "CPU / memory", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
    body);
  app.main.append(h("section", { "aria-labelledby": "instances-title" },
    h("h1", { id: "instances-title" }, "Instances"),
    h("div", { class: "filters" }, select("state", "State", STATES), select("backend", "Backend", BACKENDS),
      h("label", { for: "filter-host" }, "Worker", workerSelect), h("label", { for: "filter-name" }, "Name", nameInput)),
    table, h("div", { class: "more" }, more, status)));

  function matches(vm) {
    if (filters.state && vm.observed?.state !== filters.state) return false;
    if (filters.backend && vm.backend !== filters.backend) return false;
    if (filters.host && vm.host?.id !== filters.host) return false;
    if (filters.name && !vm.name.toLowerCase().includes(filters.name)) return false;
    return true;
  }

  function row(vm) {
    const r = vm.spec?.resources ?? {};
    return h("tr", { dataset: { id: vm.id, state: vm.observed?.state ?? "" } },
      h("td", {}, h("a", { href: `#/instances/${encodeURIComponent(vm.id)}` }, vm.name)),
      h("td", {}, stateBadge(vm.observed?.state)), h("td", { class: "muted" }, vm.desired),
      h("td", {}, vm.backend), h("td", {}, vm.host?.id ?? "–"), h("td", {}, vm.host?.zone ?? "–"),
      h("td", { class: "num" }, `${r.cpu_cores ?? "–"} · ${r.memory_mb ?? "–"} MB`),
      h("td", { class: "actions" }, actionButtons(app, vm, (result) => (result?.id ? upsert(result) : draw()))));
  }

  function draw() {
    const shown = [...rows.values()].filter(matches);
    fill(body, shown.length ? shown.map(row) : h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No instances match.")));
    status.textContent = `${shown.length} shown${cursor ? ", more on the server" : ""}`;
    more.hidden = !cursor;
    if (!rendered) {
      rendered = true;
      performance.mark("flotilla:instances-rendered");
    }
  }

  /** The revision a row reflects: an answer that left before a later event must not undo it. */
  const revision = (vm) => vm.seenRevision ?? vm.revisions?.modified ?? 0;

  function upsert(vm) {
    const known = rows.get(vm.id);
    if (!known || revision(vm) >= revision(known)) rows.set(vm.id, vm);
    draw();
  }

  async function load(first) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (filters.state) query.set("state", filters.state);
    if (filters.backend) query.set("backend", filters.backend);
    if (filters.host) query.set("host", filters.host);
    if (!first && cursor) query.set("cursor", cursor);
    try {
      const page = await api("GET", `/api/v2/vms?${query}`);
      if (stopped) return;
      if (first) rows.clear();
      for (const vm of page.items ?? []) rows.set(vm.id, vm);
      cursor = page.next_cursor ?? null;
      draw();
    } catch (error) {
      if (!stopped) { status.textContent = ""; app.fail(error, "list instances"); }
    }
  }

  function reload() { cursor = null; load(true); }

  async function loadWorkers() {
    try {
      const { workers } = await api("GET", "/api/v1/workers");
      if (stopped) return;
      workerSelect.append(...(workers ?? []).map((w) => h("option", { value: w.id }, `${w.id} (${w.zone || "no zone"})`)));
    } catch (error) {
      if (!stopped) app.fail(error, "list workers");
    }
  }

  /** Live events: patch known rows, fetch instances created since the page loaded, drop deleted ones. */
  const unsubscribe = app.subscribe(async (events) => {
    let changed = false;
    const fetches = [];
    for (const event of events) {
      if (event.type === "reset") { reload(); return; }
      const id = event.instance_id;
      if (!id) continue;
      if (event.type === "instance.deleted") { changed = rows.delete(id) || changed; continue; }
      const vm = rows.get(id);
      if (vm && event.instance && Number(event.revision) >= revision(vm)) {
        vm.seenRevision = Number(event.revision);
        vm.observed = { ...vm.observed, state: event.instance.state };
        vm.desired = event.instance.desired;
        if (event.instance.host && vm.host?.id !== event.instance.host) vm.host = { id: event.instance.host, zone: null };
        changed = true;
      }
      // An instance this page has not loaded: fetch it only when the whole list is loaded (no more pages), else it
      // comes with its page; a placement names the zone, which the event does not.
      if ((!vm && rendered && !cursor) || (vm && event.type === "instance.placed")) fetches.push(id);
    }
    if (changed) draw();
    for (const id of new Set(fetches)) {
      try {
        const vm = await api("GET", `/api/v2/vms/${encodeURIComponent(id)}`);
        if (!stopped) upsert(vm);
      } catch { /* deleted meanwhile */ }
    }
  });

  loadWorkers();
  load(true);
  return () => { stopped = true; unsubscribe(); };
}
