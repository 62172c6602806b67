/* Live preview of the new-request form: posts the form (debounced) to the preview API
   and shows the derived bucket name, the guardrails, the problems per field and whether
   approval is needed. Without JavaScript the form still works (server-side checks). */
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var output = document.getElementById("preview");
  if (!form || !output || !window.fetch) { return; }
  var keyField = document.getElementById("submission-key");
  if (keyField && !keyField.value && window.crypto && crypto.randomUUID) {
    keyField.value = crypto.randomUUID();  // a double submit returns the same request
  }
  var timer = null;
  var latest = 0;
  // Before the first submit a field shows its problems only once the person has been in it; after a
  // rejected submit (the server's summary is on the page) every field does.
  var summary = document.getElementById("error-summary");
  var touched = {};
  var submitted = !!summary;

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function list(items, render) {
    var ul = element("ul");
    items.forEach(function (item) { ul.appendChild(element("li", render(item))); });
    return ul;
  }

  function showFieldProblems(problems) {
    form.querySelectorAll("[data-errors-for]").forEach(function (ul) { ul.textContent = ""; });
    problems.forEach(function (problem) {
      if (problem.severity !== "error") { return; }
      if (!submitted && !touched[problem.field]) { return; }
      var target = problem.field && form.querySelector('[data-errors-for="' + problem.field + '"]');
      if (target) { target.appendChild(element("li", problem.message)); }
    });
  }

  function render(result) {
    output.textContent = "";
    var name = element("p");
    name.appendChild(document.createTextNode("Bucket name: "));
    name.appendChild(element("code", result.bucketName || "—"));
    output.appendChild(name);
    var fields = {};
    (result.problems || []).forEach(function (p) { if (p.severity === "error" && p.field) { fields[p.field] = true; } });
    var count = Object.keys(fields).length;
    output.appendChild(element("p", result.valid ? "Ready to submit." : count
        ? "Not ready yet: " + count + " field" + (count === 1 ? "" : "s") + " to fill in or correct."
        : "Not ready yet.",
                               result.valid ? "badge ok" : "badge warn"));
    if (result.approval) {
      output.appendChild(element("h3", result.approval.required
        ? "Needs " + result.approval.approvals_needed + " platform approval" + (result.approval.approvals_needed === 1 ? "" : "s")
        : "No approval needed"));
      output.appendChild(list(result.approval.reasons || [], function (r) { return r.message; }));
    }
    var guardrails = (result.applied || []);
    if (guardrails.length) {
      output.appendChild(element("h3", "Applied by the platform"));
      output.appendChild(list(guardrails, function (a) {
        return a.path + " = " + JSON.stringify(a.value) + " (" + a.source + ": " + a.reason + ")";
      }));
    }
    var unplaced = (result.problems || []).filter(function (p) { return !p.field; });
    if (unplaced.length) {
      output.appendChild(element("h3", "Problems"));
      output.appendChild(list(unplaced, function (p) { return p.path + ": " + p.message; }));
    }
    showFieldProblems(result.problems || []);
  }

  function refresh() {
    var ticket = ++latest;
    var body = new FormData(form);
    body.delete("submission_key");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: new URLSearchParams(body),
      credentials: "same-origin",
      headers: {"X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
                "Accept": "application/json"}
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) { if (result && ticket === latest) { render(result); } })
      .catch(function () { /* the preview is a help; submitting still validates */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  function touch(event) {
    var field = event.target.closest("[data-field]");
    if (field) { touched[field.dataset.field] = true; }
    schedule();
  }

  form.addEventListener("input", touch);
  form.addEventListener("change", touch);

  if (summary) {
    // After a rejected submit the panel shows what the live preview shows for these fields (the server
    // renders the bucket name only); the focus stays on the summary.
    refresh();
    summary.focus();
    // A link in the summary puts the cursor in its field (a fragment link only scrolls to it).
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      field.focus();
      var label = form.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
    });
  }
})();
