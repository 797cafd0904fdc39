// coord dashboard: live panels. Every event on /dashboard/events re-reads the panels once
// (events that arrive during a read are folded into one more read); no timer polls anything.
// Without this script the page is complete as served.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var state = document.getElementById("live-state");
  if (!main || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var reading = false;
  var again = false;

  function say(text) { if (state) state.textContent = text; }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var focused = document.activeElement && document.activeElement.id;
    fresh.querySelectorAll("[data-live]").forEach(function (region) {
      var old = document.getElementById(region.id);
      if (old) old.replaceWith(document.adoptNode(region));
    });
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  function refresh() {
    if (reading) { again = true; return; }
    reading = true;
    var url = new URL(window.location.href);
    url.searchParams.set("partial", "panels");
    url.searchParams.delete("done");
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (answer.status === 401) { window.location.assign("/dashboard"); return ""; }
        return answer.ok ? answer.text() : "";
      })
      .then(function (html) { if (html) swap(html); })
      .catch(function () { say("update failed; reload the page"); })
      .finally(function () {
        reading = false;
        if (again) { again = false; refresh(); }
      });
  }

  var stream = new EventSource(main.getAttribute("data-events"));
  stream.onopen = function () { say("live"); refresh(); };
  stream.onmessage = refresh;
  stream.onerror = function () { say("reconnecting…"); };
})();
