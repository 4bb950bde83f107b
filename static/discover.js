/* Discovery enhancements, no network: copy buttons on paper pages and the client-side
   filters of list pages. Without JavaScript both stay hidden and the pages work as before. */
(function () {
  "use strict";

  // ------------------------------------------------------------ copy buttons

  /** Copy text with a hidden textarea and execCommand: works on file:// and old browsers. */
  function copyByCommand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    document.body.removeChild(area);
    return copied;
  }

  /** Copy text; resolves true when it reached the clipboard. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyByCommand(text); }
      );
    }
    return Promise.resolve(copyByCommand(text));
  }

  // A copied link must work wherever it is pasted: without a base_url the page's URL is
  // site-relative (data-copy-url), so it is resolved against this page's own address.
  function absolute(button, text) {
    var url = button.getAttribute("data-copy-url");
    if (!url || /^[a-z][a-z0-9+.-]*:/i.test(url)) return text;
    var resolved = new URL(button.getAttribute("data-copy-root") + url, location.href).href;
    return text.split(url).join(resolved);
  }

  function setUpCopyButtons(box) {
    var status = box.querySelector(".copy-status");
    var timer = null;
    box.hidden = false;
    Array.prototype.forEach.call(box.querySelectorAll("[data-copy]"), function (button) {
      var label = button.textContent;
      button.addEventListener("click", function () {
        var text = absolute(button, button.getAttribute("data-copy"));
        copyText(text).then(function (copied) {
          Array.prototype.forEach.call(box.querySelectorAll("[data-copy]"), function (b) {
            b.textContent = b === button && copied ? "Copied" : b.getAttribute("data-label");
          });
          button.classList.toggle("is-copied", copied);
          status.textContent = copied
            ? "Copied " + button.getAttribute("data-copy-label") + " to the clipboard."
            : "Could not copy; select the text and copy it by hand: " + text;
          clearTimeout(timer);
          timer = setTimeout(function () {
            button.textContent = label;
            button.classList.remove("is-copied");
          }, 2000);
        });
      });
      button.setAttribute("data-label", label);
    });
  }

  // ------------------------------------------------------------ list filters

  var FIELDS = ["status", "tag", "dump", "text"];

  /** The filter state in a URL: query string first, else the hash (file:// fallback). */
  function readState() {
    var source = location.search.length > 1 ? location.search : location.hash.replace(/^#/, "?");
    var params = new URLSearchParams(source);
    var state = {};
    FIELDS.forEach(function (name) { state[name] = (params.get(name) || "").trim(); });
    return state;
  }

  /** The query string of a state ("" when no filter is set). */
  function queryOf(state) {
    var params = new URLSearchParams();
    FIELDS.forEach(function (name) { if (state[name]) params.set(name, state[name]); });
    var query = params.toString();
    return query ? "?" + query : "";
  }

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(Boolean);
  }

  /** Whether a card passes every filter that is set. */
  function matches(card, state, needles) {
    if (state.status && card.getAttribute("data-status") !== state.status) return false;
    if (state.tag && words(card.getAttribute("data-tags") || "").indexOf(state.tag) < 0) return false;
    if (state.dump && words(card.getAttribute("data-dumps") || "").indexOf(state.dump) < 0) return false;
    if (needles.length) {
      var title = card.querySelector(".card-title").textContent.toLowerCase();
      for (var i = 0; i < needles.length; i++) if (title.indexOf(needles[i]) < 0) return false;
    }
    return true;
  }

  function setUpFilters(form) {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".cards > .card"));
    var status = form.querySelector(".filter-status");
    var total = cards.length;
    var typingTimer = null;
    form.hidden = false;

    /** Put a state into the form (unknown choices fall back to "Any"). */
    function fill(state) {
      FIELDS.forEach(function (name) {
        var field = form.elements[name];
        if (!field) return;
        field.value = state[name];
        if (field.value !== state[name]) field.value = "";
      });
    }

    /** The state the form shows. */
    function current() {
      var state = {};
      FIELDS.forEach(function (name) {
        var field = form.elements[name];
        state[name] = field ? field.value.trim() : "";
      });
      return state;
    }

    /** Show matching cards, count them, and carry the filters along the pager links. */
    function apply(state) {
      var needles = words(state.text);
      var shown = 0;
      cards.forEach(function (card) {
        var ok = matches(card, state, needles);
        card.hidden = !ok;
        if (ok) shown++;
      });
      var query = queryOf(state);
      status.textContent = query
        ? (shown ? "Showing " + shown + " of " + total + " papers on this page." : "No papers on this page match these filters.")
        : "";
      form.classList.toggle("is-active", !!query);
      Array.prototype.forEach.call(document.querySelectorAll(".pager a[href]"), function (a) {
        var href = a.getAttribute("href").replace(/[?#].*$/, "");
        a.setAttribute("href", href + query);
      });
    }

    /** Record the state in the URL: a new history entry, or replace while typing. */
    function record(state, replace) {
      var query = queryOf(state);
      var url = location.pathname + query;
      if (url === location.pathname + location.search && !location.hash) return;
      try {
        history[replace ? "replaceState" : "pushState"](null, "", url);
      } catch (e) {
        // Some browsers refuse history URLs on file://; the hash still works there.
        if (replace) location.replace("#" + query.slice(1)); else location.hash = query.slice(1);
      }
    }

    function changed(replace) {
      var state = current();
      apply(state);
      record(state, replace);
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); changed(false); });
    form.addEventListener("change", function (event) {
      if (event.target.name !== "text") changed(false);
    });
    form.addEventListener("input", function (event) {
      if (event.target.name !== "text") return;
      apply(current());
      clearTimeout(typingTimer);
      // One history entry per pause in typing, not per key.
      var replacing = !!readState().text;
      typingTimer = setTimeout(function () { record(current(), replacing); }, 400);
    });
    form.addEventListener("reset", function (event) {
      event.preventDefault();
      fill({ text: "", status: "", tag: "", dump: "" });
      changed(false);
    });
    function restore() {
      var state = readState();
      fill(state);
      apply(current());
    }
    window.addEventListener("popstate", restore);
    window.addEventListener("hashchange", restore);
    restore();
  }

  // ------------------------------------------------------------ map legend

  /** Hovering or focusing a legend entry lights its theme's points and dims the rest. */
  function setUpLegend(legend) {
    var map = document.querySelector("svg.map");
    if (!map) return;
    function light(slug) {
      map.classList.toggle("is-dimmed", !!slug);
      Array.prototype.forEach.call(map.querySelectorAll(".map-group"), function (group) {
        group.classList.toggle("is-lit", group.getAttribute("data-theme") === slug);
      });
    }
    Array.prototype.forEach.call(legend.querySelectorAll("li[data-theme]"), function (item) {
      var slug = item.getAttribute("data-theme");
      item.addEventListener("mouseenter", function () { light(slug); });
      item.addEventListener("mouseleave", function () { light(""); });
      item.addEventListener("focusin", function () { light(slug); });
      item.addEventListener("focusout", function () { light(""); });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-copy-buttons]"), setUpCopyButtons);
  Array.prototype.forEach.call(document.querySelectorAll(".map-legend"), setUpLegend);
  Array.prototype.forEach.call(document.querySelectorAll("[data-filters]"), setUpFilters);
})();
