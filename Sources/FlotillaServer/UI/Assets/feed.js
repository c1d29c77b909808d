// The live event feed (#/events): the events this tab received, newest first, as they arrive.

import { fill, fmtTime, h, stateBadge } from "./dom.js";

export function renderFeed(app) {
  const list = h("ol", { class: "feed", reversed: true, "aria-live": "polite", "aria-label": "Events, newest first" });
  const note = h("p", { class: "muted" }, "The last events of the cluster, newest first, as they arrive. After a dropped connection the feed resumes where it stopped.");
  app.main.append(h("section", { "aria-labelledby": "events-title" }, h("h1", { id: "events-title" }, "Events"), note, list));

  function item(event) {
    const instance = event.instance;
    const what = instance
      ? [h("a", { href: `#/instances/${encodeURIComponent(instance.id)}` }, instance.name), " ",
        event.previous_state ? [stateBadge(event.previous_state), " → "] : null, stateBadge(instance.state),
        instance.host ? h("span", { class: "muted" }, ` on ${instance.host}`) : null]
      : [event.worker_id ? `worker ${event.worker_id}` : "", event.term ? ` (term ${event.term})` : ""];
    return h("li", { dataset: { type: event.type } },
      h("span", { class: "muted num" }, fmtTime(event.received)), h("span", { class: "num" }, `#${event.revision ?? event.id}`),
      h("span", { class: "mono" }, event.type), h("span", {}, what));
  }

  function draw() {
    const events = app.recent.filter((e) => e.type !== "reset").slice(0, 300);
    fill(list, events.length ? events.map(item) : h("li", { class: "muted empty" }, "Waiting for events…"));
  }
  const unsubscribe = app.subscribe(() => draw());
  draw();
  return unsubscribe;
}
