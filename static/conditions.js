// Conditional questions (issue 15): the page's `data-condition` (Condition.to_data in
// stagefour/questionnaire.py) evaluated exactly as the core does (Condition.holds and
// .applicability, scoring._applicability), so what the vendor sees is what the server requires.
// tests/browser/test_conditions.py checks the two agree on generated conditions and answers.
// Without JavaScript every question shows and the server still decides.
(function () {
  "use strict";
  var APPLICABLE = "applicable", NOT_APPLICABLE = "not_applicable", UNKNOWN = "unknown";

  function isNumber(value) { return typeof value === "number" && isFinite(value); }

  // One answer value against the test; `===` is the core's `_same` (true is not 1).
  function holdsOne(cond, value) {
    if (cond.in) { return cond.in.some(function (v) { return v === value; }); }
    if (cond.band) {
      var b = cond.band;
      return isNumber(value) &&
        !((b.min != null && value < b.min) || (b.max != null && value > b.max) ||
          (b.above != null && value <= b.above) || (b.below != null && value >= b.below));
    }
    return value === cond.equals;
  }

  // Whether an answer (not null) satisfies the condition; a list (multi) when any item does.
  function holds(cond, value) {
    if (Array.isArray(value)) { return value.some(function (v) { return holdsOne(cond, v); }); }
    return holdsOne(cond, value);
  }

  // The dependant's state from the controlling answer and the controlling question's own state.
  function applicability(cond, value, above) {
    if (above === NOT_APPLICABLE) { return NOT_APPLICABLE; }
    if (value === null || value === undefined || value === "") { return UNKNOWN; }
    if (!holds(cond, value)) { return NOT_APPLICABLE; }
    return above || APPLICABLE;
  }

  // The state of a condition, `all`/`any`/`not` included; lookup(question) gives [answer, its own state].
  // Three-valued as in Condition.decide: `all` fails when one part fails, `any` holds when one
  // part holds, `not` swaps applicable and not applicable, unknown where the answers cannot decide.
  function decide(cond, lookup) {
    if (cond.not) {
      var inner = decide(cond.not, lookup);
      return inner === APPLICABLE ? NOT_APPLICABLE : (inner === NOT_APPLICABLE ? APPLICABLE : UNKNOWN);
    }
    if (cond.all || cond.any) {
      var parts = (cond.all || cond.any).map(function (part) { return decide(part, lookup); });
      var decisive = cond.all ? NOT_APPLICABLE : APPLICABLE, otherwise = cond.all ? APPLICABLE : NOT_APPLICABLE;
      if (parts.indexOf(decisive) >= 0) { return decisive; }
      return parts.indexOf(UNKNOWN) >= 0 ? UNKNOWN : otherwise;
    }
    var found = lookup(cond.q);
    return applicability(cond, found[0] === undefined ? null : found[0], found[1]);
  }

  // Every question's state: `conditions` maps a question id to its condition (or null), `answers`
  // a question id to its value; `outside` gives [state, answer] for questions a condition names
  // that are not in `conditions` (on another page: the server says). The loader refuses cycles;
  // `seen` stops one anyway.
  function states(conditions, answers, outside) {
    var out = {};
    outside = outside || {};
    var has = function (obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); };
    function state(qid, seen) {
      if (has(out, qid)) { return out[qid]; }
      var cond = conditions[qid];
      if (!cond || seen.indexOf(qid) >= 0) { return APPLICABLE; }
      out[qid] = decide(cond, function (named) {
        if (has(conditions, named)) { return [answers[named], state(named, seen.concat([qid]))]; }
        if (has(outside, named)) { return [outside[named][1], outside[named][0]]; }
        return [null, UNKNOWN];  // nothing known about it here: undecided, so shown; the server decides
      });
      return out[qid];
    }
    Object.keys(conditions).forEach(function (qid) { out[qid] = state(qid, []); });
    return out;
  }

  // The answer a question's fields hold now, as the server would store it (forms/vendor.py `_value`).
  function currentValue(box) {
    var qid = box.dataset.question, type = box.dataset.type;
    var fields = Array.prototype.filter.call(
      box.querySelectorAll("input[name], select[name], textarea[name]"),
      function (el) { return el.name === qid; });
    if (type === "multi") {
      var ticked = fields.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
      if (!ticked.length) { return null; }
      return ticked.filter(function (v) { return v !== "_none"; });
    }
    var raw = "";
    fields.forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox")) { if (el.checked) { raw = el.value; } }
      else { raw = el.value; }
    });
    if (type === "yes_no") { return raw === "yes" ? true : (raw === "no" ? false : null); }
    if (type === "number") {
      if (!raw.trim()) { return null; }
      var n = Number(raw);
      return isNumber(n) ? n : null;
    }
    if (type === "id_list") {
      var ids = raw.split(/[\s,;]+/).filter(function (v) { return v; });
      return ids.length ? ids : null;
    }
    if (type === "url" || type === "email") { raw = raw.trim(); }
    return raw.trim() ? raw : null;
  }

  // Shows and hides the form's conditional questions; a hidden question keeps what is typed in it.
  function apply(form) {
    var boxes = form.querySelectorAll("[data-question]");
    var conditions = {}, answers = {}, byId = {};
    boxes.forEach(function (box) {
      var qid = box.dataset.question;
      byId[qid] = box;
      conditions[qid] = box.dataset.condition ? JSON.parse(box.dataset.condition) : null;
      answers[qid] = currentValue(box);
    });
    var outside = form.dataset.conditionsOutside ? JSON.parse(form.dataset.conditionsOutside) : {};
    var result = states(conditions, answers, outside);
    Object.keys(result).forEach(function (qid) { byId[qid].hidden = result[qid] === NOT_APPLICABLE; });
    sections(document, function (named) {
      if (Object.prototype.hasOwnProperty.call(result, named)) { return [answers[named], result[named]]; }
      if (outside[named]) { return [outside[named][1], outside[named][0]]; }
      return [null, UNKNOWN];
    });
    return result;
  }

  // The section list's entries shown on a condition (Section.visible_if, templates/vendor/_nav.html):
  // one that does not apply says so and is no link; decided as the core's section_applicability does.
  function sections(root, lookup) {
    root.querySelectorAll("[data-section-condition]").forEach(function (entry) {
      var skipped = decide(JSON.parse(entry.dataset.sectionCondition), lookup) === NOT_APPLICABLE;
      entry.classList.toggle("not-applicable", skipped);
      entry.querySelectorAll(".section-link, .progress-count:not(.section-na)").forEach(function (el) {
        el.hidden = skipped;
      });
      entry.querySelectorAll(".section-name, .section-na").forEach(function (el) { el.hidden = !skipped; });
    });
  }

  window.stagefourConditions = {
    holds: holds, applicability: applicability, decide: decide, states: states, currentValue: currentValue,
    apply: apply, sections: sections
  };

  var form = document.getElementById("section-form");
  if (!form) { return; }
  var update = function () { apply(form); };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
