// Running timers tick: each shows the time elapsed since it started, as the server counted it
// when it sent the page, plus what has passed since it arrived (so the visitor's clock being
// off does not matter). Without JavaScript the page still says when the timer started.
(function () {
  "use strict";

  function shown(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor(seconds / 60) % 60;
    var s = seconds % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed-seconds]").forEach(function (elapsed) {
      if (!elapsed.hasAttribute("data-arrived")) {
        elapsed.setAttribute("data-arrived", String(now));
      }
      var since = Math.floor((now - Number(elapsed.getAttribute("data-arrived"))) / 1000);
      elapsed.textContent = shown(Number(elapsed.getAttribute("data-elapsed-seconds")) + since);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
})();
