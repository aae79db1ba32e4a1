// Charts drawn as inline SVG: stacked share bars (modality weights, contributions, audio content), a score
// bar, and the video timeline with sampled frames and cuts. Colours come from CSS classes (app.css).

import { clock, h, percent } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";

export const MODALITIES = ["text", "visual", "audio"];

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child) el.append(child);
  }
  return el;
}

const title = (text) => svg("title", {}, document.createTextNode(text));

/**
 * A horizontal bar split into parts [{name, value, cls}] proportional to their positive values, with a legend
 * underneath (name and `format(value)`); `label` is read by screen readers.
 */
export function stackedBar(parts, { label, format = (v) => percent(v), legend = true } = {}) {
  const total = parts.reduce((sum, p) => sum + Math.max(0, p.value), 0);
  const rects = [];
  let x = 0;
  for (const part of parts) {
    const width = total > 0 ? (100 * Math.max(0, part.value)) / total : 0;
    if (width > 0) {
      rects.push(svg("rect", { x, y: 0, width, height: 10, class: part.cls }, title(`${part.name}: ${format(part.value)}`)));
    }
    x += width;
  }
  if (!rects.length) rects.push(svg("rect", { x: 0, y: 0, width: 100, height: 10, class: "empty" }));
  const bar = svg("svg", { class: "stacked", viewBox: "0 0 100 10", preserveAspectRatio: "none", role: "img",
                           "aria-label": label || parts.map((p) => `${p.name} ${format(p.value)}`).join(", ") }, rects);
  if (!legend) return bar;
  const items = parts.map((p) => h("li", {}, h("span", { class: `swatch ${p.cls}`, "aria-hidden": "true" }),
                                   h("span", { class: "legend-name", text: p.name }), " ",
                                   h("span", { class: "legend-value", text: format(p.value) })));
  return h("div", { class: "stacked-chart" }, bar, h("ul", { class: "legend" }, items));
}

/** A thin bar for one score in [0, 1]. */
export function scoreBar(score, cls = "score") {
  const width = Math.max(0, Math.min(1, Number(score) || 0)) * 100;
  return svg("svg", { class: "score-bar", viewBox: "0 0 100 4", preserveAspectRatio: "none", "aria-hidden": "true" },
    svg("rect", { x: 0, y: 0, width: 100, height: 4, class: "track" }),
    svg("rect", { x: 0, y: 0, width, height: 4, class: cls }));
}

/** Per-modality parts of a weights or contributions object, in the fixed modality order. */
export function modalityParts(values) {
  return MODALITIES.map((m) => ({ name: m, value: Number(values?.[m]) || 0, cls: `m-${m}` }));
}

/**
 * The video's time axis: shots as alternating bands, a tick for each sampled frame, a red line at each cut,
 * with the start and end times written underneath.
 */
export function timeline(duration, frames, shotStarts) {
  const end = Math.max(duration || 0, ...frames.map((f) => f.time_s), 0.001);
  const x = (t) => (1000 * t) / end;
  const starts = shotStarts.length ? shotStarts : [0];
  const bands = starts.map((start, i) => {
    const stop = i + 1 < starts.length ? starts[i + 1] : end;
    return svg("rect", { x: x(start), y: 0, width: Math.max(0, x(stop) - x(start)), height: 40,
                         class: i % 2 ? "band odd" : "band" }, title(`shot ${i + 1}: ${clock(start)}–${clock(stop)}`));
  });
  const ticks = frames.map((f) => svg("line", { x1: x(f.time_s), x2: x(f.time_s), y1: 12, y2: 28, class: "tick",
                                                "vector-effect": "non-scaling-stroke" },
                                      title(`frame ${f.index + 1} at ${clock(f.time_s)}`)));
  const cuts = starts.filter((s) => s > 0).map((s) => svg("line", { x1: x(s), x2: x(s), y1: 0, y2: 40, class: "cut",
                                                                  "vector-effect": "non-scaling-stroke" },
                                                          title(`cut at ${clock(s)}`)));
  const cutWords = cuts.length ? `cuts at ${starts.filter((s) => s > 0).map(clock).join(", ")}` : "no cuts";
  const chart = svg("svg", { class: "timeline", viewBox: "0 0 1000 40", preserveAspectRatio: "none", role: "img",
                             "aria-label": `timeline of ${clock(end)}: ${frames.length} sampled frames, ${cutWords}` },
                    bands, ticks, cuts);
  const axis = h("div", { class: "axis" }, h("span", { text: clock(0) }),
                 h("span", { class: "axis-key" },
                   h("span", { class: "key-tick", "aria-hidden": "true" }), "sampled frame ",
                   h("span", { class: "key-cut", "aria-hidden": "true" }), "cut"),
                 h("span", { text: clock(end) }));
  return h("div", { class: "timeline-chart" }, chart, axis);
}
