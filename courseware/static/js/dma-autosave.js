/* Digital maturity: saves each question as soon as it is answered (templates/firm/maturity_part.html).
 *
 * Progressive enhancement: the form works without this script ("Save and continue" posts the whole part). With it,
 * every change posts that one question as JSON, with the page's CSRF token in the X-CSRFToken header, so a closed
 * tab or a lost connection loses at most the answer being given. The status line says "Saved" or what went wrong.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave");
  var status = form.querySelector(".dma-status");
  var tokenField = form.querySelector("input[name=csrf_token]");
  var pending = 0;

  function say(key) {
    if (status) { status.textContent = form.getAttribute("data-text-" + key) || ""; }
  }

  function valueOf(fieldset) {
    if (fieldset.getAttribute("data-type") === "checklist") {
      return Array.prototype.map.call(fieldset.querySelectorAll("input[type=checkbox]:checked"),
        function (box) { return box.value; });
    }
    var value = {};
    Array.prototype.forEach.call(fieldset.querySelectorAll("input[type=radio]:checked"), function (radio) {
      var item = radio.closest("[data-item]");
      if (item) { value[item.getAttribute("data-item")] = Number(radio.value); }
    });
    return value;
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("[data-question]");
    if (!fieldset) { return; }
    pending += 1;
    say("saving");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": tokenField ? tokenField.value : ""},
      body: JSON.stringify({question: fieldset.getAttribute("data-question"), value: valueOf(fieldset)}),
    }).then(function (response) {
      pending -= 1;
      if (!response.ok) { throw new Error(String(response.status)); }
      if (!pending) { say("saved"); }
    }).catch(function () {
      pending = Math.max(0, pending);
      say("failed");
    });
  });
})();
