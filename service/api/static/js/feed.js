// The Feed view: pick or create a user, state interests, see the feed as cards with the reason and per-modality
// contributions, act on a card (watch, like, share, skip, not interested) and see how the feed reacts.

import { api } from "./api.js";
import { videoCards } from "./cards.js";
import { modalityParts, stackedBar } from "./charts.js";
import { append, clear, guarded, h, hideError, number } from "./dom.js";

const $ = (id) => document.getElementById(id);
const USERS_KEY = "reelsense.users";
const USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
const FEED_SIZE = 12;

const ACTIONS = [
  { name: "view", label: "Watch", verb: "watched", extra: (video) => ({ completion: 1, watch_seconds: video?.duration_s }) },
  { name: "like", label: "Like", verb: "liked" },
  { name: "share", label: "Share", verb: "shared" },
  { name: "skip", label: "Skip", verb: "skipped" },
  { name: "not_interested", label: "Not interested", verb: "marked as not interesting", className: "negative" },
];

const state = { user: null, previous: null, onOpen: null, onMoreLike: null };

function knownUsers() {
  try {
    const users = JSON.parse(localStorage.getItem(USERS_KEY) || "[]");
    return Array.isArray(users) ? users.filter((u) => USER_ID.test(u)) : [];
  } catch {
    return [];
  }
}

function rememberUser(id) {
  const users = [id, ...knownUsers().filter((u) => u !== id)].slice(0, 12);
  localStorage.setItem(USERS_KEY, JSON.stringify(users));
  renderKnownUsers();
}

function renderKnownUsers() {
  clear($("known-users")).append(...knownUsers().map((u) => h("option", { value: u })));
}

function renderProfile(profile) {
  const counts = Object.entries(profile.event_counts).filter(([, n]) => n > 0);
  const tagChips = (tags, cls) => tags.slice(0, 10).map((t) => h("li", { class: cls, title: `weight ${number(t.weight, 2)}`,
                                                                     text: t.label }));
  append(clear($("profile")), [
    h("p", { class: "profile-line" },
      h("strong", { text: profile.user_id }), " · ",
      profile.cold_start ? h("span", { class: "badge", text: "new: no engagement yet" })
        : `${profile.engaged_videos} videos engaged, ${profile.seen_videos} seen`),
    counts.length ? h("ul", { class: "chips", "aria-label": "events so far" },
                      counts.map(([type, n]) => h("li", { text: `${type.replaceAll("_", " ")} ${n}` }))) : null,
    profile.interest_tags.length ? h("div", {}, h("h4", { text: "Interests the feed uses" }),
      h("ul", { class: "chips", "aria-label": "interest tags" }, tagChips(profile.interest_tags, "positive"))) : null,
    profile.negative_tags.length ? h("div", {}, h("h4", { text: "Steers away from" }),
      h("ul", { class: "chips", "aria-label": "negative tags" }, tagChips(profile.negative_tags, "negative"))) : null,
    h("h4", { text: "Modality weights for this user" }),
    stackedBar(modalityParts(profile.modality_weights), { label: "this user's modality weights" })]);
  const stated = profile.stated_interests || {};
  $("interests-text").value = stated.text || "";
  $("interests-tags").value = (stated.tags || []).join(" ");
}

/** How each item moved against the previous list, and a sentence saying so. */
function compare(previous, items) {
  const changes = new Map();
  if (!previous) return { changes, words: "" };
  const before = new Map(previous.map((p) => [p.id, p]));
  let up = 0; let down = 0; let added = 0;
  for (const item of items) {
    const old = before.get(item.video_id);
    if (!old) { changes.set(item.video_id, { kind: "new" }); added += 1; continue; }
    const by = old.rank - item.rank;
    changes.set(item.video_id, by > 0 ? { kind: "up", by } : by < 0 ? { kind: "down", by: -by } : { kind: "same" });
    if (by > 0) up += 1;
    if (by < 0) down += 1;
  }
  const now = new Set(items.map((i) => i.video_id));
  const gone = previous.filter((p) => !now.has(p.id)).map((p) => `“${p.title}”`);
  const parts = [];
  if (gone.length) parts.push(`${gone.join(", ")} left the feed`);
  if (up) parts.push(`${up} moved up`);
  if (down) parts.push(`${down} moved down`);
  if (added) parts.push(`${added} new`);
  return { changes, words: parts.length ? `The feed changed: ${parts.join(", ")}.` : "The feed did not change." };
}

