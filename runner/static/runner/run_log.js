// Refreshes a run page's status and log every two seconds while the run is active; the log follows
// its tail (unless the reader scrolled up to read earlier lines).
(function () {
  "use strict";
  var log = document.getElementById("run-log");
  if (!log) { return; }
  log.scrollTop = log.scrollHeight;
  if (log.dataset.active !== "true") { return; }
  var statusBadge = document.getElementById("run-status");
  var step = document.getElementById("run-step");

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
        if (run.active) { setTimeout(refresh, 2000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(refresh, 5000); });
  }
  setTimeout(refresh, 2000);
})();
