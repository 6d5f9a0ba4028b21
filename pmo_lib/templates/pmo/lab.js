// JupyterLab only (pmo_lib.report.lab_assets). A link in a report table to a section of another
// report notebook (health.ipynb#6.-Watch-list) opens that notebook, but JupyterLab scrolls to
// the section only when the notebook is already open: on a first open it looks for the heading
// before the notebook has rendered it. So once the heading has rendered, the link is followed
// once more, which brings the section into view.
(function () {
  if (window.pmoLabLinks) return;
  window.pmoLabLinks = true;
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("table.pmo-table a[href*='.ipynb']") : null;
    if (!link || link.getAttribute("data-pmo-again")) return;
    var id = decodeURIComponent((link.hash || "").slice(1));
    if (!id) return;
    var wanted = '[data-jupyter-id="' + CSS.escape(id) + '"], [id="' + CSS.escape(id) + '"]';
    var tries = 0;
    var timer = setInterval(function () {
      var heading = document.querySelector(wanted);
      if (heading || ++tries > 75) clearInterval(timer);
      if (!heading) return;
      link.setAttribute("data-pmo-again", "1");
      link.click();
      link.removeAttribute("data-pmo-again");
    }, 200);
  }, true);  // capture: before the notebook, which keeps clicks to itself
})();
