// EfA-Marktplatz: small enhancements; every function works without this file.
(function () {
  "use strict";
  // A failed form: move focus to the error summary so screen readers announce it.
  function focusSummary() {
    var s = document.getElementById("fehler-zusammenfassung");
    if (s) { s.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusSummary();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    focusSummary();
    var live = document.getElementById("ergebnis-status");
    if (live && e.detail && e.detail.target && e.detail.target.id === "ergebnisse") {
      live.textContent = live.getAttribute("data-text") || live.textContent;
    }
  });
})();
