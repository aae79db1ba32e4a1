// Small helpers shared by the views: building elements, formatting numbers and times, showing errors.

/** An element with attributes (`class`, `text`, `on<event>`, data-*, aria-*, ...) and children (nodes or strings). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

export function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") el.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Seconds as m:ss.s (0:01.5), the way a video player shows time. */
export function clock(seconds) {
  const s = Math.max(0, Number(seconds) || 0);
  const minutes = Math.floor(s / 60);
  const rest = (s - minutes * 60).toFixed(1).padStart(4, "0");
  return `${minutes}:${rest}`;
}

export function percent(share, digits = 0) {
  return `${(100 * (Number(share) || 0)).toFixed(digits)}%`;
}

export function number(value, digits = 2) {
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(digits) : "–";
}

export function shortId(id) {
  return id ? `${id.slice(0, 10)}…` : "";
}

/** Show an API error next to the action that caused it (an element with role="alert"); a hint for known causes. */
export function showError(el, err) {
  const hints = {
    unauthorized: "Enter the API key at the top of the page (for `make serve` it is “demo”).",
    network: "",
  };
  const code = err && err.code ? err.code : "error";
  const message = err && err.message ? err.message : String(err);
  clear(el);
  append(el, [h("strong", { text: code.replaceAll("_", " ") }), ": ", message]);
  if (hints[code]) append(el, [" ", h("span", { class: "hint", text: hints[code] })]);
  el.hidden = false;
}

export function hideError(el) {
  clear(el);
  el.hidden = true;
}

/** Run an async action with its button disabled and its error shown next to it; returns the action's result. */
export async function guarded(button, errorEl, action) {
  if (errorEl) hideError(errorEl);
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (err) {
    if (errorEl) showError(errorEl, err);
    if (!err || err.name !== "ApiError") console.error(err); // a bug in the page, not an answer of the API
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
