// Vendor form, progressively enhanced: autosave, save on leaving (conditional questions: conditions.js).
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
  var UNDO_MS = 10000;  // how long a removed row can be brought back before its removal is saved
  var closed = false;   // the server said no save can succeed any more (link closed, response locked)
  var unsaved = new Set();  // questions changed since their last successful save

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
        if (result.error) {
          var failure = new Error(result.error);
          failure.final = !!result.final;
          throw failure;
        }
        (result.saved || []).forEach(function (qid) { unsaved.delete(qid); });
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
        if (error.final) { stopSaving(error.message); return; }
        say((form.dataset.failedText || "Not saved yet; retrying.") + " (" + error.message + ")", true);
        timer = setTimeout(save, DELAY * 2);
      })
      .finally(function () {
        saving = false;
        if (closed) { return; }
        if (submitAfterSave) { submitAfterSave(); return; }
        if (pending.size) { timer = setTimeout(save, DELAY); }
      });
  }

  // --- a save that can never succeed (the link was closed while the vendor typed) ---------------
  // The typed text stays in the fields; the page says plainly that it was not saved and offers it
  // as text to copy, kept up to date while the vendor goes on typing.
  var unsavedBox = null;

  function unsavedText() {
    var lines = [];
    unsaved.forEach(function (qid) {
      var box = document.getElementById("q-" + qid);
      if (!box) { return; }
      box.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (field) {
        if (field.type === "file" || field.type === "hidden" || field.disabled) { return; }
        if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
        if (field.name.slice(-5) === "-keep" || !field.value.trim()) { return; }
        lines.push(field.name + ": " + field.value);
      });
    });
    return lines.join("\n");
  }

  var closedMessage = "";

  function stopSaving(message) {
    closed = true;
    clearTimeout(timer);
    submitAfterSave = null;  // a held form post would fail the same way
    if (message) { closedMessage = message; }
    var text = closedMessage + " " + (form.dataset.finalText || "Your last changes were NOT saved.");
    say(text, true);
    if (unsavedBox) { unsavedBox.querySelector("textarea").value = unsavedText(); return; }
    unsavedBox = document.createElement("div");
    unsavedBox.className = "error-summary unsaved";
    unsavedBox.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    var area = document.createElement("textarea");
    area.readOnly = true;
    area.rows = 6;
    area.id = "unsaved-answers";
    area.setAttribute("aria-label", form.dataset.copyText || "Copy my unsaved answers");
    area.value = unsavedText();
    var copy = document.createElement("button");
    copy.type = "button";
    copy.textContent = form.dataset.copyText || "Copy my unsaved answers";
    var done = document.createElement("span");
    done.setAttribute("role", "status");
    copy.addEventListener("click", function () {
      area.select();
      var copied = function () { done.textContent = " " + (form.dataset.copiedText || "Copied."); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(copied, function () { document.execCommand("copy"); copied(); });
      } else {
        document.execCommand("copy");
        copied();
      }
    });
    unsavedBox.append(p, area, copy, done);
    form.prepend(unsavedBox);
    unsavedBox.scrollIntoView({ block: "nearest" });
  }

  function changed(event) {
    var target = event.target;
    if (!target.name || target.type === "file" || target.name === "base_versions") { return; }
    var qid = questionOf(target);
    if (!qid) { return; }
    unsaved.add(qid);
    if (closed) { stopSaving(""); return; }
    pending.add(qid);
    clearTimeout(timer);
    timer = setTimeout(save, DELAY);
  }

  // --- files: the limit is checked here, before a byte is sent (the server checks again) ---------
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.files || !window.DataTransfer) { return; }
    var limit = Number(input.dataset.maxBytes);
    var keep = new DataTransfer(), refused = [];
    Array.from(input.files).forEach(function (file) {
      if (limit && file.size > limit) { refused.push(file.name); } else { keep.items.add(file); }
    });
    var note = document.getElementById(input.id + "-size-error");
    if (note) { note.remove(); }
    input.removeAttribute("aria-invalid");
    if (!refused.length) { return; }
    input.files = keep.files;
    note = document.createElement("p");
    note.className = "errors";
    note.id = input.id + "-size-error";
    note.setAttribute("role", "alert");
    note.textContent = refused.map(function (name) {
      return (input.dataset.tooBig || "{file} is too big.").split("{file}").join(name);
    }).join(" ");
    input.insertAdjacentElement("beforebegin", note);
    input.setAttribute("aria-invalid", "true");
  });

  // --- remove a row, with a while to undo it ------------------------------------------------------
  // The row hides at once but stays in the form (so any save meanwhile keeps it); its removal is
  // saved when the while is over, or with the form when it is sent first. Undo simply shows it again.
  var removals = [];

  function commitRemoval(entry, andSave) {
    clearTimeout(entry.timer);
    removals.splice(removals.indexOf(entry), 1);
    entry.row.remove();
    entry.bar.textContent = entry.text;
    unsaved.add(entry.qid);
    pending.add(entry.qid);
    if (andSave) { save(); }
  }

  function commitAll() { removals.slice().forEach(function (entry) { commitRemoval(entry, false); }); }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=action]");
    if (!button || button.value.indexOf("remove:") !== 0 || closed) { return; }
    var row = button.closest("fieldset.row");
    if (!row) { return; }
    event.preventDefault();
    var legend = row.querySelector("legend");
    var number = String(Number(row.dataset.row) + 1);
    var entry = { row: row, qid: button.value.split(":")[1],
                  text: (form.dataset.rowRemoved || "Row {n} removed.").split("{n}").join(number) };
    entry.bar = document.createElement("p");
    entry.bar.className = "row-removed";
    entry.bar.setAttribute("role", "status");
    entry.bar.append(entry.text + " ");
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "small";
    undo.textContent = form.dataset.undoText || "Undo";
    undo.setAttribute("aria-label", (form.dataset.undoText || "Undo") + ": " + (legend ? legend.textContent : number));
    undo.addEventListener("click", function () {
      clearTimeout(entry.timer);
      removals.splice(removals.indexOf(entry), 1);
      row.hidden = false;
      entry.bar.remove();
      var first = row.querySelector("input, textarea, select");
      if (first) { first.focus(); }
    });
    entry.bar.append(undo);
    row.hidden = true;
    row.before(entry.bar);
    undo.focus();
    entry.timer = setTimeout(function () { commitRemoval(entry, true); }, UNDO_MS);
    removals.push(entry);
  });

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusout", function () { if (pending.size) { save(); } });
  form.addEventListener("submit", function (event) {
    commitAll();  // the form's own post carries these removals (it is built after this handler)
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

  // A field that takes the focus is never left under the sticky bar of buttons (WCAG 2.4.11). The page's
  // scroll-padding-bottom covers a field the browser scrolls to, but Chromium leaves a field that is
  // already partly in view where it is, its middle under the bar.
  var bar = form.querySelector(".actions");
  form.addEventListener("focusin", function (event) {
    if (!bar || bar.contains(event.target) || getComputedStyle(bar).position !== "sticky") { return; }
    var overlap = event.target.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
    if (overlap > 0) { window.scrollBy(0, overlap + 16); }
  });

  // A closed tab or a navigation away still sends what is pending.
  function flush() {
    commitAll();
    if (closed || pending.size === 0 || !navigator.sendBeacon) { return; }
    var names = Array.from(pending);
    pending.clear();
    navigator.sendBeacon(url, payload(names));
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { flush(); } });
})();