function cardActions() {
  return [
    ...ACTIONS.map((action) => ({ ...action, run: (item, video, ctx) => act(action, item, video, ctx) })),
    { name: "similar", label: "More like this", className: "secondary",
      run: (item) => state.onMoreLike(item.video_id) },
  ];
}

async function act(action, item, video, { error, button }) {
  const event = { user_id: state.user, video_id: item.video_id, type: action.name, ...(action.extra ? action.extra(video) : {}) };
  const done = await guarded(button, error, () => api("POST", "/events", { body: { events: [event] } }));
  if (!done) return;
  await loadFeed(`You ${action.verb} “${video ? video.title : item.video_id.slice(0, 8)}”.`);
  $("feed-change").focus(); // the card that had focus is gone: keyboard users continue from the news of the change
}

/** Fetch and draw the feed; `cause` (what the user just did) leads the sentence saying what changed. */
async function loadFeed(cause) {
  if (!state.user) return;
  const error = $("feed-error");
  const result = await guarded(null, error, async () => {
    const [feed, profile] = await Promise.all([
      api("GET", `/users/${encodeURIComponent(state.user)}/recommendations`, { query: { k: FEED_SIZE, explain: "full" } }),
      api("GET", `/users/${encodeURIComponent(state.user)}/profile`),
    ]);
    const { changes, words } = compare(state.previous, feed.items);
    const cards = await videoCards(feed.items, { actions: cardActions(), changes, onOpen: state.onOpen });
    return { feed, profile, cards, words };
  });
  if (!result) return;
  renderProfile(result.profile);
  const list = clear($("feed"));
  list.append(...result.cards);
  list.setAttribute("aria-busy", "false");
  state.previous = result.feed.items.map((item, i) => ({
    id: item.video_id, rank: item.rank,
    title: result.cards[i].querySelector("h3").textContent,
  }));
  $("feed-change").textContent = [cause, result.words].filter(Boolean).join(" ")
    || `${result.feed.items.length} videos for ${state.user}.`;
  $("feed-empty").hidden = result.feed.items.length > 0;
}

async function openUser(id) {
  const error = $("user-error");
  hideError(error);
  if (!USER_ID.test(id)) {
    error.textContent = "A user id is 1 to 128 letters, digits or _ . : @ -";
    error.hidden = false;
    return;
  }
  state.user = id;
  state.previous = null;
  $("user-id").value = id;
  rememberUser(id);
  $("feed-area").hidden = false;
  $("feed-user").textContent = id;
  await loadFeed(null);
}

export function setupFeed({ onOpen, onMoreLike }) {
  state.onOpen = onOpen;
  state.onMoreLike = onMoreLike;
  renderKnownUsers();
  $("user-form").addEventListener("submit", (event) => {
    event.preventDefault();
    openUser($("user-id").value.trim());
  });
  $("new-user").addEventListener("click", () => {
    const suffix = Math.random().toString(36).slice(2, 7);
    openUser(`viewer-${suffix}`);
  });
  $("interests-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.user) return;
    const body = { text: $("interests-text").value, tags: $("interests-tags").value.split(/[\s,]+/).filter(Boolean) };
    const saved = await guarded(event.submitter, $("interests-error"),
      () => api("PUT", `/users/${encodeURIComponent(state.user)}/interests`, { body }));
    if (saved) await loadFeed("Interests saved.");
  });
  $("reload-feed").addEventListener("click", () => loadFeed(null));
  $("forget-history").addEventListener("click", async (event) => {
    const done = await guarded(event.currentTarget, $("feed-error"),
      () => api("DELETE", `/users/${encodeURIComponent(state.user)}/history`));
    if (done) await loadFeed("History forgotten: the feed starts over.");
  });
  const last = knownUsers()[0];
  if (last) $("user-id").value = last;
}

export function feedUser() {
  return state.user;
}
