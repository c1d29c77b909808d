// Small DOM helpers: every text goes in through textContent, never as HTML.

/** Creates an element: `h("td", { class: "num" }, "12")`. Attributes starting with `on` are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat(Infinity)) if (child) el.append(child);
  return el;
}

/** A capacity bar: label, bar, "used / total unit". */
export function meter(label, used, total, unit = "") {
  const ratio = total > 0 ? Math.min(1, used / total) : 0;
  const fillEl = h("span");
  fillEl.style.width = `${(ratio * 100).toFixed(1)}%`;
  const bar = h("div", {
    class: `bar${ratio >= 0.95 ? " full" : ratio >= 0.8 ? " high" : ""}`, role: "meter",
    "aria-label": label, "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": used,
  }, fillEl);
  return h("div", { class: "meter" }, h("span", {}, label), bar, h("span", { class: "num" }, `${fmtNumber(used)} / ${fmtNumber(total)}${unit}`));
}

export function fmtNumber(n) {
  if (typeof n !== "number") return "–";
  return Number.isInteger(n) ? n.toLocaleString("en") : n.toLocaleString("en", { maximumFractionDigits: 1 });
}

export function fmtBytes(n) {
  if (typeof n !== "number") return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? "–" : d.toLocaleTimeString("en-GB", { hour12: false });
}

export function fmtAgo(value) {
  const s = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (Number.isNaN(s)) return "–";
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function badge(text, tone) { return h("span", { class: `badge ${tone}` }, text); }

export function stateBadge(state) { return h("span", { class: `state state-${state}` }, state ?? "–"); }

/** A button that asks for a second press before it runs `action` (no modal dialog). */
export function confirmButton(label, action, attrs = {}) {
  const button = h("button", { type: "button", class: "danger", ...attrs }, label);
  let armed = null;
  button.addEventListener("click", () => {
    if (armed) { clearTimeout(armed); armed = null; button.textContent = label; button.className = "danger"; action(); return; }
    button.textContent = `Confirm ${label.toLowerCase()}`;
    button.className = "confirm";
    armed = setTimeout(() => { armed = null; button.textContent = label; button.className = "danger"; }, 4000);
  });
  return button;
}
