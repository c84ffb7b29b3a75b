// Vendor form, progressively enhanced: autosave, conditional questions, save on leaving.
// Without JavaScript the form works the same through its buttons (see views/vendor.py).
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form || !form.dataset.autosave) { return; }
  var url = form.dataset.autosave;
  var statusBox = form.querySelector(".autosave-status");
  var versionsInput = form.querySelector("input[name=base_versions]");
  var pending = new Set();
  var timer = null;
  var saving = false;
  var submitAfterSave = null;  // the form's own submission, held while an autosave is on its way
  var submitting = false;
  var DELAY = 2500;

  function questionOf(el) {
    var box = el.closest("[data-question]");
    return box ? box.dataset.question : null;
  }

  function say(text, isError) {
    if (!statusBox) { return; }
    statusBox.textContent = text;
    statusBox.classList.toggle("error", !!isError);
  }

  // Orders this page's saves (autosaves and the form itself): a late one never undoes a later one.
  var seqInput = form.querySelector("input[name=seq]");
  function nextSeq() { return String(Math.floor(performance.timeOrigin + performance.now())); }

  function payload(names) {
    var data = new FormData(form);
    data.set("seq", nextSeq());
    form.querySelectorAll("input[type=file]").forEach(function (input) { data.delete(input.name); });
    data.delete("action");
    data.set("changed", names.join(","));
    return data;
  }

  function versions() {
    try { return JSON.parse(versionsInput.value || "{}"); } catch (e) { return {}; }
  }

  function markErrors(errors) {
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid=true].js-invalid").forEach(function (el) {
      el.removeAttribute("aria-invalid"); el.classList.remove("js-invalid");
    });
    Object.keys(errors).forEach(function (name) {
      var field = document.getElementById(name) || form.querySelector("[name='" + name + "']");
      if (!field) { return; }
      field.setAttribute("aria-invalid", "true");
      field.classList.add("js-invalid");
      var note = document.createElement("p");
      note.className = "errors js-error";
      note.id = name + "-js-error";
      note.textContent = errors[name].join(" ");
      field.insertAdjacentElement("beforebegin", note);
      field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + note.id).trim());
    });
  }

  function showConflicts(conflicts, conflictVersions) {
    Object.keys(conflicts).forEach(function (qid) {
      var box = document.getElementById("q-" + qid);
      if (!box || box.querySelector(".js-conflict")) { return; }
      var note = document.createElement("div");
      note.className = "conflict js-conflict";
      note.setAttribute("role", "alert");
      var text = document.createElement("p");
      text.textContent = conflicts[qid];
      var keep = document.createElement("button");
      keep.type = "button";
      keep.className = "small";
      keep.textContent = form.dataset.keepMine || "Keep mine";
      keep.addEventListener("click", function () {
        var v = versions();
        v[qid] = conflictVersions[qid];
        versionsInput.value = JSON.stringify(v);
        note.remove();
        pending.add(qid);
        save();
      });
      var reload = document.createElement("a");
      reload.href = window.location.pathname + "#q-" + qid;
      reload.textContent = form.dataset.loadTheirs || "Load theirs";
      reload.addEventListener("click", function (event) { event.preventDefault(); window.location.reload(); });
      note.append(text, keep, " ", reload);
      box.prepend(note);
    });
  }

  function save() {
    clearTimeout(timer);
    if (saving || pending.size === 0) { return; }
    var names = Array.from(pending);
    pending.clear();
    saving = true;
    say(form.dataset.savingText || "Saving…");
    fetch(url, { method: "POST", body: payload(names), credentials: "same-origin",
                 headers: { "X-Requested-With": "fetch", "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { throw new Error("HTTP " + response.status); });
      })
      .then(function (result) {
        if (result.error) { throw new Error(result.error); }
        var v = versions();
        Object.keys(result.versions || {}).forEach(function (qid) { v[qid] = result.versions[qid]; });
        versionsInput.value = JSON.stringify(v);
        markErrors(result.errors || {});
        showConflicts(result.conflicts || {}, result.conflict_versions || {});
        var problems = Object.keys(result.errors || {}).length + Object.keys(result.conflicts || {}).length;
        if (problems) {
          say((result.saved_at_text || "") + " " + (form.dataset.notSavedText || "Some answers were not saved: see the marked fields."), true);
        } else {
          say(result.saved_at_text);
        }
      })
      .catch(function (error) {
        names.forEach(function (n) { pending.add(n); });
        say((form.dataset.failedText || "Not saved yet; retrying.") + " (" + error.message + ")", true);
        timer = setTimeout(save, DELAY * 2);
      })
      .finally(function () {
        saving = false;
        if (submitAfterSave) { submitAfterSave(); return; }
        if (pending.size) { timer = setTimeout(save, DELAY); }
      });
  }

  function changed(event) {
    var target = event.target;
    if (!target.name || target.type === "file" || target.name === "base_versions") { return; }
    var qid = questionOf(target);
    if (!qid) { return; }
    pending.add(qid);
    clearTimeout(timer);
    timer = setTimeout(save, DELAY);
    applyConditions();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusout", function () { if (pending.size) { save(); } });
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    pending.clear();
    // An autosave on its way (sent when the focus left a field, e.g. for the "Remove" button) would
    // otherwise win: the form would still carry the versions from before it, so the server takes the
    // form's answer for "unchanged" and keeps the autosaved one (a removed row came back). The form
    // goes once the autosave is answered, with the versions it brings back.
    if (saving && !submitting && form.requestSubmit) {
      event.preventDefault();
      var submitter = event.submitter;
      submitAfterSave = function () {
        submitAfterSave = null;
        submitting = true;
        form.requestSubmit(submitter || undefined);
      };
      setTimeout(function () { if (submitAfterSave) { submitAfterSave(); } }, 5000);  // never held for good
      return;
    }
    if (seqInput) { seqInput.value = nextSeq(); }
  });

  // A closed tab or a navigation away still sends what is pending.
  function flush() {
    if (pending.size === 0 || !navigator.sendBeacon) { return; }
    var names = Array.from(pending);
    pending.clear();
    navigator.sendBeacon(url, payload(names));
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { flush(); } });

  // Conditional questions: shown only while the question they depend on has the value.
  function currentValue(qid) {
    var checked = form.querySelector("input[name='" + qid + "']:checked");
    if (checked) { return checked.value; }
    var field = form.querySelector("select[name='" + qid + "']");
    return field ? field.value : "";
  }
  function applyConditions() {
    form.querySelectorAll("[data-visible-if]").forEach(function (box) {
      var controlling = box.dataset.visibleIf;
      if (!form.querySelector("[name='" + controlling + "']")) { return; }  // on another page
      var show = currentValue(controlling) === box.dataset.visibleValue;
      box.hidden = !show;
    });
  }
  applyConditions();
})();
