// The Search view: text-to-video search, and "more like this" for any video (from here or the feed).

import { api, getVideo } from "./api.js";
import { videoCards } from "./cards.js";
import { clear, guarded } from "./dom.js";

const $ = (id) => document.getElementById(id);
const RESULTS = 12;
const handlers = { onOpen: null };

function actions() {
  return [
    { name: "similar", label: "More like this", className: "secondary", run: (item) => moreLike(item.video_id) },
    { name: "open", label: "What was understood", className: "secondary", run: (item) => handlers.onOpen(item.video_id) },
  ];
}

async function show(heading, load, button) {
  const result = await guarded(button, $("search-error"), async () => {
    const answer = await load();
    return { answer, cards: await videoCards(answer.items, { actions: actions(), onOpen: handlers.onOpen }) };
  });
  if (!result) return;
  $("search-heading").textContent = result.answer.items.length ? heading : `${heading}: nothing found.`;
  clear($("results")).append(...result.cards);
}

/** Videos most like one video, listed in the Search view. */
export async function moreLike(videoId) {
  const video = await getVideo(videoId).catch(() => null);
  const name = video ? `“${video.title || videoId.slice(0, 8)}”` : videoId.slice(0, 8);
  await show(`More like ${name}`, () => api("GET", `/videos/${videoId}/similar`, { query: { k: RESULTS, explain: "full" } }), null);
}

export function setupSearch({ onOpen }) {
  handlers.onOpen = onOpen;
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("q").value.trim();
    if (!q) return;
    show(`Results for “${q}”`, () => api("GET", "/search", { query: { q, k: RESULTS, explain: "full" } }), event.submitter);
  });
}
