// Refreshes a run page's status, duration, steps table and log every two seconds while the run is
// active; the log follows its tail (unless the reader scrolled up to read earlier lines). The steps
// table arrives rendered by the server (runner/_steps.html, as on load); the page reloads once the
// run has ended.
(function () {
  "use strict";
  var log = document.getElementById("run-log");
  if (!log) { return; }
  log.scrollTop = log.scrollHeight;
  if (log.dataset.active !== "true") { return; }
  var statusBadge = document.getElementById("run-status");
  var step = document.getElementById("run-step");
  var steps = document.getElementById("run-steps");
  var duration = document.getElementById("run-duration");

  function refresh() {
    fetch(log.dataset.statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (run) {
        var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
        log.textContent = run.log;
        if (atBottom) { log.scrollTop = log.scrollHeight; }
        statusBadge.textContent = run.status_label;
        statusBadge.className = "badge " + run.badge;
        step.textContent = run.active && run.step ? "(terraform " + run.step + ")" : "";
        if (duration) { duration.textContent = run.duration; }
        if (steps && typeof run.steps_html === "string") { steps.innerHTML = run.steps_html; }
        if (run.active) { setTimeout(refresh, 2000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(refresh, 5000); });
  }
  setTimeout(refresh, 2000);
})();
