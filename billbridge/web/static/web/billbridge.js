// The Billing list's selection helpers: the select-all checkbox of the page, the live count
// ("3 selected") and "Select all N matching". Without JavaScript the select-all stays hidden,
// each row is ticked by hand, and "Select all N matching" still works (the server counts).
// Listeners sit on the document so they keep working after htmx swaps the table; the server
// sends the table back with the selection ticked, so a swap clears nothing.
(function () {
  "use strict";

  function rowChecks(form) {
    return Array.from(form.querySelectorAll("input[data-row-check]"));
  }

  function sync(form) {
    var rows = rowChecks(form);
    var ticked = rows.filter(function (box) { return box.checked; }).length;
    var all = form.querySelector("input[data-select-all]");
    if (all) {
      all.hidden = rows.length === 0;
      all.checked = rows.length > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    var matching = form.querySelector("input[data-select-matching]");
    var count = form.querySelector("[data-selected-count]");
    if (count) {
      var selected = matching && matching.checked ? Number(matching.value) : ticked;
      count.textContent = selected ? selected + " selected" : "";
    }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box.form;
    if (!form || !form.querySelector("input[data-row-check], input[data-select-matching]")) return;
    var matching = form.querySelector("input[data-select-matching]");
    if (box.matches("input[data-select-all]")) {
      rowChecks(form).forEach(function (row) { row.checked = box.checked; });
      if (!box.checked && matching) matching.checked = false;
    } else if (box.matches("input[data-select-matching]")) {
      // Every matching invoice includes every one on this page.
      if (box.checked) rowChecks(form).forEach(function (row) { row.checked = true; });
    } else if (box.matches("input[data-row-check]")) {
      // One row left out: no longer all of them.
      if (!box.checked && matching) matching.checked = false;
    } else {
      return;
    }
    sync(form);
  });

  function syncAll() {
    document.querySelectorAll("form").forEach(sync);
  }
  document.addEventListener("DOMContentLoaded", syncAll);
  document.addEventListener("htmx:afterSettle", syncAll);
})();

// A button marked data-plain-submit (More actions ▸ Download selected as PDFs) submits its form
// as the browser would without htmx, to its formaction: the answer is a file to download, not
// a table to swap in. Stopped here, on the way down, the submit never reaches htmx's listener
// on the form; the browser's own submission goes ahead.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.matches("[data-plain-submit]")) {
      event.stopPropagation();
    }
  }, true);
})();
