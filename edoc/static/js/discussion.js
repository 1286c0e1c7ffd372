// The discussion thread on a document's page: new messages appear within 2 s (polling the
// API every data-poll-ms, 1.5 s, with ?after=<last id>) while the tab is visible; a hidden tab
// does not poll (it catches up at once when shown again). Posting without reloading,
// @mention suggestions.
(function () {
  "use strict";
  const box = document.getElementById("trao-doi");
  if (!box) return;
  const list = box.querySelector(".discussion-list");
  const empty = box.querySelector(".discussion-empty");
  const form = box.querySelector(".discussion-form");
  const text = form.querySelector("textarea");
  const picker = form.querySelector(".discussion-picker");
  const suggestions = form.querySelector(".discussion-suggestions");
  const error = form.querySelector(".discussion-error");
  const url = box.dataset.messagesUrl;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const people = Array.from(picker.options).filter((o) => o.value)
    .map((o) => ({ login: o.value, label: o.textContent }));
  let lastId = Number(box.dataset.lastId || 0);
  let polling = false;

  function fold(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d")
      .replace(/Đ/g, "D").toLowerCase();
  }

  function show(message) {
    if (message.id <= lastId && list.querySelector(`li[data-id="${message.id}"]`)) return;
    const item = document.createElement("li");
    item.dataset.id = message.id;
    const name = document.createElement("strong");
    name.textContent = message.author_name;
    const when = document.createElement("small");
    when.textContent = message.created_at_local;
    const body = document.createElement("p");
    body.className = "discussion-body";
    body.textContent = message.body;
    item.append(name, " ", when, body);
    list.append(item);
    empty.classList.add("hidden");
    lastId = Math.max(lastId, message.id);
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const response = await fetch(`${url}?after=${lastId}`, { credentials: "same-origin" });
      if (response.ok) (await response.json()).items.forEach(show);
    } catch (e) {
      // offline for a moment: the next poll catches up
    } finally {
      polling = false;
    }
  }

  function insert(login) {
    const caret = text.selectionStart ?? text.value.length;
    const before = text.value.slice(0, caret).replace(/@[\w.-]*$/, "");
    const spacer = before && !/\s$/.test(before) ? " " : "";
    text.value = `${before}${spacer}@${login} ${text.value.slice(caret)}`;
    suggestions.replaceChildren();
    text.focus();
  }

  text.addEventListener("input", () => {
    const typed = text.value.slice(0, text.selectionStart).match(/(?:^|\s)@([\w.-]*)$/);
    suggestions.replaceChildren();
    if (!typed) return;
    const wanted = fold(typed[1]);
    people.filter((p) => fold(p.label).includes(wanted)).slice(0, 6).forEach((p) => {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "secondary outline";
      choice.setAttribute("role", "option");
      choice.textContent = p.label;
      choice.addEventListener("click", () => insert(p.login));
      suggestions.append(choice);
    });
  });

  picker.addEventListener("change", () => {
    if (picker.value) insert(picker.value);
    picker.value = "";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ body: text.value }),
      });
      const answer = await response.json();
      if (response.status === 201) {
        show(answer);
        text.value = "";
      } else {
        const details = answer.error && answer.error.details;
        error.textContent = (details && details.body) || (answer.error && answer.error.message)
          || "Không gửi được, vui lòng thử lại.";
      }
    } catch (e) {
      error.textContent = "Không kết nối được máy chủ, vui lòng thử lại.";
    } finally {
      button.disabled = false;
    }
  });

  const every = Number(box.dataset.pollMs || 1500);
  let timer = null;
  function follow() {
    if (document.hidden) {
      if (timer !== null) clearInterval(timer);
      timer = null;
    } else if (timer === null) {
      timer = setInterval(poll, every);
    }
  }
  document.addEventListener("visibilitychange", () => {
    follow();
    if (!document.hidden) poll(); // shown again: catch up now, not a whole interval later
  });
  follow();
})();
