// renkei: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) {
      summary.focus();
      return true;
    }
    return false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
  });
  // An action on the case page answers 422 / 403 / 409 with the page and its errors in the form that failed
  // (429: the public form's rate limit): swap it in like a success so the errors are shown where they belong.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 403 || status === 409 || status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var caseBody = document.getElementById("case-body");
    if (!caseBody) {
      focusErrorSummary(event.target);
      return;
    }
    // The case page: htmx replaced #case-body; focus the failed form's errors, or else the success message.
    if (focusErrorSummary(caseBody)) {
      return;
    }
    var flash = document.getElementById("case-flash");
    if (flash && flash.textContent.trim()) {
      flash.focus();
    }
  });
})();
