// Admin job pages: live progress by polling the JSON endpoints (no page reload).
// Loaded as a file (the CSP allows no inline script); the pages work without it.
(function () {
  "use strict";
  var INTERVAL = 1500;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  function setText(root, selector, text) {
    var node = root.querySelector(selector);
    if (node && node.textContent !== String(text)) node.textContent = text;
  }

  var OUTCOME_CLASSES = { succeeded: "ok", partial: "warn", failed: "bad" };

  function updateJob(root, job) {
    setText(root, ".job-state", job.state_label);
    var state = root.querySelector(".job-state");
    if (state) {
      ["ok", "warn", "bad"].forEach(function (name) { state.classList.remove(name); });
      if (OUTCOME_CLASSES[job.outcome]) state.classList.add(OUTCOME_CLASSES[job.outcome]);
    }
    var summary = root.querySelector(".job-summary");
    if (summary) { summary.textContent = job.summary || ""; summary.hidden = !job.finished || !job.summary; }
    var running = root.querySelector(".job-running");
    if (running) running.hidden = job.finished;
    setText(root, ".job-count", job.done + "/" + job.total);
    setText(root, ".job-percent", job.percent + "%");
    setText(root, ".job-step", job.error && root.tagName === "TR" ? job.error : job.step);
    var bar = root.querySelector(".job-progress");
    if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
    var error = root.querySelector(".job-error");
    if (error) { error.hidden = !job.error; error.textContent = job.error || ""; }
    if (job.finished) {
      Array.prototype.forEach.call(root.querySelectorAll(".job-cancel"), function (form) { form.remove(); });
    }
  }

  function pollList(table) {
    var url = table.getAttribute("data-poll-url");
    var tick = function () {
      getJSON(url).then(function (data) {
        if (!data) return;
        var notice = document.getElementById("worker-notice");
        if (notice) notice.hidden = data.worker_running;
        data.jobs.forEach(function (job) {
          var row = table.querySelector('tr[data-job-id="' + job.id + '"]');
          if (row) updateJob(row, job);
        });
        if (data.jobs.length && !table.querySelector('tr[data-job-id="' + data.jobs[0].id + '"]')) {
          // A job started elsewhere: the list needs its new row.
          window.location.reload();
        }
      }).catch(function () {}).then(function () { setTimeout(tick, INTERVAL); });
    };
    setTimeout(tick, INTERVAL);
  }

  function pollDetail(panel) {
    var url = panel.getAttribute("data-poll-url");
    var tick = function () {
      getJSON(url).then(function (job) {
        if (!job) return;
        updateJob(panel, job);
        var log = panel.querySelector(".job-log");
        if (log) {
          var text = job.log.join("\n") + "\n";
          if (log.textContent !== text) { log.textContent = text; log.scrollTop = log.scrollHeight; }
        }
        if (!job.finished) setTimeout(tick, INTERVAL);
      }).catch(function () { setTimeout(tick, INTERVAL * 2); });
    };
    setTimeout(tick, INTERVAL);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("jobs-table");
    if (table) pollList(table);
    var panel = document.getElementById("job-detail");
    if (panel) pollDetail(panel);
  });
})();
