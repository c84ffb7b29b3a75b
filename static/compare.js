// Comparison page: weight sliders re-rank the vendors at once, by the same rule as the server
// (stagefour/comparison.py): verdict tier first, then Σ weight × section score ÷ Σ weight.
(function () {
  "use strict";
  var dataNode = document.getElementById("compare-data");
  var form = document.getElementById("weights-form");
  if (!dataNode || !form) { return; }
  var data = JSON.parse(dataNode.textContent);
  var firstWinner = data.vendors.length ? data.vendors[0].name : null;
  var status = document.getElementById("stability");
  var initialStatus = status ? status.textContent : "";
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "en", { maximumFractionDigits: 1 });

  function weights() {
    var w = {};
    form.querySelectorAll("input[type=number][data-section]").forEach(function (input) {
      var v = parseFloat(input.value);
      w[input.dataset.section] = isFinite(v) && v >= 0 ? v : 0;
    });
    return w;
  }

  function overall(vendor, w) {
    var total = 0, sum = 0;
    Object.keys(vendor.sections).forEach(function (s) {
      var score = vendor.sections[s];
      if (score === null || !(w[s] > 0)) { return; }
      total += w[s];
      sum += w[s] * score;
    });
    return total ? Math.round((sum / total) * 10) / 10 : null;
  }

  function ranked(w) {
    return data.vendors.map(function (v) { return { v: v, score: overall(v, w) }; })
      .sort(function (a, b) {
        if (a.v.tier !== b.v.tier) { return b.v.tier - a.v.tier; }
        var sa = a.score === null ? -1 : a.score, sb = b.score === null ? -1 : b.score;
        if (sa !== sb) { return sb - sa; }
        return a.v.name.localeCompare(b.v.name);
      });
  }

  function reorder(container, selector, order) {
    var nodes = {};
    container.querySelectorAll(selector).forEach(function (n) { nodes[n.dataset.vendor] = n; });
    order.forEach(function (id) { if (nodes[id]) { container.appendChild(nodes[id]); } });
  }

  function apply() {
    var w = weights();
    var order = ranked(w);
    var ids = order.map(function (r) { return String(r.v.id); });
    var tbody = document.querySelector("#ranking tbody");
    if (tbody) {
      reorder(tbody, "tr[data-vendor]", ids);
      order.forEach(function (r, i) {
        var row = tbody.querySelector("tr[data-vendor='" + r.v.id + "']");
        if (!row) { return; }
        row.querySelector(".rank").textContent = String(i + 1);
        var cell = row.querySelector(".overall");
        var marker = cell.querySelector(".provisional");
        cell.textContent = r.score === null ? "—" : numberFormat.format(r.score);
        if (marker) { cell.append(" ", marker); }
      });
    }
    document.querySelectorAll("table.side-by-side tr").forEach(function (tr) { reorder(tr, "[data-vendor]", ids); });
    var flags = document.querySelector(".flag-columns");
    if (flags) { reorder(flags, "[data-vendor]", ids); }
    if (status && order.length) {
      var winner = order[0].v.name;
      status.textContent = winner === firstWinner ? initialStatus
        : (form.dataset.changedText || "With these weights the winner changes: %s ranks first.").replace("%s", winner);
    }
    if (window.history && window.history.replaceState) {
      var params = new URLSearchParams();
      Object.keys(w).forEach(function (s) { params.set("w_" + s, String(w[s])); });
      window.history.replaceState(null, "", "?" + params.toString());
    }
  }

  form.querySelectorAll("input[type=range][data-section]").forEach(function (range) {
    var number = document.getElementById("w_" + range.dataset.section);
    range.hidden = false;
    range.addEventListener("input", function () { number.value = range.value; apply(); });
    number.addEventListener("input", function () {
      var v = parseFloat(number.value);
      if (isFinite(v)) { range.value = String(Math.min(50, Math.max(0, v))); }
      apply();
    });
  });
})();
