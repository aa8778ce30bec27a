// rrbench leaderboard: sortable columns and row filters. Runs from file://; no network.
"use strict";

(function () {
  function sortValue(cell, type) {
    var raw = cell ? cell.getAttribute("data-sort") : null;
    if (raw === null) raw = cell ? cell.textContent.trim() : "";
    if (type === "num") {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw === "" ? null : raw.toLowerCase();
  }

  function sortTier(cell, value) {
    if (value === null) return 2;
    return cell && cell.getAttribute("data-degenerate") === "yes" ? 1 : 0;
  }

  function sortTable(table, header) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var column = headers.indexOf(header);
    var type = header.getAttribute("data-type") || "text";
    var current = header.getAttribute("aria-sort");
    var lowerBetter = header.getAttribute("data-lower-better");
    var ascending;
    if (current === "ascending") ascending = false;
    else if (current === "descending") ascending = true;
    else ascending = type !== "num" || lowerBetter !== "no";  // best first on the first click
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortValue(a.cells[column], type), y = sortValue(b.cells[column], type);
      var tier = sortTier(a.cells[column], x) - sortTier(b.cells[column], y);
      if (tier !== 0) return tier;  // degenerate values after informative ones, missing values last
      if (x === null && y === null) return 0;
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function applyFilters(controls, table) {
    var weights = controls.querySelector(".filter-weights").value;
    var size = controls.querySelector(".filter-size").value;
    var reported = controls.querySelector(".filter-reported").checked;
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var keep = (!weights || row.getAttribute("data-weights") === weights) &&
                 (!size || row.getAttribute("data-size") === size) &&
                 (reported || row.getAttribute("data-kind") !== "reported");
      row.classList.toggle("hidden", !keep);
      if (keep) shown++;
    }
    controls.querySelector(".shown").textContent = shown + " of " + rows.length + " shown";
  }

  function init() {
    var tables = document.querySelectorAll("table.sortable");
    Array.prototype.forEach.call(tables, function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
        header.setAttribute("tabindex", "0");
        header.addEventListener("click", function () { sortTable(table, header); });
        header.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, header); }
        });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".controls[data-for]"), function (controls) {
      var table = document.getElementById(controls.getAttribute("data-for"));
      if (!table) return;
      Array.prototype.forEach.call(controls.querySelectorAll("select, input"), function (input) {
        input.addEventListener("change", function () { applyFilters(controls, table); });
      });
      var all = controls.querySelector(".show-all-columns");
      if (all) all.addEventListener("change", function () { table.classList.toggle("all-columns", all.checked); });
      applyFilters(controls, table);
    });
    document.documentElement.setAttribute("data-ready", "yes");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
