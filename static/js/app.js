// What htmx does not do itself: the CSRF header, focus after swaps, the resend countdown and
// WebOTP. Everything here is an enhancement: each page works without it.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function focusFirst(root) {
    var target = root.querySelector("[data-error-summary]") || root.querySelector("[data-focus]") || root.querySelector("h1");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  // "You can ask for a new code in N seconds": count down (its last second in the singular),
  // then enable the resend button.
  function startCountdowns(root) {
    root.querySelectorAll("[data-countdown]").forEach(function (note) {
      var left = parseInt(note.getAttribute("data-countdown"), 10) || 0;
      var form = note.closest("form");
      var button = form && form.querySelector("[data-resend]");
      var seconds = note.querySelector("[data-seconds]");
      if (!button || left <= 0) return;
      button.disabled = true;
      var timer = window.setInterval(function () {
        left -= 1;
        if (seconds) seconds.textContent = String(left);
        if (left === 1 && note.hasAttribute("data-one-second")) {
          note.textContent = note.getAttribute("data-one-second");
        }
        if (left <= 0) {
          window.clearInterval(timer);
          button.disabled = false;
          note.textContent = note.getAttribute("data-ready") || "";
          var status = form.querySelector("[data-countdown-status]");
          if (status) status.textContent = note.textContent;
        }
      }, 1000);
    });
  }

  // Where the browser supports WebOTP, the code from the SMS (its "@host #code" line) fills in.
  function offerWebOtp(root) {
    if (!("OTPCredential" in window)) return;
    var input = root.querySelector('input[autocomplete="one-time-code"]');
    if (!input || !input.form) return;
    var abort = new AbortController();
    input.form.addEventListener("submit", function () { abort.abort(); });
    navigator.credentials.get({ otp: { transport: ["sms"] }, signal: abort.signal })
      .then(function (otp) {
        if (!otp || !otp.code) return;
        input.value = otp.code;
        input.form.requestSubmit();
      })
      .catch(function () { /* the customer types the code instead */ });
  }

  function enhance(root) {
    startCountdowns(root);
    offerWebOtp(root);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // After a whole-step swap, move focus to the new step's heading (or its error summary). A
  // whole page sent to htmx (an error, or where a form's answer led) replaces the body.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    // The agent's search is swapped whole: focus its error summary or the results' heading.
    if (target.id === "agent-search") {
      var search = document.getElementById("agent-search");
      if (search) focusFirst(search);
      return;
    }
    if (target.id !== "main" && target !== document.body) return;
    var main = document.getElementById("main") || target;
    focusFirst(main);
    enhance(main);
  });

  // The language links come back to the page shown. htmx swaps only the main region, so when
  // it puts another page's address in the history, the links are told that address.
  function pointLanguageLinksHere() {
    var here = window.location.pathname + window.location.search;
    document.querySelectorAll(".masthead a[hreflang]").forEach(function (link) {
      var url = new URL(link.href);
      url.searchParams.set("next", here);
      link.href = url.pathname + url.search;
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", pointLanguageLinksHere);
  document.addEventListener("htmx:replacedInHistory", pointLanguageLinksHere);

  // A link in the error summary goes to its field with the field's label (a group's legend)
  // in view: people need to read what the field asks. A group of choices focuses its chosen
  // (or first) choice.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    var target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    var field = target, caption;
    if (target.tagName === "FIELDSET") {
      field = target.querySelector("input:checked") ||
        target.querySelector("input:not([type=hidden]):not([disabled])") || target;
      caption = target.querySelector("legend");
    } else if (target.labels && target.labels.length) {
      caption = target.labels[0];
    }
    event.preventDefault();
    (caption || target).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  // A page loaded whole: its error summary, else a message about what just happened (a flash
  // after a redirect), takes focus, as after a swap; a screen reader reads it first.
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("[data-error-summary]") || document.querySelector("main [data-focus]");
    if (first) first.focus();
    enhance(document);
  });
})();
