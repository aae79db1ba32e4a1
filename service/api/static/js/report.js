// What reelsense understood about one video: sampled frames with cuts, modality weights, tags by source,
// the audio card, on-screen text, the look of the picture, and warnings in plain words.

import { modalityParts, scoreBar, stackedBar, timeline } from "./charts.js";
import { clock, h, number, percent } from "./dom.js";

const SOURCES = [
  ["hashtag", "Hashtags"],
  ["category", "Categories"],
  ["keyword", "Keywords from the words"],
  ["topic", "Topics"],
  ["clip", "Visual (CLIP)"],
  ["frame_stats", "Picture: colour and motion"],
  ["ocr", "On-screen text"],
  ["audio", "Sound"],
];

const COLOURS = { // dominant-colour names of the frame statistics -> a swatch colour
  black: "#111", white: "#f5f5f5", gray: "#8a8a8a", grey: "#8a8a8a", red: "#d62828", orange: "#f77f00",
  yellow: "#fcbf49", green: "#4caf50", cyan: "#26c6da", blue: "#1e88e5", purple: "#8e44ad", magenta: "#d81b60",
  pink: "#f48fb1", brown: "#8d6e63",
};

/** Server warnings rewritten for people; the original text stays available as a tooltip. */
export function plainWarning(text) {
  if (/^visual: no CLIP weights/.test(text)) {
    return "No CLIP weights on this server: visual tags are colour and motion only "
      + "(set REELSENSE_CLIP_PRETRAINED to a checkpoint file for scene and object tags).";
  }
  const early = /^decoding stopped early at ([\d.]+) s/.exec(text);
  if (early) return `The file is damaged after ${early[1]} s: only the part before that was analysed.`;
  return text;
}

function notes(video) {
  const items = video.warnings.map((w) => h("li", { class: "warning", title: w, text: plainWarning(w) }));
  if (!(video.confidence.audio > 0)) {
    items.push(h("li", { class: "note", text: "No usable sound: the audio modality does not count for this video." }));
  }
  const text = video.stats.text || {};
  if (text.topics_available === false) {
    items.push(h("li", { class: "note", text: "No topic model fitted yet, so there are no topic tags "
      + "(`reelsense topics fit` once enough videos are stored)." }));
  }
  return items.length ? h("ul", { class: "notes", "aria-label": "Warnings" }, items) : null;
}

function header(video, status) {
  const visual = video.stats.visual || {};
  const facts = [`${number(video.duration_s, 1)} s`, `${video.frames.length} frames sampled`,
                 `${Math.max(1, video.shot_starts.length)} shot${video.shot_starts.length > 1 ? "s" : ""}`];
  if (visual.motion_level) facts.push(`${visual.motion_level} motion`);
  const words = (video.stats.text || {}).words;
  if (words !== undefined) facts.push(`${words} words read`);
  if (video.creator) facts.push(`by ${video.creator}`);
  return h("header", { class: "report-head" },
    h("div", {},
      status ? h("p", { class: `status ${status.cls}`, text: status.text }) : null,
      h("h2", { id: "report-title", text: video.title || "Untitled video" }),
      h("p", { class: "facts", text: facts.join(" · ") }),
      video.description ? h("p", { class: "description", text: video.description }) : null,
      video.hashtags.length ? h("p", { class: "hashtags", text: video.hashtags.join(" ") }) : null),
    h("dl", { class: "ids" },
      h("dt", { text: "id" }), h("dd", {}, h("code", { text: video.id, title: "SHA-256 of the file" })),
      h("dt", { text: "space" }), h("dd", {}, h("code", { text: video.space_id }))));
}

function frameStrip(video) {
  const items = [];
  let shot = null;
  for (const frame of video.frames) {
    if (shot !== null && frame.shot !== shot) {
      const cutTimes = video.shot_starts.slice(shot + 1, frame.shot + 1);
      items.push(h("li", { class: "cut-marker", "aria-label": `cut at ${cutTimes.map(clock).join(", ")}` },
                   h("span", { text: "cut" }), h("span", { class: "cut-time", text: cutTimes.map(clock).join(" ") })));
    }
    shot = frame.shot;
    items.push(h("li", { class: "frame" },
      h("figure", {},
        h("img", { src: frame.url, width: frame.width, height: frame.height, loading: "lazy",
                   alt: `frame ${frame.index + 1} at ${clock(frame.time_s)}` }),
        h("figcaption", {}, h("span", { class: "time", text: clock(frame.time_s) }),
          h("span", { class: "shot", text: `shot ${frame.shot + 1}` })))));
  }
  const strip = items.length
    ? h("ol", { class: "strip", tabindex: "0", "aria-label": "Sampled frames, scroll sideways" }, items)
    : h("p", { class: "muted", text: "No thumbnails were stored for this video." });
  return h("section", { class: "card wide", "aria-labelledby": "frames-title" },
    h("h3", { id: "frames-title", text: "Sampled frames and cuts" }),
    strip, timeline(video.duration_s, video.frames, video.shot_starts));
}

function weightsCard(video) {
  const rows = modalityParts(video.confidence).map((p) => h("tr", {},
    h("th", { scope: "row" }, h("span", { class: `swatch ${p.cls}`, "aria-hidden": "true" }), p.name),
    h("td", { text: percent(video.weights[p.name]) }), h("td", { text: percent(p.value) })));
  return h("section", { class: "card", "aria-labelledby": "weights-title" },
    h("h3", { id: "weights-title", text: "Modality weights" }),
    h("p", { class: "muted", text: "How much each modality shapes the fused vector, from how informative it is." }),
    stackedBar(modalityParts(video.weights), { label: "fusion weights", legend: false }),
    h("table", { class: "compact" },
      h("thead", {}, h("tr", {}, h("th", { text: "" }), h("th", { text: "weight" }), h("th", { text: "confidence" }))),
      h("tbody", {}, rows)));
}

