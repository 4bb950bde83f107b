/* Discovery enhancements, no network: copy buttons on paper pages and the client-side
   filters of list pages (the map has static/map.js). Without JavaScript both stay hidden
   and the pages work as before. */
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

  // A copied link must work wherever it is pasted: a button a template wrote with a
  // site-relative data-copy-url has it resolved against this page's own address.
  function absolute(button, text) {
    var url = button.getAttribute("data-copy-url");
    if (!url || /^[a-z][a-z0-9+.-]*:/i.test(url)) return text;
    var resolved = new URL(button.getAttribute("data-copy-root") + url, location.href).href;
    return text.split(url).join(resolved);
  }

  var BIBTEX_ESCAPES = {
    "{": "\\{", "}": "\\}", "%": "\\%", "&": "\\&", "#": "\\#", "$": "\\$", "_": "\\_",
    "~": "\\textasciitilde{}", "^": "\\textasciicircum{}", "\\": "\\textbackslash{}"
  };

  /** A @misc entry keyed by the page's slug (the last part of its URL), the same as
      sitegen.render.bibtex writes (tests/test_discovery_browser.py compares the two). */
  function bibtexOf(title, url) {
    var slug = url.replace(/\/+$/, "").split("/").pop();
    var escaped = title.replace(/[{}%&#$_~^\\]/g, function (c) { return BIBTEX_ESCAPES[c]; });
    return "@misc{" + slug + ",\n  title = {{" + escaped + "}},\n  howpublished = {\\url{" + url + "}},\n}";
  }
  window.sitegenBibtex = bibtexOf;

  /** The page's address as a copied link gives it: data-copy-url when a template writes one
      (made absolute), else the canonical link (a site with a base_url), else this page's own
      URL without index.html, query or fragment. */
  function pageAddress(box) {
    var given = box.getAttribute("data-copy-url");
    if (given) {
      var root = /^[a-z][a-z0-9+.-]*:/i.test(given) ? "" : box.getAttribute("data-copy-root") || "";
      return new URL(root + given, location.href).href;
    }
    var canonical = document.querySelector("link[rel=canonical]");
    if (canonical && canonical.href) return canonical.href;
    return location.href.replace(/[?#].*$/, "").replace(/index\.html$/, "");
  }

  /** The copy buttons of a paper page: its title, a Markdown link and a BibTeX entry, from
      the <h1> and the page's address. */
  function makeCopyButtons(box) {
    var heading = document.querySelector(".paper h1");
    var title = heading ? heading.textContent : "";
    var url = pageAddress(box);
    var made = [
      ["Copy title", title, "title"],
      ["Copy Markdown link", "[" + title.replace(/([\\\[\]])/g, "\\$1") + "](" + url + ")", "Markdown link"],
      // A template may still write the entry into data-bibtex.
      ["Copy BibTeX", box.getAttribute("data-bibtex") || bibtexOf(title, url), "BibTeX entry"]
    ];
    made.forEach(function (spec) {
      var button = document.createElement("button");
      button.className = "button button-small";
      button.type = "button";
      button.textContent = spec[0];
      button.setAttribute("data-copy", spec[1]);
      button.setAttribute("data-copy-label", spec[2]);
      box.insertBefore(button, box.querySelector(".copy-status"));
    });
  }

  function setUpCopyButtons(box) {
    var status = box.querySelector(".copy-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      box.appendChild(status);
    }
    if (!box.querySelector("[data-copy]")) makeCopyButtons(box);
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

  /** A title as the filter reads it: lower case, accents dropped ("frechet" finds
      "Fréchet"), as search-engine.js's fold does (which also drops spacing accents). */
  function folded(text) {
    if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").normalize("NFC").toLowerCase();
  }

  // Each title folded once, not at each key typed (100k titles: ~30 ms a key).
  var foldedTitles = new Map();

  function foldedTitle(text) {
    var found = foldedTitles.get(text);
    if (found === undefined) foldedTitles.set(text, (found = folded(text)));
    return found;
  }

  /** Whether a card passes every filter that is set. The lines of a lean list (data-lean)
      carry no status, tags or dumps: those filters are left to the whole list's data. */
  function matches(card, state, needles, lean) {
    if (!lean) {
      if (state.status && card.getAttribute("data-status") !== state.status) return false;
      if (state.tag && words(card.getAttribute("data-tags") || "").indexOf(state.tag) < 0) return false;
      if (state.dump && words(card.getAttribute("data-dumps") || "").indexOf(state.dump) < 0) return false;
    }
    if (needles.length) {
      // A card's title is its .card-title; a line's (.rows) is its first link.
      var title = foldedTitle((card.querySelector(".card-title") || card.querySelector("a")).textContent);
      for (var i = 0; i < needles.length; i++) if (title.indexOf(needles[i]) < 0) return false;
    }
    return true;
  }

  // ------------------------------------------------------------ whole-list filtering

  // A list's cards as data (<list>/cards.js), loaded once by a <script> so that it works
  // from file:// too. Rows: [slug, title, excerpt, theme, status, tags, dumps] (slug "" where
  // site.js's sitegenSlugify(title) gives it), where theme,
  // tags and dumps index data.themes ([title, url]), data.tags and data.dumps ([slug, name, url]).
  var listData = null;
  var waiting = [];
  window.sitegenCards = function (data) {
    listData = data;
    waiting.splice(0).forEach(function (then) { then(); });
  };

  function loadList(url, then) {
    if (listData) { then(); return; }
    waiting.push(then);
    if (waiting.length > 1) return;
    var script = document.createElement("script");
    script.src = url;
    script.onerror = function () { waiting = []; };  // the filters keep to this page
    document.head.appendChild(script);
  }

  function rowMatches(row, state, needles) {
    if (state.status && row[4] !== state.status) return false;
    var has = function (indexes, table, slug) {
      return indexes.some(function (i) { return listData[table][i][0] === slug; });
    };
    if (state.tag && !has(row[5], "tags", state.tag)) return false;
    if (state.dump && !has(row[6], "dumps", state.dump)) return false;
    var title = foldedTitle(row[1]);
    for (var i = 0; i < needles.length; i++) if (title.indexOf(needles[i]) < 0) return false;
    return true;
  }

  /** A card for one row, made from the page's <template> (the same markup as the list's). */
  function cardOf(template, row, root, inTheme) {
    var card = template.content.firstElementChild.cloneNode(true);
    var theme = listData.themes[row[3]];
    var tags = row[5].map(function (i) { return listData.tags[i]; });
    var dumps = row[6].map(function (i) { return listData.dumps[i]; });
    card.setAttribute("data-status", row[4]);
    card.setAttribute("data-tags", tags.map(function (t) { return t[0]; }).join(" "));
    card.setAttribute("data-dumps", dumps.map(function (d) { return d[0]; }).join(" "));
    var link = card.querySelector(".card-title a");
    link.textContent = row[1];
    link.setAttribute("href", root + "papers/" + (row[0] || window.sitegenSlugify(row[1])) + "/");  // model/urls.py paper_url
    card.querySelector(".card-excerpt").textContent = row[2];
    var fill = function (selector, text, url) {
      var badge = card.querySelector(selector);
      if (!badge) return;
      badge.textContent = text;
      badge.setAttribute("href", root + url);
    };
    fill(".badge-theme", theme[0], theme[1]);
    var cross = card.querySelector(".badge-cross");
    var crossListed = !!(cross && inTheme && theme[1] !== inTheme);
    card.classList.toggle("card-cross", crossListed);
    if (crossListed) {
      fill(".badge-cross", "cross-listed from " + theme[0], theme[1]);
      cross.setAttribute("title", "Filed under " + theme[0] + ", also listed here");
    } else if (cross) {
      cross.remove();
    }
    var repeat = function (selector, items, text) {
      var model = card.querySelector(selector);
      if (!model) return;
      items.forEach(function (item) {
        var badge = model.cloneNode(true);
        badge.textContent = text(item);
        badge.setAttribute("href", root + item[2]);
        model.parentNode.insertBefore(badge, model);
      });
      model.remove();
    };
    repeat(".badge-dump", dumps, function (d) { return d[1]; });
    repeat(".badge-tag", tags, function (t) { return "#" + t[1]; });
    var status = card.querySelector(".badge-status");
    if (row[4]) {
      status.className = "badge badge-status status-" + row[4];
      status.textContent = row[4].replace(/-/g, " ");
    } else if (status) {
      status.remove();
    }
    return card;
  }

  var SHOWN = 200;  // cards made at a time for a whole-list filter

  function setUpFilters(form) {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".cards > li"));
    var status = form.querySelector(".filter-status");
    var total = cards.length;
    var typingTimer = null;
    var wholeUrl = form.getAttribute("data-cards");
    var template = document.getElementById("card-template");
    var pageList = document.querySelector(".cards");
    var lean = !!(pageList && pageList.hasAttribute("data-lean"));
    var results = null;
    var pagers = document.querySelectorAll(".pager");
    var choices = form.querySelector("select[data-choices]");
    form.hidden = false;

    /** Fill the dump filter's choices from the list's cards data (newest dump first), then go
        on. They are not in the page, so that a new dump leaves the list's older pages alone. */
    function withChoices(then) {
      if (!choices || choices.options.length > 1 || !wholeUrl) { then(); return; }
      loadList(wholeUrl, function () {
        if (choices.options.length <= 1) {
          listData.dumps.forEach(function (dump) {
            var option = document.createElement("option");
            option.value = dump[0];
            option.textContent = dump[1];
            choices.appendChild(option);
          });
        }
        then();
      });
    }
    var early = function () { withChoices(function () {}); };
    form.addEventListener("pointerenter", early);
    form.addEventListener("focusin", early);

    /** Show every match of the whole list (a batch at a time) in place of this page's cards. */
    function showWhole(state) {
      var needles = words(folded(state.text));
      var matched = listData.cards.filter(function (row) { return rowMatches(row, state, needles); });
      if (!results) {
        results = document.createElement("ol");
        results.className = "cards filter-results";
        pageList.parentNode.insertBefore(results, pageList.nextSibling);
      }
      results.textContent = "";
      Array.prototype.forEach.call(document.querySelectorAll(".filter-more"), function (b) { b.remove(); });
      var shown = 0;
      var more = document.createElement("button");
      more.type = "button";
      more.className = "button button-small filter-more";
      var grow = function () {
        var root = form.getAttribute("data-root") || "";
        var inTheme = form.getAttribute("data-in-theme") || "";
        matched.slice(shown, shown + SHOWN).forEach(function (row) {
          results.appendChild(cardOf(template, row, root, inTheme));
        });
        shown = Math.min(matched.length, shown + SHOWN);
        more.textContent = "Show " + Math.min(SHOWN, matched.length - shown) + " more";
        more.hidden = shown >= matched.length;
      };
      more.addEventListener("click", grow);
      results.parentNode.insertBefore(more, results.nextSibling);
      grow();
      pageList.hidden = true;
      Array.prototype.forEach.call(pagers, function (p) { p.hidden = true; });
      var all = listData.cards.length;
      status.textContent = matched.length
        ? matched.length + " of " + all + " papers match."
        : "No paper in the whole list matches these filters.";
    }

    /** Back to this page's own cards. */
    function hideWhole() {
      if (results) { results.remove(); results = null; }
      Array.prototype.forEach.call(document.querySelectorAll(".filter-more"), function (b) { b.remove(); });
      pageList.hidden = false;
      Array.prototype.forEach.call(pagers, function (p) { p.hidden = false; });
    }

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

    /** Show matching cards (this page's at once, then the whole list's), and carry the
        filters along the pager links. */
    function apply(state) {
      var needles = words(folded(state.text));
      var shown = 0;
      cards.forEach(function (card) {
        var ok = matches(card, state, needles, lean);
        card.hidden = !ok;
        if (ok) shown++;
      });
      var query = queryOf(state);
      if (!query || !wholeUrl || !template || !pageList) hideWhole();
      status.textContent = query
        ? (shown ? "Showing " + shown + " of " + total + " papers on this page." : "No papers on this page match these filters.")
        : "";
      if (query && wholeUrl && template && pageList) {
        loadList(wholeUrl, function () {
          if (queryOf(current()) === query) showWhole(state);
        });
      }
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
      var show = function () { fill(state); apply(current()); };
      if (state.dump) withChoices(show); else show();
    }
    window.addEventListener("popstate", restore);
    window.addEventListener("hashchange", restore);
    restore();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-copy-buttons]"), setUpCopyButtons);
  Array.prototype.forEach.call(document.querySelectorAll("[data-filters]"), setUpFilters);
})();
