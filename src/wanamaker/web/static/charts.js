// Draws every chart on the page from its JSON spec (a <script type="application/json"> element), with
// Vega's expression interpreter (ast: true) so the page's CSP needs neither unsafe-inline nor unsafe-eval.
(function () {
  function draw() {
    var charts = document.querySelectorAll("[data-chart-spec]");
    charts.forEach(function (el) {
      var data = document.getElementById(el.getAttribute("data-chart-spec"));
      if (!data || typeof window.vegaEmbed !== "function") { return; }
      var spec = JSON.parse(data.textContent);
      window.vegaEmbed(el, spec, { ast: true, actions: false, renderer: "svg", defaultStyle: false, tooltip: { disableDefaultStyle: true } }).then(function () {
        el.setAttribute("data-chart-ready", "true");
      }).catch(function (err) {
        el.textContent = "The chart could not be drawn: " + err;
        el.setAttribute("data-chart-ready", "error");
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
