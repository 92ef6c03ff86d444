// "Add another office" without a round trip. The button also works without this script:
// it then posts the form, and the server shows it again one row longer.
(function () {
  "use strict";
  var button = document.querySelector("[data-add-office]");
  var template = document.querySelector("template[data-office-template]");
  var rows = document.querySelector("[data-office-rows]");
  var total = document.getElementById("id_offices-TOTAL_FORMS");
  var max = document.getElementById("id_offices-MAX_NUM_FORMS");
  if (!button || !template || !rows || !total) return;

  button.addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) {
      button.disabled = true;
      return;
    }
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = rows.lastElementChild;
    var first = added && added.querySelector("select, input");
    if (first) first.focus();
  });
})();
