// One instance (#/instances/<id>): its record, its live status from its own host (`/api/v2/vm/:id/status`, routed
// by whichever host answers), usage, and the log tail (`/api/v2/instances/:id/logs`, else the console).

import { api, ApiError } from "./api.js";
import { fill, fmtAgo, fmtBytes, h, meter, stateBadge } from "./dom.js";
import { actionButtons } from "./instances.js";

const STATUS_EVERY_MS = 3000;
const LOG_EVERY_MS = 5000;
const LOG_LINES = 200;

export function renderInstance(app, id) {
  const path = `/api/v2/vms/${encodeURIComponent(id)}`;
  const title = h("h1", { id: "instance-title" }, "Instance");
  const facts = h("dl", { class: "facts" });
  const actions = h("div", { class: "actions" });
  const statusBox = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Asking its host…"));
  const live = h("div", { class: "card" }, h("h2", {}, "Live status"), statusBox);
  const log = h("pre", { class: "log", tabindex: 0, "aria-label": "Log tail" }, "Loading…");
  const logNote = h("p", { class: "muted" });
  app.main.append(h("section", { "aria-labelledby": "instance-title" },
    h("p", {}, h("a", { href: "#/instances" }, "← Instances")), title,
    h("div", { class: "two" },
      h("div", { class: "card" }, h("h2", {}, "Record"), facts, h("h2", {}, "Actions"), actions),
      live),
    h("h2", {}, "Log tail"), logNote, log));

  let stopped = false;
  let vm = null;
  let logSource = "logs";
  const timers = [];

  async function loadRecord() {
    try {
      vm = await api("GET", path);
      if (!stopped) drawRecord();
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && error.status === 404) fill(facts, h("p", { class: "error" }, `No instance ${id}.`));
      else app.fail(error, `load instance ${id}`);
    }
  }

  function drawRecord() {
    title.textContent = vm.name;
    const r = vm.spec?.resources ?? {};
    const fact = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
    fill(facts,
      fact("State", stateBadge(vm.observed?.state)), fact("Desired", vm.desired), fact("ID", h("span", { class: "mono" }, vm.id)),
      fact("Backend", `${vm.backend} (${vm.kind})`), fact("Image", vm.spec?.image ?? "–"),
      fact("Host", vm.host ? `${vm.host.id} (${vm.host.zone ?? "no zone"})` : "not placed"),
      fact("Resources", `${r.cpu_cores} CPU · ${r.memory_mb} MB · ${r.storage_gb} GB`),
      fact("Restart policy", vm.spec?.restart_policy ?? "–"),
      fact("Restarts", String(vm.observed?.restart_attempts ?? 0)),
      vm.observed?.error ? fact("Error", h("span", { class: "error" }, vm.observed.error)) : null,
      vm.migration ? fact("Last migration", migrationLine(vm.migration)) : null,
      fact("Updated", fmtAgo(vm.updated_at)));
    fill(actions, actionButtons(app, vm, (result, action) => {
      if (action === "delete" && result) location.hash = "#/instances";
      else loadRecord();
    }));
  }

  /** `live, moved h1 → h2 (downtime 12 ms, total 1800 ms)` or `cold, moved h1 → h2: <reason>`. */
  function migrationLine(m) {
    const figures = m.figures ? ` (downtime ${m.figures.downtime_ms} ms, total ${m.figures.total_ms} ms)` : "";
    return `${m.mode}, ${m.outcome} ${m.from} → ${m.to}${figures}${m.reason ? `: ${m.reason}` : ""} · ${fmtAgo(m.at)}`;
  }

  async function loadStatus() {
    try {
      const status = await api("GET", `/api/v2/vm/${encodeURIComponent(id)}/status`);
      if (stopped) return;
      const u = status.usage ?? {};
      fill(statusBox,
        h("p", {}, stateBadge(status.state), ` on ${status.host?.id ?? "–"}`,
          h("span", { class: "muted" }, ` · answered by ${status.served_by}${status.routed ? " (routed)" : ""} · observed ${fmtAgo(status.observed_at)}`)),
        u.cpu ? meter("CPU", Number((u.cpu.usage_percent ?? 0).toFixed(1)), 100, " %") : null,
        u.memory ? meter("Memory", Math.round((u.memory.used_bytes ?? 0) / 1048576), Math.round((u.memory.limit_bytes ?? 0) / 1048576), " MiB") : null,
        u.storage ? meter("Disk", Math.round((u.storage.used_bytes ?? 0) / 1048576), Math.round((u.storage.total_bytes ?? 0) / 1048576), " MiB") : null,
        u.network ? h("p", { class: "muted" }, `Network: ${fmtBytes(u.network.rx_bytes)} in, ${fmtBytes(u.network.tx_bytes)} out`) : null,
        u.cpu ? null : h("p", { class: "muted" }, "No usage while it does not run."));
    } catch (error) {
      if (stopped) return;
      fill(statusBox, h("p", { class: "error" }, error instanceof ApiError ? `${error.message} (HTTP ${error.status})` : String(error)));
    }
  }

  async function loadLog() {
    const enc = encodeURIComponent(id);
    try {
      const text = logSource === "logs"
        ? await api("GET", `/api/v2/instances/${enc}/logs?tail=${LOG_LINES}`, { text: true })
        : await api("GET", `/api/v1/compute/instances/${enc}/console?lines=${LOG_LINES}`, { text: true });
      if (stopped) return;
      const body = typeof text === "string" && text.startsWith("{") ? consoleText(text) : text;
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent = body || "(empty)";
      log.hidden = false;
      if (atEnd) log.scrollTop = log.scrollHeight;
      logNote.textContent = logSource === "logs" ? `Last ${LOG_LINES} lines of its logs.` : `Last ${LOG_LINES} lines of its console.`;
    } catch (error) {
      if (stopped) return;
      if (logSource === "logs" && error instanceof ApiError && (error.status === 404 || error.status === 405) && error.code !== "INSTANCE_NOT_FOUND") {
        logSource = "console";
        return loadLog();
      }
      log.hidden = true;
      logNote.textContent = error instanceof ApiError ? `No log: ${error.message}.` : `No log: ${error}.`;
    }
  }

  function every(ms, fn) { fn(); timers.push(setInterval(fn, ms)); }

  const unsubscribe = app.subscribe((events) => {
    if (events.some((e) => e.instance_id === id || e.type === "reset")) loadRecord();
  });
  loadRecord();
  every(STATUS_EVERY_MS, loadStatus);
  every(LOG_EVERY_MS, loadLog);
  return () => { stopped = true; timers.forEach(clearInterval); unsubscribe(); };
}

/** The console route answers JSON (`{output: ...}` or `{lines: [...]}`): its text. */
function consoleText(raw) {
  try {
    const body = JSON.parse(raw);
    if (Array.isArray(body.lines)) return body.lines.join("\n");
    if (typeof body.output === "string") return body.output;
    return raw;
  } catch { return raw; }
}

