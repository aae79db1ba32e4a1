// A ranked video as a card (feed, search results, "more like this"): thumbnail, title, why it is there, how much
// each modality contributed to its score, the tags it matched, and the actions the caller passes in.

import { getVideo } from "./api.js";
import { modalityParts, stackedBar } from "./charts.js";
import { h, number } from "./dom.js";

const REASONS = {
  personal: "Close to what you watched and liked",
  stated_interests: "Matches your stated interests",
  cold_start_user: "Popular and fresh: no history yet",
  exploration: "Exploring: a new video getting its first views",
  fresh: "Fresh upload",
  search: "Matches your words",
  similar: "Looks, sounds or reads alike",
};

export function reasonText(reason) {
  return REASONS[reason] || String(reason || "").replaceAll("_", " ");
}

function thumbnail(video, title) {
  const frames = video ? video.frames : [];
  if (!frames.length) return h("div", { class: "thumb empty", "aria-hidden": "true" });
  const frame = frames[Math.floor(frames.length / 2)];
  return h("div", { class: "thumb" },
    h("img", { src: frame.url, alt: `a frame of ${title}`, width: frame.width, height: frame.height, loading: "lazy" }));
}

function contributionChart(explanation) {
  const parts = modalityParts(explanation.contributions);
  if (!parts.some((p) => p.value > 0)) {
    return h("p", { class: "muted small", text: "No personal vector yet: ranked by popularity and freshness." });
  }
  return h("div", { class: "contribution" }, h("p", { class: "chart-label", text: "Contribution to the score" }),
    stackedBar(parts, { label: "contribution of each modality to the score", format: (v) => number(v, 3) }));
}

/** Change against the previous list: {kind: "new"|"up"|"down"|"same", by}. */
function changeBadge(change) {
  if (!change || change.kind === "same") return null;
  const text = change.kind === "new" ? "new" : `${change.kind === "up" ? "▲" : "▼"} ${change.by}`;
  const words = change.kind === "new" ? "new in this list" : `moved ${change.kind} ${change.by}`;
  return h("span", { class: `change ${change.kind}`, title: words, "aria-label": words, text });
}

/**
 * One card. `actions`: [{label, className, run(item, video, card)}] rendered as buttons, whose errors show in the
 * card's own alert line. `change`: how the item moved since the last list.
 */
export function videoCard(item, video, { actions = [], change, onOpen } = {}) {
  const explanation = item.explanation || {};
  const title = (video && video.title) || `video ${item.video_id.slice(0, 8)}`;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const card = h("li", { class: `video-card${change && change.kind !== "same" ? " changed" : ""}`,
                         "data-video-id": item.video_id });
  const buttons = actions.map((action) => h("button", {
    type: "button", class: action.className || "", "data-action": action.name, text: action.label,
    "aria-label": `${action.label}: ${title}`,
    onclick: (event) => action.run(item, video, { card, error, button: event.currentTarget }),
  }));
  const tags = explanation.matched_tags || [];
  card.append(
    h("div", { class: "card-media" }, thumbnail(video, title),
      h("span", { class: "rank", text: `#${item.rank}` }), changeBadge(change)),
    h("div", { class: "card-body" },
      h("h3", {}, h("a", { href: `#video/${item.video_id}`, text: title,
                           onclick: onOpen ? (event) => { event.preventDefault(); onOpen(item.video_id); } : null })),
      h("p", { class: `reason reason-${explanation.reason || "none"}`, text: reasonText(explanation.reason) }),
      contributionChart(explanation),
      h("p", { class: "card-facts" }, `score ${number(item.score, 3)}`,
        explanation.category ? ` · ${explanation.category}` : "",
        video ? ` · ${number(video.duration_s, 1)} s` : ""),
      tags.length ? h("ul", { class: "matched", "aria-label": "matched tags" },
                      tags.map((t) => h("li", { text: t }))) : null,
      buttons.length ? h("div", { class: "card-actions", role: "group", "aria-label": `actions on ${title}` }, buttons)
                     : null,
      error));
  return card;
}

/** Cards for a ranked list, fetching each video's title and frames once (in parallel). */
export async function videoCards(items, options = {}) {
  const videos = await Promise.all(items.map((item) => getVideo(item.video_id).catch(() => null)));
  return items.map((item, i) => videoCard(item, videos[i], {
    ...options, change: options.changes ? options.changes.get(item.video_id) : undefined,
  }));
}
