// Quick deadlines: a button "5 ngày làm việc" puts its date (counted on the server, weekends and
// public holidays skipped) into the date input it names. Without JavaScript the date input
// alone still works.
(function () {
  "use strict";
  for (const button of document.querySelectorAll("button[data-quick-date]")) {
    button.addEventListener("click", () => {
      const input = document.getElementById(button.dataset.target);
      if (!input) return;
      input.value = button.dataset.quickDate;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      for (const other of button.parentElement.querySelectorAll("button[data-quick-date]")) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      }
    });
  }
})();
