// The one thing on the Billing list that needs JavaScript: the select-all checkbox. Without
// JavaScript it stays hidden and each row is ticked by hand. Listeners sit on the document so
// they keep working after htmx swaps the table.
(function () {
  "use strict";

  function rowChecks(table) {
    return Array.from(table.querySelectorAll("input[data-row-check]"));
  }

  function syncSelectAll(table) {
    var all = table.querySelector("input[data-select-all]");
    if (!all) return;
    var rows = rowChecks(table);
    var ticked = rows.filter(function (box) { return box.checked; }).length;
    all.hidden = rows.length === 0;
    all.checked = rows.length > 0 && ticked === rows.length;
    all.indeterminate = ticked > 0 && ticked < rows.length;
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var table = box.closest && box.closest("table");
    if (!table) return;
    if (box.matches("input[data-select-all]")) {
      rowChecks(table).forEach(function (row) { row.checked = box.checked; });
    }
    if (box.matches("input[data-select-all], input[data-row-check]")) {
      syncSelectAll(table);
    }
  });

  function showSelectAll() {
    document.querySelectorAll("table").forEach(syncSelectAll);
  }
  document.addEventListener("DOMContentLoaded", showSelectAll);
  document.addEventListener("htmx:afterSettle", showSelectAll);
})();
