// The fleet overview: cluster figures, the leader, workers by zone with capacity bars, the distribution of
// instances over workers. It reloads its figures when live events say something changed.

import { api, mayDo, needs } from "./api.js";
import { badge, fill, fmtAgo, fmtNumber, h, meter } from "./dom.js";

export function renderOverview(app) {
  const root = h("section", { "aria-labelledby": "overview-title" }, h("h1", { id: "overview-title" }, "Fleet overview"), h("p", { class: "muted" }, "Loading…"));
  app.main.append(root);
  let timer = null;
  let stopped = false;

  async function load() {
    try {
      const [stats, workers, distribution, cluster] = await Promise.all([
        api("GET", "/api/v1/cluster/stats"), api("GET", "/api/v1/workers"),
        api("GET", "/api/v1/cluster/distribution"), api("GET", "/api/v2/cluster"),
      ]);
      if (!stopped) draw(root, app, { stats, workers: workers.workers ?? [], distribution, cluster }, load);
    } catch (error) {
      if (!stopped) app.fail(error, "load the overview");
    }
  }
  const unsubscribe = app.subscribe(() => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  });
  load();
  return () => { stopped = true; clearTimeout(timer); unsubscribe(); };
}

function draw(root, app, { stats, workers, distribution, cluster }, reload) {
  const card = (label, value, note) => h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), note ? h("div", { class: "muted" }, note) : null);
  const leader = cluster.leader;
  const cards = h("div", { class: "cards" },
    card("Workers", fmtNumber(stats.total_workers), `${stats.active_workers} active · ${stats.draining_workers} draining · ${stats.offline_workers} offline`),
    card("Instances", fmtNumber(stats.total_vms), `${fmtNumber(stats.available_vm_slots)} slots free`),
    card("CPU", `${fmtNumber(stats.cluster_cpu_usage_percent)} %`, `${fmtNumber(stats.used_cpu_cores)} of ${fmtNumber(stats.total_cpu_cores)} cores`),
    card("Memory", `${fmtNumber(stats.cluster_memory_usage_percent)} %`, `${fmtNumber(stats.used_memory_mb)} of ${fmtNumber(stats.total_memory_mb)} MB`),
    card("Leader", leader ? leader.id : "none", leader ? `term ${leader.term}, since ${fmtAgo(leader.since)}` : "no host leads now"),
    card("Store", `${cluster.store.kind}`, `${cluster.store.healthy ? "healthy" : "unhealthy"} · revision ${cluster.store.revision ?? "–"}`));

  const zones = new Map();
  for (const worker of workers) {
    const zone = worker.zone || "(no zone)";
    if (!zones.has(zone)) zones.set(zone, []);
    zones.get(zone).push(worker);
  }
  const zoneCards = [...zones.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([zone, list]) =>
    h("section", { class: "card zone", "aria-label": `Zone ${zone}`, dataset: { zone } },
      h("h3", {}, `Zone ${zone} `, h("span", { class: "muted" }, `(${list.length} worker${list.length === 1 ? "" : "s"})`)),
      list.sort((a, b) => a.id.localeCompare(b.id)).map((worker) => workerRow(app, worker, leader, reload))));

  const rows = (distribution.distribution ?? []).map((entry) => {
    const counts = {};
    for (const vm of entry.vms ?? []) counts[vm.status] = (counts[vm.status] ?? 0) + 1;
    const max = workers.find((w) => w.id === entry.worker_id)?.max_vms ?? 0;
    return h("tr", {},
      h("td", {}, entry.worker_id), h("td", {}, entry.zone ?? "–"),
      h("td", {}, meter("VMs", entry.vm_count, max)),
      h("td", { class: "muted" }, Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(", ") || "none"));
  });
  const table = h("table", { class: "distribution" },
    h("thead", {}, h("tr", {}, h("th", {}, "Worker"), h("th", {}, "Zone"), h("th", {}, "Instances / slots"), h("th", {}, "By state"))),
    h("tbody", {}, rows));

  fill(root, h("h1", { id: "overview-title" }, "Fleet overview"), cards,
    h("h2", {}, "Workers by zone"), h("div", { class: "zones" }, zoneCards),
    h("h2", {}, "Distribution of instances"), table);
}

function workerRow(app, worker, leader, reload) {
  const health = worker.is_healthy ? badge("healthy", "ok") : badge("unhealthy", "bad");
  const tone = worker.status === "active" ? "ok" : worker.status === "draining" ? "warn" : "muted";
  const allowed = mayDo(needs.workers);
  const act = async (verb) => {
    try {
      await api("POST", `/api/v1/workers/${encodeURIComponent(worker.id)}/${verb}`, verb === "drain" ? { body: {} } : {});
      app.notify(`Worker ${worker.id}: ${verb === "drain" ? "draining, it takes no new instances" : "active again"}.`, "info");
      reload();
    } catch (error) {
      app.fail(error, `${verb} worker ${worker.id}`);
      reload();
    }
  };
  const button = worker.status === "draining"
    ? h("button", { type: "button", onclick: () => act("activate"), disabled: !allowed, title: allowed ? null : "your key's role may not activate workers" }, "Activate")
    : h("button", { type: "button", onclick: () => act("drain"), disabled: !allowed || worker.status !== "active", title: allowed ? null : "your key's role may not drain workers" }, "Drain");
  return h("article", { class: "worker", dataset: { worker: worker.id, status: worker.status } },
    h("header", {},
      h("strong", {}, worker.id, leader?.id === worker.id ? h("span", { class: "muted" }, " · leader") : null),
      badge(worker.status, tone), health, button),
    h("div", { class: "muted" }, `${worker.hostname} · ${(worker.capabilities ?? []).join(", ")} · seen ${fmtAgo(worker.last_seen)}`),
    meter("CPU", worker.used_cpu_cores, worker.cpu_cores, " cores"),
    meter("Memory", worker.used_memory_mb, worker.memory_mb, " MB"),
    meter("VMs", worker.vm_count, worker.max_vms));
}
