// The page's entry point: views behind tabs and the address's #hash (#understand, #feed, #search, #video/<id>),
// the API key form, and the server's readiness.

import { api, apiKey, setApiKey } from "./api.js";
import { setupFeed } from "./feed.js";
import { moreLike, setupSearch } from "./search.js";
import { openVideo, setupUnderstand } from "./understand.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["understand", "feed", "search"];

function showView(name) {
  for (const view of VIEWS) {
    const selected = view === name;
    $(`view-${view}`).hidden = !selected;
    const tab = $(`tab-${view}`);
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
}

function route() {
  const hash = window.location.hash.replace(/^#/, "");
  const video = /^video\/([0-9a-f]{64})$/.exec(hash);
  if (video) {
    showView("understand");
    openVideo(video[1]);
  } else {
    showView(VIEWS.includes(hash) ? hash : "understand");
  }
}

function wireTabs() {
  const tabs = VIEWS.map((v) => $(`tab-${v}`));
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => { window.location.hash = VIEWS[i]; });
    tab.addEventListener("keydown", (event) => { // arrow keys move along the tabs, as in any tab list
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      next.click();
    });
  });
  window.addEventListener("hashchange", route);
}

function renderKeyState() {
  const saved = Boolean(apiKey());
  $("key-state").textContent = saved ? "key kept for this tab" : "no key: reading only";
  $("key-state").classList.toggle("ok", saved);
  $("forget-key").hidden = !saved;
  $("api-key").placeholder = saved ? "•••••• (saved)" : "API key";
}

function wireKey() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) setApiKey(key);
    $("api-key").value = "";
    renderKeyState();
  });
  $("forget-key").addEventListener("click", () => {
    setApiKey("");
    renderKeyState();
  });
  renderKeyState();
}

async function watchReadiness() {
  const badge = $("ready");
  try {
    const ready = await api("GET", "/readyz");
    badge.textContent = `ready · ${ready.workers_ready}/${ready.workers} workers`;
    badge.className = "ready ok";
    badge.title = ready.space_id || "";
  } catch (err) {
    badge.textContent = err.code === "network" ? "server unreachable" : "starting…";
    badge.className = "ready wait";
    badge.title = err.message;
    setTimeout(watchReadiness, 3000);
  }
}

function openVideoView(id) {
  window.location.hash = `video/${id}`;
}

async function showSimilar(id) {
  window.location.hash = "search";
  await moreLike(id);
}

wireTabs();
wireKey();
// a stored upload gets its own address (no reload: replaceState does not fire hashchange)
setupUnderstand({ onStored: (video) => window.history.replaceState(null, "", `#video/${video.id}`) });
setupFeed({ onOpen: openVideoView, onMoreLike: showSimilar });
setupSearch({ onOpen: openVideoView });
route();
watchReadiness();
