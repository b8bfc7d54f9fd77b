// normsctl handbook: client-side search and small conveniences. No request leaves the
// site: the search index is a script beside the pages (browsers refuse fetch() from
// file://), loaded the first time someone searches. Results are built with textContent,
// never innerHTML.
(function () {
  "use strict";
  var input = document.getElementById("search-input");
  var box = document.getElementById("search-results");
  var root = input ? input.getAttribute("data-root") || "" : "";
  var loading = false;
  var pending = null;
  // The words this script writes come from the page (the site's table of words, as a JSON
  // element: the CSP forbids inline script, not data), so a translated handbook stays
  // translated here too.
  var W = {};
  try {
    var wordsEl = document.getElementById("site-words");
    if (wordsEl) W = JSON.parse(wordsEl.textContent) || {};
  } catch (e) { W = {}; }
  function word(key, fallback, values) {
    var text = typeof W[key] === "string" ? W[key] : fallback;
    for (var k in values || {}) text = text.split("{" + k + "}").join(String(values[k]));
    return text;
  }

  function loadIndex(then) {
    if (window.NORMSCTL_SEARCH) { then(); return; }
    pending = then;
    if (loading) return;
    loading = true;
    var s = document.createElement("script");
    s.src = input.getAttribute("data-index");
    s.onload = function () { if (pending) { var p = pending; pending = null; p(); } };
    s.onerror = function () { show([], word("search_unavailable", "The search index could not be loaded.")); };
    document.head.appendChild(s);
  }

  function words(q) {
    return q.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function score(p, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], s = 0;
      if (p.t.toLowerCase().indexOf(t) >= 0) s += 10;
      if (p.id.indexOf(t) >= 0) s += 6;
      if (p.g.join(" ").toLowerCase().indexOf(t) >= 0) s += 4;
      if (p.s.toLowerCase().indexOf(t) >= 0) s += 3;
      if (p.b.toLowerCase().indexOf(t) >= 0) s += 1;
      if (s === 0) return 0;
      total += s;
    }
    return total;
  }

  function search(q) {
    var terms = words(q);
    if (!terms.length) { hide(); return; }
    var hits = [];
    var all = window.NORMSCTL_SEARCH || [];
    for (var i = 0; i < all.length; i++) {
      var s = score(all[i], terms);
      if (s > 0) hits.push([s, all[i]]);
    }
    hits.sort(function (a, b) { return b[0] - a[0] || (a[1].t < b[1].t ? -1 : 1); });
    show(hits.slice(0, 15).map(function (h) { return h[1]; }), word("search_none", "No policy matches “{q}”.", { q: q }));
  }

  function show(results, emptyText) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!results.length) {
      var none = document.createElement("p");
      none.className = "r-none";
      none.textContent = emptyText;
      box.appendChild(none);
    } else {
      var ul = document.createElement("ul");
      results.forEach(function (p) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + "policies/" + encodeURIComponent(p.id) + ".html";
        var title = document.createElement("span");
        title.className = "r-title";
        title.textContent = p.t;
        var kind = document.createElement("span");
        kind.className = "r-kind";
        kind.textContent = word("kind_" + p.k, p.k) + (p.r ? " · " + word("search_retired", "retired") : "");
        var summary = document.createElement("span");
        summary.className = "r-summary";
        summary.textContent = p.s;
        a.appendChild(title); a.appendChild(kind); a.appendChild(summary);
        li.appendChild(a); ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = false;
  }

  function hide() { box.hidden = true; }

  if (input && box) {
    input.addEventListener("focus", function () { loadIndex(function () {}); });
    input.addEventListener("input", function () {
      var q = input.value;
      loadIndex(function () { search(q); });
    });
    input.form.addEventListener("submit", function (e) {
      e.preventDefault();
      var first = box.querySelector("a");
      if (first) window.location.href = first.href;
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        var first = box.querySelector("a");
        if (first) { first.focus(); e.preventDefault(); }
      } else if (e.key === "Escape") { hide(); }
    });
    box.addEventListener("keydown", function (e) {
      var links = Array.prototype.slice.call(box.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < links.length - 1) { links[i + 1].focus(); e.preventDefault(); }
      if (e.key === "ArrowUp") { (i > 0 ? links[i - 1] : input).focus(); e.preventDefault(); }
      if (e.key === "Escape") { hide(); input.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (!input.form.contains(e.target)) hide();
    });
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) { input.value = q; loadIndex(function () { search(q); }); }
  }

  // A link to a revision (#rev-...) opens its details.
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // The rule in force by the reader's clock (SPEC "Time"). A page carries the text in
  // force when it was built and every later landed text with the instant it comes into
  // force (data-from, data-until: RFC 3339, UTC). A static site is read long after it is
  // built, so the page applies the same rule as `show --at` to the reader's clock: the
  // texts whose time has gone are hidden, the one in force now comes first.
  function applyClock() {
    var now = Date.now();
    var timed = document.querySelectorAll(".timed[data-from]");
    for (var i = 0; i < timed.length; i++) {
      var el = timed[i];
      var from = Date.parse(el.getAttribute("data-from") || "");
      var until = Date.parse(el.getAttribute("data-until") || "");
      var state = !isNaN(until) && until <= now ? "past"
        : (isNaN(from) || from <= now ? "now" : "later");
      el.setAttribute("data-state", state);
      // Every wording for "now" inside it (the badge and the notice), and its own.
      var labels = Array.prototype.slice.call(el.querySelectorAll("[data-now]"));
      if (el.hasAttribute("data-now")) labels.push(el);
      if (state === "now") {
        for (var n = 0; n < labels.length; n++) labels[n].textContent = labels[n].getAttribute("data-now");
      }
    }
    var panels = document.querySelectorAll(".panel.upcoming");
    for (var j = 0; j < panels.length; j++) {
      if (!panels[j].querySelector("li:not([data-state='now']):not([data-state='past'])")) {
        panels[j].hidden = true;
      }
    }
    // The facts ("About this policy", the metric card) of the text in force now: a later
    // text's facts are hidden until its time comes (.later-facts), then shown instead.
    var built = document.getElementById("in-force");
    if (built && built.getAttribute("data-state") === "past") {
      var current = document.querySelector(".upcoming-text[data-state='now']");
      if (current) {
        built.parentNode.insertBefore(current, built);
        current.classList.add("in-force-now");
        var full = current.querySelector("details.full-text");
        if (full) full.open = true;
      }
    }
  }
  applyClock();

  // What applies to me: the index lists only the policies for the team and role picked
  // (a policy for everyone always stays). Works from file://: nothing is fetched.
  var who = document.getElementById("who");
  if (who) {
    var team = document.getElementById("who-team");
    var role = document.getElementById("who-role");
    var count = document.getElementById("who-count");
    var filter = function () {
      var wanted = [team && team.value, role && role.value].filter(function (v) { return v; });
      var items = document.querySelectorAll("li[data-applies]");
      var shown = 0;
      for (var i = 0; i < items.length; i++) {
        var ids = items[i].getAttribute("data-applies").split(" ");
        var fits = !wanted.length || ids.indexOf("everyone") >= 0 ||
          wanted.some(function (w) { return ids.indexOf(w) >= 0; });
        items[i].hidden = !fits;
        if (fits) shown++;
      }
      count.textContent = wanted.length
        ? word("who_count", "{shown} of {all} policies apply.", { shown: shown, all: items.length })
        : "";
    };
    if (team) team.addEventListener("change", filter);
    if (role) role.addEventListener("change", filter);
    who.addEventListener("submit", function (e) { e.preventDefault(); });
    who.hidden = false;
  }

})();
