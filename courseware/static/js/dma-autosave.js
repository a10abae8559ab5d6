/* Digital maturity: saves each question as soon as it is answered (templates/firm/maturity_part.html).
 *
 * Progressive enhancement: the form works without this script ("Save and continue" posts the whole part). With it,
 * every change posts that one question as JSON, with the page's CSRF token in the X-CSRFToken header, so a closed
 * tab loses at most the answer being given. An answer that could not be sent (no connection, or the server did not
 * answer) is kept and sent again when the browser is back online, and every few seconds until it is saved; one the
 * server refused is not. The status line says "Saving…", "Saved" or that something is not saved yet.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave");
  var status = form.querySelector(".dma-status");
  var tokenField = form.querySelector("input[name=csrf_token]");
  var RETRY_MS = 5000;
  var pending = 0;  // saves on their way
  var unsent = {};  // question -> value not saved for want of a connection: sent again
  var refused = false;  // the server refused an answer since the last "Saved"
  var retryTimer = null;

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

  function retryLater() {
    if (!retryTimer) { retryTimer = window.setTimeout(sendUnsent, RETRY_MS); }
  }

  function sendUnsent() {
    if (retryTimer) { window.clearTimeout(retryTimer); }
    retryTimer = null;
    Object.keys(unsent).forEach(function (question) { save(question, unsent[question]); });
  }

  function save(question, value) {
    unsent[question] = value;
    pending += 1;
    say("saving");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": tokenField ? tokenField.value : ""},
      body: JSON.stringify({question: question, value: value}),
    }).then(function (response) {
      if (response.status >= 500) { throw new Error(String(response.status)); }  // try again later
      if (unsent[question] === value) { delete unsent[question]; }  // a newer answer may be on its way
      if (!response.ok) { refused = true; }
    }).catch(function () {
      retryLater();
    }).then(function () {
      pending -= 1;
      if (pending) { return; }
      var unsaved = refused || Object.keys(unsent).length > 0;
      say(unsaved ? "failed" : "saved");
      refused = false;
    });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("[data-question]");
    if (fieldset) { save(fieldset.getAttribute("data-question"), valueOf(fieldset)); }
  });
  window.addEventListener("online", sendUnsent);
})();
