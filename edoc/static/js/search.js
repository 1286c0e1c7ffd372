// Search-as-you-type on document numbers ("số ký hiệu"): a short list under the box.
(function () {
  "use strict";
  const box = document.querySelector("input[data-suggest-url]");
  if (!box) return;
  const list = document.querySelector("[data-testid=suggestions]");
  let timer = null;
  let last = "";

  function render(items) {
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = item.url;
      const strong = document.createElement("strong");
      strong.textContent = item.number_notation;
      a.append(strong, " — " + item.subject);
      li.append(a);
      list.append(li);
    }
    list.hidden = items.length === 0;
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    const value = box.value.trim();
    if (!/\d/.test(value) || value.length < 2) {
      render([]);
      return;
    }
    timer = setTimeout(async function () {
      if (value === last) return;
      last = value;
      try {
        const response = await fetch(box.dataset.suggestUrl + "?q=" + encodeURIComponent(value), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.ok) render(await response.json());
      } catch (error) {
        render([]);
      }
    }, 150);
  });
  document.addEventListener("click", function (event) {
    if (!list.contains(event.target) && event.target !== box) list.hidden = true;
  });
})();
