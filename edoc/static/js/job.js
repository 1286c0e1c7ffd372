// Polls a background job and shows its progress until it is done.
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") return;
  const bar = document.getElementById("job-progress");
  const status = document.getElementById("job-status");
  async function poll() {
    const response = await fetch(box.dataset.jobUrl, { credentials: "same-origin" });
    const job = await response.json();
    bar.value = job.percent;
    if (job.status === "done") {
      status.textContent = "Hoàn thành";
      document.getElementById("job-download").classList.remove("hidden");
      return;
    }
    if (job.status === "failed") { status.textContent = job.message; return; }
    status.textContent = `Đang xuất… ${job.done}/${job.total}`;
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
