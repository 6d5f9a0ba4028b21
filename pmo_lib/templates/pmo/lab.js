// JupyterLab and Voila only (pmo_lib.report.lab_assets). A link in a report table to a section of
// another report notebook (health.ipynb#6.-Watch-list) opens that notebook, but JupyterLab
// scrolls to the section only when the notebook is already open: on a first open it looks for
// the heading before the notebook has rendered it. So once the heading has rendered, the link is
// followed once more, which brings the section into view. Voila (make dashboard) opens the link's
// dashboard in a new tab and draws its cells after the browser looked for the section: the
// dashboard brings the section into view and keeps it there while the cells above it are drawn.
(function () {
  if (window.pmoLabLinks) return;
  window.pmoLabLinks = true;
  var voila = document.body && document.body.hasAttribute("data-voila");
  if (voila && location.hash) {
    // keep the section in view while the outputs above it are drawn (they push it down), until
    // it has stayed put for two seconds or the reader scrolls, types or clicks
    var section = decodeURIComponent(location.hash.slice(1));
    var placed = null, still = 0, waits = 0, reader = false;
    ["wheel", "keydown", "mousedown", "touchstart"].forEach(function (name) {
      window.addEventListener(name, function () { reader = true; }, { capture: true, once: true });
    });
    var follow = setInterval(function () {
      var heading = document.getElementById(section);
      var box = heading && heading.getBoundingClientRect();
      if (box && box.height > 0) {
        if (placed !== null && Math.abs(box.top - placed) < 1) {
          still++;
        } else {
          heading.scrollIntoView();
          placed = heading.getBoundingClientRect().top;
          still = 0;
        }
      }
      if (reader || still >= 10 || ++waits > 300) clearInterval(follow);
    }, 200);
  }
  if (voila) return;  // Voila opens the links in new tabs: no second click
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
