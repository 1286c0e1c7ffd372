// The send form's filter box: hides the recipients whose name or code does not contain every
// typed word (diacritics optional, as the directory's search). Ticked ones always stay visible,
// so the clerk sees what will be sent; only hidden, never removed, so the form posts the same.
(function () {
  "use strict";
  const box = document.querySelector("input[data-recipient-filter]");
  if (!box) return;
  const picker = document.getElementById(box.dataset.recipientFilter);
  if (!picker) return;
  const labels = Array.from(picker.querySelectorAll("label[data-search]"));
  const count = document.querySelector("[data-testid=recipient-filter-count]");

  function fold(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase();
  }

  function apply() {
    const words = fold(box.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const label of labels) {
      const input = label.querySelector("input");
      const match = words.every((word) => label.dataset.search.includes(word));
      label.hidden = !(match || (input && input.checked));
      if (!label.hidden) shown += 1;
    }
    for (const group of picker.querySelectorAll("fieldset")) {
      group.hidden = !group.querySelector("label:not([hidden])");
    }
    if (count) {
      count.hidden = words.length === 0;
      count.textContent = "Đang hiện " + shown + "/" + labels.length + " nơi nhận.";
    }
  }

  box.addEventListener("input", apply);
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault(); // filtering, not sending
  });
})();
