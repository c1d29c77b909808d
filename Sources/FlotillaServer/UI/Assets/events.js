// The live event feed: `GET /api/v2/events` read with fetch and a stream reader (EventSource cannot send the key
// header). After a drop it reconnects with `Last-Event-ID` (the last revision seen), so nothing is missed or repeated.

import { session } from "./api.js";

const MAX_LINE = 1 << 20;      // a longer line is not an event of this server
const STALL_MS = 45000;        // the server sends a keep-alive every 15 s
const CONNECT_MS = 15000;
const BACKLOG = 200;         // revisions of history a new feed starts with

export class EventStream {
  /**
   * @param onEvents called with a list of events (parsed `data`, plus `id`), in revision order
   * @param onStatus called with "live", "reconnecting" or "stopped"
   * @param onReset called when the resume point is gone (410: compacted): reload everything
   */
  constructor({ onEvents, onStatus, onReset, onUnauthorized }) {
    Object.assign(this, { onEvents, onStatus, onReset, onUnauthorized });
    this.lastId = null;
    this.controller = null;
    this.running = null;
  }

  start() {
    if (this.running) return;
    this.controller = new AbortController();
    this.running = this.loop(this.controller.signal);
  }

  async stop() {
    const running = this.running;
    this.running = null;
    this.lastId = null;
    this.controller?.abort();
    this.onStatus("stopped");
    await running?.catch(() => {});
  }

  async loop(signal) {
    let delay = 500;
    if (this.lastId === null) this.lastId = await this.backlogStart(signal);
    while (!signal.aborted) {
      try {
        const ended = await this.connect(signal);
        if (ended) delay = 500;
      } catch (error) {
        if (signal.aborted) return;
        if (error?.status === 401) { this.onUnauthorized(); return; }
        if (error?.status === 410) { this.lastId = null; this.onReset(); }
      }
      if (signal.aborted) return;
      this.onStatus("reconnecting");
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10000);
    }
  }

  /** One connection: reads events until the stream ends or stalls. Returns true when it was live. */
  async connect(signal) {
    const headers = { "X-API-Key": session.key ?? "", Accept: "text/event-stream" };
    if (this.lastId !== null) headers["Last-Event-ID"] = String(this.lastId);
    const local = new AbortController();
    const abort = () => local.abort();
    signal.addEventListener("abort", abort, { once: true });
    let watchdog = setTimeout(abort, CONNECT_MS);
    try {
      const response = await fetch("/api/v2/events", { headers, cache: "no-store", signal: local.signal });
      if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
      this.onStatus("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let block = { id: null, event: null, data: [] };
      let batch = [];
      for (;;) {
        clearTimeout(watchdog);
        watchdog = setTimeout(abort, STALL_MS);
        const { value, done } = await reader.read();
        if (done) return true;
        buffer += value;
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          if (line === "") {
            const event = this.finish(block);
            if (event) batch.push(event);
            block = { id: null, event: null, data: [] };
          } else if (!line.startsWith(":")) {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "id") block.id = text;
            else if (field === "event") block.event = text;
            else if (field === "data") block.data.push(text);
          }
        }
        if (buffer.length > MAX_LINE) throw new Error("event line too long");
        if (batch.length) { this.onEvents(batch); batch = []; }
      }
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener("abort", abort);
      local.abort();
    }
  }

  /** Where a new feed starts: `BACKLOG` revisions back, so the feed page is not empty (null: from now). */
  async backlogStart(signal) {
    try {
      const response = await fetch("/api/v2/cluster", {
        headers: { "X-API-Key": session.key ?? "" }, cache: "no-store", signal: AbortSignal.any([signal, AbortSignal.timeout(CONNECT_MS)]),
      });
      const revision = response.ok ? (await response.json())?.store?.revision : null;
      return typeof revision === "number" ? String(Math.max(0, revision - BACKLOG)) : null;
    } catch {
      return null;
    }
  }

  finish(block) {
    if (block.data.length === 0) return null;
    let data;
    try { data = JSON.parse(block.data.join("\n")); } catch { return null; }
    if (block.event === "error") throw Object.assign(new Error(data.message ?? "stream error"), { status: data.code === "REVISION_COMPACTED" ? 410 : 503 });
    if (block.id !== null) this.lastId = block.id;
    return { ...data, type: data.type ?? block.event, id: block.id };
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
