// The phone hint follows the company's country: "e.g. +91 74104 10123" once India is chosen.
// Without this script the hint shows the country the page was rendered with.
(function () {
  "use strict";
  var data = document.getElementById("phone-examples");
  var country = document.getElementById("id_country");
  var help = document.getElementById("id_phone_helptext");
  if (!data || !country || !help) return;
  var examples = JSON.parse(data.textContent);
  country.addEventListener("change", function () {
    var example = examples[country.value];
    if (!example) return;
    help.textContent = help.textContent.replace(/e\.g\. [^(]*?(?= \(|\.$|$)/, "e.g. " + example);
  });
})();
