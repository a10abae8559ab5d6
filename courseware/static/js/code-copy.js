/* Copy buttons on the code blocks of a module (<div class="code-block"> from content/code.py).
 *
 * Progressive enhancement: without script, or without the Clipboard API, the blocks are plain text to select. The
 * button's texts come translated in data-text-* attributes of this script's own tag (public/module.html); the
 * "Copied" status is announced through an aria-live region next to the button, both in the block's header (its
 * language label). No inline script or style (CSP). Each <pre> is focusable already (content/code.py), so keyboard
 * users can scroll a wide block sideways.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var texts = { copy: "Copy", copied: "Copied", failed: "Could not copy", label: "Copy the code" };
  if (script) {
    Object.keys(texts).forEach(function (key) {
      var given = script.getAttribute("data-text-" + key);
      if (given) { texts[key] = given; }
    });
  }

  function setUp(block) {
    var pre = block.querySelector("pre");
    var code = block.querySelector("pre code") || pre;
    if (!pre || !code) { return; }
    if (!navigator.clipboard || !navigator.clipboard.writeText) { return; }
    var bar = document.createElement("div");
    bar.className = "code-tools";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy";
    button.textContent = texts.copy;
    button.setAttribute("aria-label", texts.label);
    var status = document.createElement("span");
    status.className = "code-status";
    status.setAttribute("aria-live", "polite");
    status.setAttribute("role", "status");
    var timer = null;
    function show(text) {
      status.textContent = text;
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { status.textContent = ""; }, 2500);
    }
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent.replace(/\n$/, "")).then(
        function () { show(texts.copied); },
        function () { show(texts.failed); }
      );
    });
    bar.appendChild(status);
    bar.appendChild(button);
    var label = block.querySelector(".code-label");
    if (!label) {  // a block without a language gets an empty header for the button
      label = document.createElement("div");
      label.className = "code-label";
      block.insertBefore(label, block.firstChild);
    }
    label.appendChild(bar);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".prose .code-block"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
