/* The studio's module editor: a Markdown toolbar, the live preview, and autosave.
 *
 * Progressive enhancement: without this script the form still saves with its Save button (and "add a question"
 * posts back). With it:
 * - the toolbar inserts Markdown at the cursor (Ctrl/Cmd+B and +I in the text work too);
 * - the preview beside the editor is rendered by the server with the learners' renderer, ~600 ms after typing stops;
 * - the whole form is saved ~2 s after the last change and when the page is hidden; the reply's revision is kept,
 *   so the next save is made from it. A conflict (409: someone else saved) shows a banner and stops autosaving;
 *   a failed save (network, expired session or CSRF token) keeps a copy in localStorage and says so; on load, a
 *   local copy newer than the saved module is offered for restoring.
 * - a double click on Save sends the form once, and a Save pressed during an autosave waits for it.
 * No inline script or style (CSP): the texts come translated in the form's data-text-* attributes.
 */
(function () {
  "use strict";

  var form = document.getElementById("editor");
  if (!form) { return; }
  var mode = form.getAttribute("data-mode");
  var area = document.getElementById(mode === "source" ? "source" : "body");
  var revisionInput = form.querySelector("input[name=base_revision]");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var statusBox = document.getElementById("save-status");
  var preview = document.getElementById("preview");
  var previewStatus = document.getElementById("preview-status");
  var storageKey = form.getAttribute("data-storage-key");
  var SAVE_DELAY = 2000, PREVIEW_DELAY = 600;

  function text(name) { return form.getAttribute("data-text-" + name) || ""; }

  function headers() {
    var h = {"Content-Type": "application/json", "Accept": "application/json"};
    if (csrfInput) { h["X-CSRFToken"] = csrfInput.value; }
    return h;
  }

  function say(message, isError) {
    if (!statusBox) { return; }
    statusBox.textContent = message;
    statusBox.classList.toggle("is-error", !!isError);
  }

  /* --- the toolbar ------------------------------------------------------------------------------------------ */

  function insert(before, after, placeholder, linePrefix) {
    var start = area.selectionStart, end = area.selectionEnd, value = area.value;
    var chosen = value.slice(start, end) || placeholder || "";
    var replacement;
    if (linePrefix) {
      var lineStart = value.lastIndexOf("\n", start - 1) + 1;
      var selected = value.slice(lineStart, end) || placeholder || "";
      replacement = selected.split("\n").map(function (line) { return linePrefix + line; }).join("\n");
      area.setRangeText(replacement, lineStart, end, "select");
    } else {
      replacement = before + chosen + after;
      area.setRangeText(replacement, start, end, "end");
      area.setSelectionRange(start + before.length, start + before.length + chosen.length);
    }
    area.focus();
    area.dispatchEvent(new Event("input", {bubbles: true}));
  }

  var ACTIONS = {
    heading: function () { insert("", "", "", "## "); },
    bold: function () { insert("**", "**", ""); },
    italic: function () { insert("*", "*", ""); },
    link: function (b) { insert("[", "](https://)", b.getAttribute("data-placeholder")); },
    image: function (b) { insert("![", "](../assets/)", b.getAttribute("data-placeholder")); },
    list: function (b) { insert("", "", b.getAttribute("data-placeholder"), "- "); },
  };

  var toolbar = form.querySelector(".md-toolbar");
  if (toolbar && area) {
    toolbar.hidden = false;
    var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button[data-md]"));
    buttons.forEach(function (button) {
      button.addEventListener("click", function () { ACTIONS[button.getAttribute("data-md")](button); });
    });
    toolbar.addEventListener("keydown", function (event) {  // arrow keys move along the toolbar
      var index = buttons.indexOf(document.activeElement);
      if (index < 0 || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) { return; }
      event.preventDefault();
      buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length].focus();
    });
    area.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
      var key = event.key.toLowerCase();
      if (key === "b" || key === "i") {
        event.preventDefault();
        ACTIONS[key === "b" ? "bold" : "italic"]();
      }
    });
  }

  /* --- going to a problem's line ---------------------------------------------------------------------------- */

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-go-line]") : null;
    if (!link || !area) { return; }
    event.preventDefault();
    var line = parseInt(link.getAttribute("data-go-line"), 10) || 1;
    var lines = area.value.split("\n"), start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    area.focus();
    area.setSelectionRange(start, end);
    var height = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 3) * height);
  });

  /* --- live preview ----------------------------------------------------------------------------------------- */

  var previewTimer = null, previewSeq = 0;

  function renderPreview() {
    if (!preview || !area) { return; }
    var seq = ++previewSeq;
    var payload = mode === "source" ? {source: area.value} : {body: area.value};
    previewStatus.textContent = text("rendering");
    previewStatus.classList.remove("is-error");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", headers: headers(), body: JSON.stringify(payload), credentials: "same-origin",
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") >= 0;
      return (json ? response.json() : Promise.resolve({})).then(function (data) {
        return {status: response.status, data: data, redirected: response.redirected};
      });
    }).then(function (result) {
      if (seq !== previewSeq) { return; }
      if (result.status === 200 && typeof result.data.html === "string") {
        preview.innerHTML = result.data.html;  // sanitised by the learners' renderer on the server
        previewStatus.textContent = "";
      } else {
        previewStatus.textContent = result.data.error || text("preview-failed");
        previewStatus.classList.add("is-error");
      }
    }).catch(function () {
      if (seq !== previewSeq) { return; }
      previewStatus.textContent = text("preview-failed");
      previewStatus.classList.add("is-error");
    });
  }

  if (area) {
    area.addEventListener("input", function () {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(renderPreview, PREVIEW_DELAY);
    });
    renderPreview();
  }

  /* --- autosave --------------------------------------------------------------------------------------------- */

  var dirty = false, stopped = false, inFlight = null, saveTimer = null, submitting = false;

  function fields() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "base_revision" && typeof value === "string") { pairs.push([name, value]); }
    });
    return pairs;
  }

  function payload() {
    var body = {path: form.getAttribute("data-path"), base_revision: parseInt(revisionInput.value, 10)};
    if (mode === "source") { body.source = area.value; } else { body.fields = fields(); }
    return body;
  }

  function keepLocalCopy() {
    try {
      var copy = payload();
      copy.saved_at = Date.now();
      window.localStorage.setItem(storageKey, JSON.stringify(copy));
      return true;
    } catch (e) {
      return false;
    }
  }

  function dropLocalCopy() {
    try { window.localStorage.removeItem(storageKey); } catch (e) { /* storage may be off */ }
  }

  /* The fields the server could not save (their names from the form's errors) are marked invalid. */
  function markInvalid(errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-autosave-invalid]"), function (element) {
      element.removeAttribute("aria-invalid");
      element.removeAttribute("data-autosave-invalid");
    });
    Object.keys(errors).forEach(function (name) {
      var element = form.elements.namedItem(name);
      if (element && element.setAttribute) {
        element.setAttribute("aria-invalid", "true");
        element.setAttribute("data-autosave-invalid", "");
      }
    });
  }

  function save(keepalive) {
    if (stopped || !dirty) { return Promise.resolve(); }
    if (inFlight) { return inFlight.then(function () { return save(keepalive); }); }
    dirty = false;
    say(text("saving"));
    inFlight = fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", headers: headers(), body: JSON.stringify(payload()), credentials: "same-origin",
      keepalive: !!keepalive,
    }).then(function (response) {
      var json = !response.redirected && (response.headers.get("Content-Type") || "").indexOf("application/json") >= 0;
      return (json ? response.json() : Promise.resolve(null)).then(function (data) {
        return {status: response.status, data: data};
      });
    }).then(function (result) {
      if (result.status === 200 && result.data && result.data.revision) {
        revisionInput.value = result.data.revision;
        markInvalid({});
        if (!dirty) { dropLocalCopy(); say(text("saved")); }
      } else if (result.status === 409 && result.data) {
        stopped = true;
        keepLocalCopy();
        var banner = document.getElementById("autosave-conflict");
        if (banner) { banner.hidden = false; }
        say((result.data && result.data.error) || "", true);
      } else if (result.status === 404) {
        stopped = true;
        say(text("gone"), true);
      } else if (result.status === 422 && result.data) {
        dirty = true;
        markInvalid(result.data.fields || {});
        say((result.data.error || text("invalid")), true);
      } else {
        dirty = true;
        keepLocalCopy();
        say(text("failed"), true);
      }
    }).catch(function () {
      dirty = true;
      keepLocalCopy();
      say(text("failed"), true);
    }).then(function () { inFlight = null; });
    return inFlight;
  }

  function changed() {
    if (submitting) { return; }
    dirty = true;
    if (!stopped) { say(text("unsaved")); }
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () { save(false); }, SAVE_DELAY);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  function onHide() {
    if (dirty && !submitting && !stopped) {
      keepLocalCopy();  // in case the save below does not arrive
      clearTimeout(saveTimer);
      save(true);
    }
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { onHide(); } });
  window.addEventListener("pagehide", onHide);

  /* Save (or "add a question"): once, after any autosave under way, from the newest revision. */
  form.addEventListener("submit", function (event) {
    if (submitting) { event.preventDefault(); return; }
    clearTimeout(saveTimer);
    if (inFlight) {
      event.preventDefault();
      var submitter = event.submitter;
      inFlight.then(function () { dirty = false; form.requestSubmit(submitter || undefined); });
      return;
    }
    submitting = true;
    var saveButton = event.submitter && event.submitter.hasAttribute("data-save") ? event.submitter : null;
    if (saveButton) { setTimeout(function () { saveButton.disabled = true; }, 0); }
  });

  /* Leaving for the whole-file editor: save first. */
  Array.prototype.forEach.call(form.querySelectorAll("a[data-leave]"), function (link) {
    link.addEventListener("click", function (event) {
      if (!dirty || stopped) { return; }
      event.preventDefault();
      clearTimeout(saveTimer);
      save(false).then(function () { if (!dirty) { window.location.href = link.href; } });
    });
  });

  /* A form shown again by the server without saving it (a question or partner row added, a value to correct):
     what it holds is not saved yet. */
  if (form.getAttribute("data-unsaved") === "true") { changed(); }

  /* --- a local copy from an earlier visit ------------------------------------------------------------------- */

  function readLocalCopy() {
    try { return JSON.parse(window.localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }

  function sameAsForm(copy) {
    return JSON.stringify(mode === "source" ? copy.source : copy.fields) ===
      JSON.stringify(mode === "source" ? area.value : fields());
  }

  function restore(copy) {
    // Saved from the revision the copy was made on: if someone saved since, that is a conflict, not an overwrite.
    if (copy.base_revision) { revisionInput.value = copy.base_revision; }
    if (mode === "source") {
      if (typeof copy.source === "string") { area.value = copy.source; }
    } else if (Array.isArray(copy.fields)) {
      var byName = {};
      copy.fields.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
      Array.prototype.forEach.call(form.elements, function (element) {
        if (!element.name || element.name === "csrf_token" || element.name === "base_revision") { return; }
        if (element.type === "checkbox" || element.type === "radio") {
          element.checked = (byName[element.name] || []).indexOf(element.value) >= 0;
        } else if (byName[element.name] && element.type !== "submit" && element.tagName !== "BUTTON") {
          element.value = byName[element.name][0];
        }
      });
    }
    renderPreview();
    changed();
  }

  var copy = readLocalCopy();
  var savedAt = Date.parse(form.getAttribute("data-saved-at") || "") || 0;
  var banner = document.getElementById("restore-banner");
  if (copy && banner && copy.saved_at > savedAt && !sameAsForm(copy)) {
    banner.hidden = false;
    document.getElementById("restore-local").addEventListener("click", function () {
      restore(copy);
      banner.hidden = true;
    });
    document.getElementById("discard-local").addEventListener("click", function () {
      dropLocalCopy();
      banner.hidden = true;
    });
  } else if (copy && copy.saved_at <= savedAt) {
    dropLocalCopy();  // the saved module is newer
  }
})();