function tagsCard(video) {
  const bySource = new Map();
  for (const tag of video.tags) {
    if (!bySource.has(tag.source)) bySource.set(tag.source, []);
    bySource.get(tag.source).push(tag);
  }
  const known = SOURCES.filter(([source]) => bySource.has(source));
  const other = [...bySource.keys()].filter((s) => !SOURCES.some(([k]) => k === s)).map((s) => [s, s]);
  const groups = [...known, ...other].map(([source, name]) => h("div", { class: "tag-group" },
    h("h4", { text: name }),
    h("ul", { class: "tags" }, bySource.get(source).map((tag) => h("li", {},
      h("span", { class: "tag-label", text: tag.label }), h("span", { class: "tag-score", text: number(tag.score, 2) }),
      scoreBar(tag.score, `src-${source}`))))));
  return h("section", { class: "card wide", "aria-labelledby": "tags-title" },
    h("h3", { id: "tags-title", text: `Tags (${video.tags.length})` }),
    groups.length ? h("div", { class: "tag-groups" }, groups) : h("p", { class: "muted", text: "No tags." }));
}

function audioCard(video) {
  const a = video.stats.audio || {};
  const body = [];
  if (a.bpm === undefined) {
    const why = a.absent_reason ? `: ${a.absent_reason}` : " (no audio track, or too short to measure)";
    body.push(h("p", { class: "muted", text: `No sound analysed${why}.` }));
  } else {
    const facts = [
      ["Tempo", `${number(a.bpm, 0)} BPM`, `confidence ${percent(a.tempo_confidence)}`],
      ["Key", a.key ? `${a.key} ${a.mode || ""}` : "none",
       a.key ? `confidence ${percent(a.key_confidence)}${a.key_confidence < 0.3 ? ", unclear" : ""}` : ""],
      ["Loudness", `${number(a.loudness_db, 1)} dB`, `range ${number(a.dynamic_range_db, 1)} dB`],
      ["Mood", a.mood || "none", a.mood ? `valence ${number(a.valence, 2)}, arousal ${number(a.arousal, 2)}` : ""],
    ];
    body.push(h("dl", { class: "facts-grid" }, facts.map(([name, value, detail]) => [
      h("dt", { text: name }), h("dd", {}, h("strong", { text: value }), detail ? h("small", { text: detail }) : null)])));
    const content = a.content || {};
    body.push(h("h4", { text: "Speech, music, silence" }),
      stackedBar(["speech", "music", "silence", "noise"].map((k) => ({ name: k, value: Number(content[k]) || 0,
                                                                       cls: `a-${k}` })), { label: "audio content" }));
  }
  return h("section", { class: "card", "aria-labelledby": "audio-title" },
    h("h3", { id: "audio-title", text: "Audio" }), body);
}

function onscreenCard(video) {
  const v = video.stats.visual || {};
  const lines = (v.ocr && v.ocr.lines) || [];
  let body;
  if (lines.length) {
    body = h("ul", { class: "ocr" }, lines.map((line) => h("li", {},
      h("span", { class: "time", text: clock(line.time_s) }), h("q", { text: line.text }),
      h("small", { text: `${percent(line.score)} sure` }))));
  } else if (v.ocr) {
    const frames = v.ocr.frames_read === 1 ? "the 1 frame" : `the ${v.ocr.frames_read} frames`;
    body = h("p", { class: "muted", text: `No text found in ${frames} read.` });
  } else {
    body = h("p", { class: "muted", text: "On-screen text reading is off on this server." });
  }
  return h("section", { class: "card", "aria-labelledby": "ocr-title" },
    h("h3", { id: "ocr-title", text: "On-screen text" }), body);
}

function lookCard(video) {
  const v = video.stats.visual || {};
  const colours = (v.dominant_colours || []).map((c) => h("li", {},
    h("span", { class: "colour", style: `background:${COLOURS[c.name] || "#999"}`, "aria-hidden": "true" }),
    `${c.name} ${percent(c.share)}`));
  const facts = [["Brightness", percent(v.brightness)], ["Colourfulness", percent(v.colourfulness)],
                 ["Motion", v.motion_level || "–"], ["Cuts per second", number(v.cuts_per_s, 2)],
                 ["Faces (most in a frame)", v.faces_max ?? "–"]];
  return h("section", { class: "card", "aria-labelledby": "look-title" },
    h("h3", { id: "look-title", text: "Picture" }),
    colours.length ? h("ul", { class: "colours", "aria-label": "dominant colours" }, colours) : null,
    h("dl", { class: "facts-grid" }, facts.map(([name, value]) => [h("dt", { text: name }), h("dd", { text: value })])),
    v.embedding ? h("p", { class: "muted small", text: `visual vector: ${v.embedding}` }) : null);
}

/** The whole report of one video (`status`: {text, cls} shown above the title, e.g. "new, analysed"). */
export function renderReport(video, status) {
  return h("div", { class: "report" },
    header(video, status), notes(video), frameStrip(video),
    h("div", { class: "grid" }, weightsCard(video), audioCard(video), onscreenCard(video), lookCard(video)),
    tagsCard(video));
}
