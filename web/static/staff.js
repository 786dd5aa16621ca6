// Staff pages: autocomplete for the add-tag field, select-all for bulk actions.
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

  document.addEventListener("DOMContentLoaded", function () {
    setupAutocomplete();
    setupSelectAll();
  });
})();
