// The Understand view: upload a clip (drag and drop or file picker) with its words, follow the upload and the
// analysis, then show what was understood. Also opens the report of any stored video (#video/<id>).

import { ApiError, getVideo, uploadVideo, waitForJob } from "./api.js";
import { clear, guarded, hideError, showError } from "./dom.js";
import { renderReport } from "./report.js";

const $ = (id) => document.getElementById(id);

function megabytes(bytes) {
  return `${(bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 1)} MB`;
}

/** The two progress bars: the upload (bytes sent) and the analysis (running, then done). */
class Progress {
  constructor() {
    this.box = $("upload-progress");
    this.upload = $("p-upload");
    this.uploadText = $("p-upload-text");
    this.analysis = $("p-analysis");
    this.analysisText = $("p-analysis-text");
    this.timer = null;
  }

  start(size) {
    this.box.hidden = false;
    this.upload.value = 0;
    this.uploadText.textContent = `0 of ${megabytes(size)}`;
    this.analysis.value = 0;
    this.analysisText.textContent = "waits for the upload";
  }

  sent(loaded, total) {
    this.upload.value = Math.round((100 * loaded) / total);
    this.uploadText.textContent = `${megabytes(loaded)} of ${megabytes(total)}`;
  }

  analysing(words) {
    this.upload.value = 100;
    this.analysis.removeAttribute("value"); // indeterminate: the server does not report its stages
    const started = performance.now();
    const tick = () => {
      this.analysisText.textContent = `${words()} · ${((performance.now() - started) / 1000).toFixed(0)} s`;
    };
    this.stop();
    tick();
    this.timer = setInterval(tick, 500);
  }

  done(text) {
    this.stop();
    this.upload.value = 100;
    this.analysis.value = 100;
    this.analysisText.textContent = text;
  }

  failed() {
    this.stop();
    this.analysis.value = 0;
    this.analysisText.textContent = "failed";
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function chooseFile(file) {
  const input = $("file");
  if (file) {
    const files = new DataTransfer();
    files.items.add(file);
    input.files = files.files;
  }
  const chosen = input.files[0];
  $("file-name").textContent = chosen ? `${chosen.name} · ${megabytes(chosen.size)}` : "";
  $("drop").classList.toggle("has-file", Boolean(chosen));
  const title = document.querySelector("#upload-form [name=title]");
  if (chosen && !title.value) title.value = chosen.name.replace(/\.[^.]+$/, "").replaceAll(/[_-]+/g, " ");
}

function wireDropZone() {
  const drop = $("drop");
  $("file").addEventListener("change", () => chooseFile());
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) drop.addEventListener(name, () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) chooseFile(event.dataTransfer.files[0]);
  });
}

/** Upload, wait for the analysis (directly or through a job), and return the stored video with its status. */
async function analyse(progress) {
  const form = $("upload-form");
  const file = $("file").files[0];
  if (!file) throw new ApiError(0, "missing_file", "choose or drop a video file first");
  const data = new FormData(form);
  data.delete("background");
  progress.start(file.size);
  let state = "analysing in a worker";
  const answer = await uploadVideo(data, form.elements.background.checked ? "async" : "auto", {
    onProgress: (loaded, total) => progress.sent(loaded, total),
    onSent: () => progress.analysing(() => state),
  });
  let video = answer.data;
  let created = answer.status === 201;
  if (answer.status === 202) {
    state = "queued as a background job";
    video = await waitForJob(answer.data.location, (job) => {
      state = job.status === "queued" ? "job queued, waiting for a worker" : `job ${job.status}`;
    });
    created = video.created;
  }
  return { video, created };
}

export function setupUnderstand({ onStored }) {
  wireDropZone();
  const progress = new Progress();
  $("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("upload-button");
    const result = await guarded(button, $("upload-error"), async () => {
      try {
        return await analyse(progress);
      } catch (err) {
        progress.failed();
        throw err;
      }
    });
    if (!result) return;
    const { created } = result;
    // the upload answers the top 12 tags; the report shows them all
    const video = await getVideo(result.video.id, { fresh: true }).catch(() => result.video);
    progress.done(created ? "done: analysed and stored" : "done: this content was already stored");
    showReport(video, created ? { text: "New · analysed and stored", cls: "new" }
                              : { text: "Already stored · same content uploaded before", cls: "existing" });
    onStored(video);
  });
}

export function showReport(video, status) {
  const report = $("report");
  clear(report).append(renderReport(video, status));
  report.hidden = false;
}

/** Open the report of a stored video (from a feed or search card). */
export async function openVideo(id) {
  const error = $("report-error");
  hideError(error);
  try {
    showReport(await getVideo(id, { fresh: true }), null);
    $("upload-box").open = false; // the report leads; the upload form is one click away
    $("report").scrollIntoView({ block: "start" });
  } catch (err) {
    showError(error, err);
  }
}
