// Polls a legacy import job; when it ends, reloads the page to show the report.
(function () {
  "use strict";
  const box = document.getElementById("legacy-job");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") return;
  const bar = document.getElementById("job-progress");
  const status = document.getElementById("job-status");
  async function poll() {
    const response = await fetch(box.dataset.jobUrl, { credentials: "same-origin" });
    const job = await response.json();
    bar.value = job.percent;
    if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
    status.textContent = `Đang xử lý… ${job.done}/${job.total} dòng`;
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
