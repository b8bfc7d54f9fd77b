// normsctl serve: reload when the site is rebuilt; show a failed rebuild.
(function () {
  "use strict";
  var version = null;
  function banner(text) {
    var b = document.getElementById("normsctl-error");
    if (!text) { if (b) b.parentNode.removeChild(b); return; }
    if (!b) {
      b = document.createElement("div");
      b.id = "normsctl-error";
      b.className = "banner error";
      b.setAttribute("role", "alert");
      document.body.insertBefore(b, document.body.firstChild);
    }
    b.textContent = "The handbook has errors, so this page shows the last good build.\n\n" + text;
  }
  function poll() {
    var url = "/__normsctl/poll" + (version === null ? "" : "?v=" + version);
    fetch(url, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (version !== null && s.version !== version && !s.error) { window.location.reload(); return; }
      version = s.version;
      banner(s.error);
      poll();
    }).catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
