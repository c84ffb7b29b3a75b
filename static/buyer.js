// Buyer pages, progressive enhancement only: every page works without this file.
// A "Copy" button beside each newly issued vendor link puts it on the clipboard; without
// the Clipboard API (e.g. a page served over plain HTTP from another host) the button stays
// hidden and the read-only field still selects its whole text on focus for a manual copy.
(function () {
  "use strict";

  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  });

  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copy + "-status");
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      input.focus();
      input.select();
      navigator.clipboard.writeText(input.value).then(
        function () {
          if (status) {
            status.textContent = button.dataset.copied;
          }
        },
        function () {
          if (status) {
            status.textContent = button.dataset.failed;
          }
        }
      );
    });
  });
})();
