/* Behaviour every page shares (progressive: without it the pages still work).
   - List tables: each cell gets its column's heading as data-label, so app.css can show a row as a
     card on a phone; a table without <thead> (a detail page's field list) is left alone, and so is
     one marked data-cards="off". Without this script a wide table scrolls sideways in its box.
   - Menus of the navigation bar (<details>): one open at a time, closed by Escape or a click
     elsewhere.
   - A form that came back refused (engine.forms.form_run renders the page again with it): its
     first error is scrolled into view, so a form low on a long page does not look ignored. */
(function () {
  "use strict";

  function labelTable(table) {
    if (table.dataset.cards === "off" || !table.tHead) return;
    var headings = Array.prototype.map.call(
      table.tHead.rows[0] ? table.tHead.rows[0].cells : [],
      function (cell) { return cell.textContent.trim(); }
    );
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && cell.colSpan === 1) {
            cell.setAttribute("data-label", headings[column] || "");
          }
          column += cell.colSpan;
        });
      });
    });
    table.classList.add("cards");
  }

  function menus() {
    var groups = document.querySelectorAll(".mainnav details.navgroup");
    function closeAll(except) {
      groups.forEach(function (d) { if (d !== except) d.open = false; });
    }
    groups.forEach(function (d) {
      d.addEventListener("toggle", function () { if (d.open) closeAll(d); });
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".mainnav details.navgroup")) closeAll(null);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var open = document.querySelector(".mainnav details.navgroup[open]");
      if (open) { open.open = false; open.querySelector("summary").focus(); }
    });
  }

  function firstError() {
    var error = document.querySelector("main form .errorlist, main form .error");
    if (error) error.scrollIntoView({ block: "center" });
  }

  function start() {
    document.querySelectorAll("main table").forEach(labelTable);
    menus();
    firstError();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
