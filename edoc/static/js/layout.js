// The page frame on small screens: the menu button of the top bar, and card labels for tables.
// Loaded in <head>: "js" on <html> lets the stylesheet fold the menu only when this script runs,
// so without JavaScript a phone shows the menu unfolded and every link stays reachable.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUpMenu() {
    const button = document.querySelector(".menu-toggle");
    const menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  // Tables written by the list macros carry data-label on each cell already (server side);
  // the other tables get it here from their column headings, for the stacked-card layout.
  function labelCells() {
    for (const table of document.querySelectorAll("main table")) {
      const headings = Array.from(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!headings.length) continue;
      for (const row of table.querySelectorAll("tbody tr")) {
        let column = 0;
        for (const cell of row.children) {
          if (!cell.hasAttribute("data-label") && headings[column]) {
            cell.setAttribute("data-label", headings[column]);
          }
          column += cell.colSpan || 1;
        }
      }
    }
  }

  // Panels open beside the content on a wide screen (the search page's filters) start folded
  // on a phone, so the results come right under them instead of after a long list.
  function foldOnPhones() {
    if (!window.matchMedia("(max-width: 47.999rem)").matches) return;
    for (const panel of document.querySelectorAll("details[data-fold-narrow][open]")) {
      panel.open = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    labelCells();
    foldOnPhones();
  });
})();
