// mamori: small behaviours that need a script. The pages work without it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    } else if (target.closest("[data-back]") && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  // After an answer is saved in place, refresh the progress and the verdict summary.
  document.body && document.body.addEventListener("answer-saved", function () {
    if (window.htmx && document.getElementById("summary")) {
      window.htmx.ajax("GET", window.location.pathname, { target: "#summary", select: "#summary", swap: "outerHTML" });
    }
  });
})();
