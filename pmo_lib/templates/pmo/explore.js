// Sortable, searchable, paged tables (table.pmo-explore), offline and dependency-free. The same
// script runs in the exported page and in JupyterLab (pmo_lib.report.lab_assets), where tables
// appear later, and again when the filter panel re-renders a section: it sets up each new one.
(function () {
  if (window.pmoExplore) { window.pmoExplore.scan(document); return; }
  var PAGE = 25;
  function cellKey(row, i) {
    var cell = row.cells[i];
    if (!cell) return "";
    var key = cell.getAttribute("data-sort");
    if (key !== null && key !== "" && !isNaN(Number(key))) return Number(key);
    return key !== null ? key : cell.textContent.trim().toLowerCase();
  }
  function setUp(table) {
    if (table.getAttribute("data-pmo-explore")) return;
    table.setAttribute("data-pmo-explore", "1");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var state = { page: 0, query: "", column: -1, ascending: true };
    var bar = document.createElement("div");
    bar.className = "pmo-explore-bar";
    bar.innerHTML = '<input type="search" placeholder="Search this table" aria-label="Search this table">' +
      '<span class="pmo-explore-count"></span>' +
      '<button type="button" data-step="-1" aria-label="Previous page">‹ Previous</button>' +
      '<button type="button" data-step="1" aria-label="Next page">Next ›</button>';
    var box = table.parentNode.classList.contains("pmo-table-wrap") ? table.parentNode : table;
    box.parentNode.insertBefore(bar, box);
    var count = bar.querySelector(".pmo-explore-count");
    function render() {
      var shown = rows.filter(function (r) {
        return !state.query || r.textContent.toLowerCase().indexOf(state.query) >= 0;
      });
      var pages = Math.max(1, Math.ceil(shown.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      rows.forEach(function (r) { r.className = "pmo-filtered-out"; });
      shown.forEach(function (r, i) {
        body.appendChild(r);
        var onPage = Math.floor(i / PAGE) === state.page;
        r.className = onPage ? "" : "pmo-paged-out";
      });
      count.textContent = shown.length + " of " + rows.length + " rows · page " + (state.page + 1) + " of " + pages;
    }
    bar.querySelector("input").addEventListener("input", function (e) {
      state.query = e.target.value.trim().toLowerCase();
      state.page = 0;
      render();
    });
    Array.prototype.forEach.call(bar.querySelectorAll("button"), function (b) {
      b.addEventListener("click", function () { state.page = Math.max(0, state.page + Number(b.getAttribute("data-step"))); render(); });
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.classList.add("pmo-sortable");
      th.setAttribute("title", "Sort by this column");
      th.addEventListener("click", function () {
        state.ascending = state.column === i ? !state.ascending : true;
        state.column = i;
        rows.sort(function (a, b) {
          var x = cellKey(a, i), y = cellKey(b, i);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return state.ascending ? order : -order;
        });
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", state.ascending ? "ascending" : "descending");
        render();
      });
    });
    render();
  }
  function scan(root) {
    if (root.matches && root.matches("table.pmo-explore")) setUp(root);
    if (root.querySelectorAll) Array.prototype.forEach.call(root.querySelectorAll("table.pmo-explore"), setUp);
  }
  function start() {
    scan(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.nodeType === 1 && node.tagName !== "TR") scan(node);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
  window.pmoExplore = { scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
