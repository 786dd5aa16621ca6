// Staff pages: autocomplete for the add-tag field, select-all for bulk actions, and the
// review page's own keys (the same in every browser; accesskeys are not).
// Loaded as a file (the CSP allows no inline script); every page works without it.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function setupAutocomplete() {
    var input = document.getElementById("add-value");
    var list = document.getElementById("taxonomy-values");
    var facet = document.getElementById("add-facet");
    if (!input || !list || !facet) return;
    var url = input.getAttribute("data-complete-url");
    var lastFacetOf = {};

    var refresh = debounce(function () {
      // Every facet is searched: picking a value then selects the facet it belongs to.
      var query = url + "?q=" + encodeURIComponent(input.value);
      fetch(query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          while (list.firstChild) list.removeChild(list.firstChild);
          data.items.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.value;
            option.label = item.facet_label;
            lastFacetOf[item.value] = item.facet;
            list.appendChild(option);
          });
        })
        .catch(function () { /* keep the server-rendered list */ });
    }, 150);

    input.addEventListener("input", function () {
      // A value picked from the list selects its facet.
      var owner = lastFacetOf[input.value];
      if (owner && owner !== facet.value) facet.value = owner;
      refresh();
    });
  }

  function setupRegionList() {
    // The source form's region: every division of China to choose from, as the admin types.
    var input = document.getElementById("region");
    var list = document.getElementById("region-list");
    if (!input || !list) return;
    var url = input.getAttribute("data-complete-url");
    input.addEventListener("input", debounce(function () {
      if (!input.value.trim()) return;
      fetch(url + "?q=" + encodeURIComponent(input.value.trim()),
            { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.items.length) return;
          while (list.firstChild) list.removeChild(list.firstChild);
          data.items.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.path;
            option.label = item.code;
            list.appendChild(option);
          });
        })
        .catch(function () { /* keep the server-rendered list */ });
    }, 150));
  }

  function setupSelectAll() {
    var boxes = document.querySelectorAll("[data-select-all]");
    Array.prototype.forEach.call(boxes, function (box) {
      var name = box.getAttribute("data-select-all");
      box.addEventListener("change", function () {
        var form = box.form || document;
        Array.prototype.forEach.call(form.querySelectorAll('input[type=checkbox][name="' + name + '"]'),
          function (item) { item.checked = box.checked; });
      });
    });
  }

  // --- review keys ------------------------------------------------------------
  // J/K next/previous suggestion, A/R/U accept/reject/keep it, Shift+A accept all,
  // S save, D save and mark reviewed, N/P next/previous policy, ? the key list.

  function typingIn(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    if (tag !== "input") return false;
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["radio", "checkbox", "button", "submit", "reset"].indexOf(type) < 0;
  }

  function setupReviewKeys() {
    var form = document.getElementById("review-form");
    if (!form) return;
    var rows = Array.prototype.slice.call(form.querySelectorAll(".tag-row[data-tag-key]"));
    var help = document.getElementById("kbd-help");
    var notice = document.getElementById("kbd-notice");
    var dirty = false, leaveArmed = null;
    help.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll(".kbd-hint"), function (hint) { hint.hidden = false; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });

    function say(text) { notice.textContent = text; notice.hidden = !text; }

    function rowOf(node) {
      while (node && node !== form) {
        if (node.classList && node.classList.contains("tag-row")) return node;
        node = node.parentNode;
      }
      return null;
    }

    function current() { return rowOf(document.activeElement) || rows.filter(isCurrent)[0] || null; }
    function isCurrent(row) { return row.classList.contains("kb-current"); }

    function focusRow(row) {
      if (!row) return;
      rows.forEach(function (r) { r.classList.toggle("kb-current", r === row); });
      var radio = row.querySelector("input[type=radio]:checked") || row.querySelector("input[type=radio]");
      if (radio) radio.focus();
      row.scrollIntoView({ block: "nearest" });
    }

    function move(step) {
      var row = current();
      var index = row ? rows.indexOf(row) + step : (step > 0 ? 0 : rows.length - 1);
      if (index >= 0 && index < rows.length) focusRow(rows[index]);
    }

    function decide(value) {
      var row = current();
      if (!row) { move(1); row = current(); }
      if (!row) return;
      var radio = row.querySelector('input[type=radio][value="' + value + '"]');
      if (!radio) { say("这一条不能“" + ({accept: "接受", reject: "否决"}[value] || "不变") + "”：它已经是这个决定。"); return; }
      radio.checked = true;
      dirty = true;
      row.classList.remove("kb-accept", "kb-reject", "kb-keep");
      row.classList.add("kb-" + value);
      say("");
      var index = rows.indexOf(row);
      if (value !== "keep" && index + 1 < rows.length) focusRow(rows[index + 1]);
      else focusRow(row);
    }

    function submit(op) {
      var button = form.querySelector('button[name=op][value="' + op + '"]:not(.visually-hidden)');
      if (!button) return;
      dirty = false;
      if (form.requestSubmit) form.requestSubmit(button); else button.click();
    }

    function leave(link, name) {
      if (!link) { say("队列中没有" + name + "。"); return; }
      if (dirty && leaveArmed !== link) {
        leaveArmed = link;
        say("本页有未保存的修改：按 S 保存，或再按一次前往" + name + "（放弃修改）。");
        return;
      }
      window.location.href = link.href;
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      if (typingIn(event.target)) return;
      var key = event.key, lower = key.length === 1 ? key.toLowerCase() : key;
      var handled = true;
      if (lower === "j") move(1);
      else if (lower === "k") move(-1);
      else if (key === "A" && event.shiftKey) submit("accept_all");
      else if (lower === "a") decide("accept");
      else if (lower === "r") decide("reject");
      else if (lower === "u") decide("keep");
      else if (lower === "s") submit("save");
      else if (lower === "d") submit("save_next");
      else if (lower === "n") leave(document.getElementById("next-policy"), "下一条政策");
      else if (lower === "p") leave(document.getElementById("previous-policy"), "上一条政策");
      else if (key === "?") help.hidden = !help.hidden;
      else handled = false;
      if (handled) event.preventDefault();
    });
    form.addEventListener("focusin", function (event) {
      var row = rowOf(event.target);
      if (row) rows.forEach(function (r) { r.classList.toggle("kb-current", r === row); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupAutocomplete();
    setupSelectAll();
    setupReviewKeys();
    setupRegionList();
  });
})();
