// Polls a background job and shows its progress until it ends. One script for every job page:
// the element with id "job" says, in data attributes, what the page wants —
//   data-job-url       the job's JSON endpoint;
//   data-running-label the text while it runs, with {done} and {total} filled in (the template
//                      writes it with _(), so the words stay translatable);
//   data-on-end        "reload" to reload the page when the job ends (the server then renders the
//                      report), otherwise "show": the status says data-done-label or the job's
//                      message and #job-download, if the page has one, is revealed.
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") return;
  const bar = document.getElementById("job-progress");
  const status = document.getElementById("job-status");
  const running = box.dataset.runningLabel || "{done}/{total}";
  function ended(job) {
    if (box.dataset.onEnd === "reload") { window.location.reload(); return; }
    if (job.status === "failed") { status.textContent = job.message; return; }
    status.textContent = box.dataset.doneLabel || "";
    const download = document.getElementById("job-download");
    if (download) download.classList.remove("hidden");
  }
  async function poll() {
    let job;
    try {
      const response = await fetch(box.dataset.jobUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      job = await response.json();
    } catch (error) {  // the server restarting or the network gone: keep asking, less often
      setTimeout(poll, 5000);
      return;
    }
    bar.value = job.percent;
    if (job.status === "done" || job.status === "failed") { ended(job); return; }
    status.textContent = running.replace("{done}", job.done).replace("{total}", job.total);
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
