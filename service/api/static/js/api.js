// The HTTP API as the page uses it: JSON calls, the multipart upload with progress, and job polling.
// The API key is entered once and kept in this tab's session storage; it is sent on every request when set
// (write endpoints need it, and reads may too).

const KEY_STORAGE = "reelsense.apiKey";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

function withKey(headers = {}) {
  const key = apiKey();
  return key ? { ...headers, "X-API-Key": key } : headers;
}

/** The body of an answer, or an ApiError carrying the API's `{"error": {code, message}}`. */
function parseAnswer(status, text) {
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (status >= 200 && status < 300) return data;
  const error = data && data.error ? data.error : {};
  throw new ApiError(status, error.code || `http_${status}`, error.message || `the server answered ${status}`);
}

const unreachable = () => new ApiError(0, "network", "the server could not be reached; is `reelsense serve` running?");

/** GET/POST/PUT/DELETE `path` (with `query` parameters and a JSON `body`); resolves to the answer's JSON. */
export async function api(method, path, { query, body } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) url.searchParams.set(name, value);
  const init = { method, headers: withKey(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw unreachable();
  }
  return parseAnswer(response.status, await response.text());
}

/**
 * POST /videos with a FormData (file, title, description, hashtags, creator). XMLHttpRequest, because fetch
 * reports no upload progress: `onProgress(sentBytes, totalBytes)` while the body goes out, `onSent()` once it
 * is all sent (the server then analyses it). Resolves to {status, data}: 201/200 with the video, 202 with a job.
 */
export function uploadVideo(form, mode, { onProgress, onSent } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/videos?mode=${encodeURIComponent(mode)}`);
    for (const [name, value] of Object.entries(withKey())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded, event.total);
    });
    xhr.upload.addEventListener("load", () => onSent && onSent());
    xhr.addEventListener("load", () => {
      try {
        resolve({ status: xhr.status, data: parseAnswer(xhr.status, xhr.responseText) });
      } catch (err) {
        reject(err);
      }
    });
    xhr.addEventListener("error", () => reject(unreachable()));
    xhr.send(form);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll a job until it is done (resolves to its result) or failed (rejects with its error); `onStatus(job)`. */
export async function waitForJob(location, onStatus) {
  let delay = 300;
  for (;;) {
    const job = await api("GET", location);
    if (onStatus) onStatus(job);
    if (job.status === "done") return job.result;
    if (job.status === "failed") {
      const error = job.error || {};
      throw new ApiError(job.http_status || 500, error.code || "job_failed", error.message || "the analysis failed");
    }
    await sleep(delay);
    delay = Math.min(2000, delay * 1.5);
  }
}

/** A video's JSON, fetched once per page load (titles and thumbnails of feed and search cards). */
const videoCache = new Map();

export function getVideo(id, { fresh = false } = {}) {
  if (fresh || !videoCache.has(id)) {
    const pending = api("GET", `/videos/${id}`, { query: { top: 100 } });
    videoCache.set(id, pending);
    pending.catch(() => videoCache.delete(id));
  }
  return videoCache.get(id);
}

export function forgetVideo(id) {
  videoCache.delete(id);
}
