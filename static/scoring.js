// Manual scoring without a reload, progressive enhancement only: every score form posts
// normally without this file. With it, the form posts the same fields with fetch, asking for
// JSON; the server answers with the item (or, in the queue, the next item) rendered by the same
// template as the page, errors at their fields included, and this puts it in place.
(function () {
  "use strict";

  if (!window.fetch || !window.FormData) {
    return;
  }

  function place(target, html, counts) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    target.replaceWith(fresh);
    document.querySelectorAll("[data-queue-counts]").forEach(function (node) {
      node.textContent = counts;
    });
    // An error: the first field in error; saved: the item's status or the next item's heading.
    var focus = fresh.querySelector("[data-focus-error]") || fresh.querySelector("[data-focus]");
    if (focus) {
      focus.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.score-form")) {
      return;
    }
    var target = document.getElementById(form.dataset.replace);
    if (!target || form.dataset.busy) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    form.dataset.busy = "1";
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") !== 0) {
          throw new Error("not JSON");
        }
        return response.json();
      })
      .then(function (body) {
        place(target, body.html, body.counts);
      })
      .catch(function () {
        // A session that ended, a CSRF refusal, a lost connection: post the page the plain way,
        // whose answer explains what happened.
        delete form.dataset.busy;
        form.submit();
      });
  });
})();
