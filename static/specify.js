// "Other — please specify" (issue 15): without script every specify box is shown beside its
// option; with it, a box shows only while its option is chosen. The server requires the text
// for a chosen option whatever this script does.
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form) { return; }
  function chosen(box) {
    var qid = box.dataset.specifyFor, option = box.dataset.specifyOption;
    var inputs = form.querySelectorAll('[name="' + CSS.escape(qid) + '"]');
    return Array.from(inputs).some(function (input) {
      if (input.tagName === "SELECT") { return input.value === option; }
      return input.value === option && input.checked;
    });
  }
  function update() {
    form.querySelectorAll("[data-specify-for]").forEach(function (box) {
      box.hidden = !chosen(box);
    });
  }
  form.addEventListener("change", update);
  update();
})();
