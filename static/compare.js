// Comparison page: weight sliders redo every figure that depends on the weights at once, by the
// server's own rules (stagefour/comparison.py, stagefour/scoring.py weighted_mean): the order,
// each overall score and its provisional range, the sensitivity table and the stability sentence.
// The server sends its inputs (comparison.browser_inputs); tests/browser/test_compare.py checks
// every figure against the server's page for the same weights.
(function () {
  "use strict";
  var dataNode = document.getElementById("compare-data");
  var form = document.getElementById("weights-form");
  if (!dataNode || !form) { return; }
  var data = JSON.parse(dataNode.textContent);
  var sectionIds = Object.keys(data.weights);  // the questionnaire's order, as the server iterates
  var status = document.getElementById("stability");
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "en", { maximumFractionDigits: 1 });

  function fill(template, values) {
    return Object.keys(values).reduce(function (text, key) {
      return text.split("{" + key + "}").join(values[key]);
    }, template);
  }

  function number(value) { return value === null ? "—" : numberFormat.format(value); }

  // Python's round(x, 1): the nearest tenth of the float's exact value, ties to even. A float is a
  // tie only when it is an odd number of quarters (x.25, x.75); toFixed is exact for the rest.
  function round1(x) {
    x = x + 0;
    var quarters = x * 4;
    if (Number.isInteger(quarters) && Math.abs(quarters % 2) === 1) {
      var n = Math.floor(x * 10);
      return (n % 2 === 0 ? n : n + 1) / 10;
    }
    return Number(x.toFixed(1));
  }

  // scoring.weighted_mean: Σ weight × value ÷ Σ weight over the sections whose value applies.
  function weightedMean(vendor, w, column) {
    var total = 0, sum = 0;
    vendor.sections.forEach(function (s) {
      var value = s[column], weight = w[s[0]] || 0;
      if (value === null || !(weight > 0)) { return; }
      total += weight;
      sum += weight * value;
    });
    return total ? round1(sum / total) : null;
  }

  // views/review.py requested_weights: a bad weight counts as the evaluation's; all 0 → all its own.
  function weights() {
    var w = {};
    sectionIds.forEach(function (s) {
      var input = document.getElementById("w_" + s);
      var raw = input ? input.value.trim() : "";
      var v = raw === "" ? data.defaults[s] : Number(raw);
      w[s] = isFinite(v) && v >= 0 && v <= data.max ? v : data.defaults[s];
    });
    if (!sectionIds.some(function (s) { return w[s]; })) { return Object.assign({}, data.defaults); }
    return w;
  }

  // comparison.rank_key: tier first, then score (none below 0), then the case-folded name.
  function ranked(w) {
    return data.vendors.map(function (v) { return { v: v, score: weightedMean(v, w, 1) }; })
      .sort(function (a, b) {
        if (a.v.tier !== b.v.tier) { return b.v.tier - a.v.tier; }
        var sa = a.score === null ? -1 : a.score, sb = b.score === null ? -1 : b.score;
        if (sa !== sb) { return sb - sa; }
        return a.v.tie - b.v.tie;
      });
  }

  // comparison.sensitivity: each weight alone, down to 0 and up to 10×, until another vendor leads.
  function sensitivity(w) {
    if (data.vendors.length < 2) { return []; }
    var current = ranked(w)[0].v.id;
    var lowerSteps = data.multipliers.filter(function (m) { return m < 1; }).reverse();
    var higherSteps = data.multipliers.filter(function (m) { return m > 1; });
    return sectionIds.map(function (s) {
      var found = {};
      [["lower", lowerSteps], ["higher", higherSteps]].forEach(function (side) {
        for (var i = 0; i < side[1].length; i++) {
          var tried = Object.assign({}, w);
          tried[s] = w[s] * side[1][i];
          var top = ranked(tried)[0].v;
          if (top.id !== current) { found[side[0]] = { weight: round1(tried[s]), name: top.name }; break; }
        }
      });
      return { section: s, weight: w[s], lower: found.lower || null, higher: found.higher || null };
    });
  }

  function stable(rows) {
    return rows.every(function (r) {
      return !(r.lower && r.lower.weight >= r.weight * (1 - data.within)) &&
        !(r.higher && r.higher.weight <= r.weight * (1 + data.within));
    });
  }

  function reorder(container, selector, order) {
    var nodes = {};
    container.querySelectorAll(selector).forEach(function (n) { nodes[n.dataset.vendor] = n; });
    order.forEach(function (id) { if (nodes[id]) { container.appendChild(nodes[id]); } });
  }

  function muted(text) {
    var span = document.createElement("span");
    span.className = "muted";
    span.textContent = text;
    return span;
  }

  function showSensitivity(rows) {
    var tbody = document.querySelector("#sensitivity tbody");
    if (!tbody) { return; }
    rows.forEach(function (r, i) {
      var cells = tbody.rows[i] && tbody.rows[i].cells;
      if (!cells) { return; }
      cells[1].textContent = number(r.weight);
      [[r.lower, data.text.lower, data.text.no_lower], [r.higher, data.text.higher, data.text.no_higher]]
        .forEach(function (side, j) {
          var cell = cells[2 + j];
          cell.textContent = "";
          if (side[0]) { cell.textContent = fill(side[1], { w: number(side[0].weight), name: side[0].name }); }
          else { cell.append(muted(side[2])); }
        });
    });
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
        cell.textContent = number(r.score);
        if (marker && r.v.provisional) {
          marker.textContent = fill(data.text.provisional, {
            low: number(weightedMean(r.v, w, 2)), high: number(weightedMean(r.v, w, 3))
          });
          cell.append(" ", marker);
        }
      });
    }
    document.querySelectorAll("table.side-by-side tr, table.commercials tr").forEach(function (tr) { reorder(tr, "[data-vendor]", ids); });
    var flags = document.querySelector(".flag-columns");
    if (flags) { reorder(flags, "[data-vendor]", ids); }
    var rows = sensitivity(w);
    showSensitivity(rows);
    if (status && order.length) {
      var winner = order[0].v.name;
      status.textContent = order.length < 2 ? data.text.one
        : fill(stable(rows) ? data.text.stable : data.text.sensitive, { name: winner });
    }
    if (window.history && window.history.replaceState) {
      var params = new URLSearchParams();
      sectionIds.forEach(function (s) { params.set("w_" + s, String(w[s])); });
      window.history.replaceState(null, "", "?" + params.toString());
    }
  }

  form.querySelectorAll("input[type=range][data-section]").forEach(function (range) {
    var box = document.getElementById("w_" + range.dataset.section);
    range.hidden = false;
    range.addEventListener("input", function () { box.value = range.value; apply(); });
    box.addEventListener("input", function () {
      var v = parseFloat(box.value);
      // the slider shares the box's bounds (forms/buyer.py MAX_WEIGHT): it follows, clamped
      if (isFinite(v)) { range.value = String(Math.min(Number(range.max), Math.max(Number(range.min), v))); }
      apply();
    });
  });
})();
