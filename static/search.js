/* sitegen search UI: the header box (instant results) and the search/ page.
 *
 * Data is staged (see sitegen/search.py): search/titles.js first, which gives a
 * title-only index for the first results; then the head of the full index (and,
 * per query, the shards holding its words) in the
 * background (a Worker over http(s); <script> chunks on the main thread on
 * file://); snippet text per chunk of papers, on demand. A large site's titles.js
 * has no titles: no title stage, and the hits' titles load per chunk (names-NNN).
 * Every data file is a
 * classic script assigning into self.SITEGEN_SEARCH, so all of it works from disk.
 * User text only ever reaches the page through textContent.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var ROOT = new URL((script && script.getAttribute("data-root")) || "./", location.href);
  var STATIC = new URL("static/", ROOT);
  var DATA = new URL("search/", ROOT);
  var FILE = location.protocol === "file:";
  var Engine = null; // static/search-engine.js, loaded with the search data (see loadEngine)
  var store = (self.SITEGEN_SEARCH = self.SITEGEN_SEARCH || {});
  var DROPDOWN_HITS = 8;
  var PAGE_HITS = 20; // results page: hits per page ("Show more" adds the next)

  /* ---- loading ---------------------------------------------------------- */

  var scripts = new Map();

  /** Load a classic script once; resolves when it has run. */
  function loadScript(url) {
    var key = String(url);
    if (!scripts.has(key)) {
      scripts.set(key, new Promise(function (resolve, reject) {
        var el = document.createElement("script");
        el.src = key;
        el.async = true;
        el.onload = function () { resolve(); };
        el.onerror = function () { scripts.delete(key); reject(new Error("could not load " + key)); };
        document.head.appendChild(el);
      }));
    }
    return scripts.get(key);
  }

  var state = {
    manifest: null, titleSearcher: null,
    full: null, // {query(query, options) -> Promise<result>} once the full index is ready
    fullFailed: false, texts: new Map(), names: new Map(), worker: null,
  };
  var titlesPromise = null;
  var titlesUrl = new URL("titles.js", DATA);
  var refreshed = false;
  var listeners = [];

  /**
   * Take a titles.js manifest as the current one: titles, themes, the title index.
   * A large site's has no titles: no title stage, and the hits' titles load by chunk.
   */
  function adopt(manifest) {
    state.manifest = manifest;
    state.titleSearcher = manifest.docs ? Engine.openTitles(manifest) : null;
    state.texts = new Map();
    state.names = new Map();
  }

  /** Show which stage answers (tests and CSS read it): the titles, if there is a title stage. */
  function markTitleStage() {
    if (!state.full && state.titleSearcher) {
      document.documentElement.setAttribute("data-search-index", "titles");
    }
  }

  /**
   * lunr and the query engine (60 KB), loaded with the first search data rather than
   * with every page: most page views never search.
   */
  function loadEngine() {
    return loadScript(new URL("vendor/lunr.min.js", STATIC))
      .then(function () { return loadScript(new URL("search-engine.js", STATIC)); })
      .then(function () { Engine = self.SitegenSearchEngine; });
  }

  /** Stage one: the titles and the title index; starts stage two in the background. */
  function loadTitles() {
    if (!titlesPromise) {
      titlesPromise = Promise.all([loadEngine(), loadScript(titlesUrl)]).then(function () {
        adopt(store.titles);
        markTitleStage();
        setTimeout(loadFull, 0);
      });
    }
    return titlesPromise;
  }

  /**
   * A data file failed to load: the cached titles.js may be older than the site
   * (its chunk names are gone). Load titles.js once more past the HTTP cache; with
   * new names, start over from it. Resolves to whether the names changed.
   */
  function refresh() {
    if (refreshed || FILE) return Promise.resolve(false);
    refreshed = true;
    var old = state.manifest;
    delete store.titles;
    titlesUrl = new URL("titles.js?v=" + Date.now(), DATA);
    return loadScript(titlesUrl).then(function () {
      if (store.titles.index.join() === old.index.join()) return false;
      if (state.worker) state.worker.terminate();
      state.full = null;
      adopt(store.titles);
      document.documentElement.removeAttribute("data-search-index");
      markTitleStage();
      setTimeout(loadFull, 0);
      listeners.forEach(function (fn) { fn(); });
      return true;
    }, function () { return false; });
  }

  function fullReady(searcher) {
    state.full = searcher;
    // Tests and benchmarks wait on this; it also lets CSS tell the stages apart.
    document.documentElement.setAttribute("data-search-index", "full");
    settleFull();
    listeners.forEach(function (fn) { fn(); });
  }

  var fullWaiters = []; // queries of a site without a title stage, waiting for the full index

  /** Resolves once the full index answers (rejects if it cannot load). */
  function fullLoaded() {
    if (state.full) return Promise.resolve();
    if (state.fullFailed) return Promise.reject(new Error("The search index did not load."));
    return new Promise(function (resolve, reject) { fullWaiters.push([resolve, reject]); });
  }

  function settleFull() {
    var waiting = fullWaiters;
    fullWaiters = [];
    waiting.forEach(function (w) {
      if (state.full) w[0](); else w[1](new Error("The search index did not load."));
    });
  }

  /**
   * Stage two: the full index, in a worker when the page may have one. Only its
   * head loads now (terms and lengths); each query then loads the shards holding
   * its words' postings, so full-text results never wait for the whole index.
   */
  function loadFull() {
    if (FILE || typeof Worker === "undefined") return loadFullHere();
    var worker;
    try {
      worker = new Worker(String(new URL("search-worker.js", STATIC)));
    } catch (err) {
      return loadFullHere();
    }
    state.worker = worker;
    var pending = new Map();
    var nextId = 0;
    function failed() {
      worker.terminate();
      if (state.worker !== worker) return;
      state.worker = null;
      refresh().then(function (changed) { if (!changed) loadFullHere(); });
    }
    // While the worker is busy (loading a query's shards), an as-you-type query waits,
    // and the next keystroke's replaces it: stale prefixes never load their shards.
    var busy = 0, waitingTyped = null;
    function send(ask) {
      var id = ++nextId;
      busy++;
      pending.set(id, function (result) {
        busy--;
        ask.resolve(result);
        if (!busy && waitingTyped) { var next = waitingTyped; waitingTyped = null; send(next); }
      });
      worker.postMessage({ type: "search", id: id, query: ask.query, options: ask.options });
    }
    worker.onmessage = function (event) {
      var m = event.data;
      if (m.type === "ready") {
        fullReady({
          query: function (query, options) {
            return new Promise(function (resolve, reject) {
              var ask = { query: query, options: options, resolve: resolve, reject: reject };
              if (!(busy && options && options.prefixLast)) return send(ask);
              if (waitingTyped) waitingTyped.reject(new Error("superseded by a newer query"));
              waitingTyped = ask;
            });
          },
        });
      } else if (m.type === "result" && pending.has(m.id)) {
        pending.get(m.id)(m.result);
        pending.delete(m.id);
      } else if (m.type === "failed") {
        failed();
      }
    };
    worker.onerror = function (event) {
      event.preventDefault();
      if (!state.full) failed();
    };
    worker.postMessage({ type: "load", titles: String(titlesUrl), data: String(DATA) });
  }

  /** The main-thread fallback (file://): the head now, each query's shards as it asks. */
  function loadFullHere() {
    var manifest = state.manifest;
    var head = manifest.index[0];
    loadScript(new URL(head + ".js", DATA)).then(function () {
      if (state.manifest !== manifest) return; // refreshed meanwhile
      setTimeout(function () {
        var searcher = Engine.openFull(manifest, function (name) { return store[name]; }, true);
        delete store[head];
        fullReady({ query: function (query, options) { return queryHere(searcher, query, options); } });
      }, 0);
    }, function () {
      refresh().then(function (changed) {
        if (changed) return;
        state.fullFailed = true;
        settleFull();
      });
    });
  }

  /**
   * A query on the main thread: load the shards it names, then ask again. Queries
   * typed in quick succession may wait for the same shard: it is read in once.
   */
  function queryHere(searcher, query, options) {
    var result = searcher.query(query, options);
    if (!result.missing) return Promise.resolve(result);
    var read = searcher.shardsRead || (searcher.shardsRead = new Set());
    return Promise.all(result.missing.map(function (name) {
      return loadScript(new URL(name + ".js", DATA)).then(function () {
        if (read.has(name)) return;
        if (!store[name]) throw new Error("no data in " + name);
        searcher.index.addShard(store[name]);
        read.add(name);
        delete store[name];
      });
    })).then(function () { return queryHere(searcher, query, options); });
  }

  /**
   * The file of a chunk of kind "text" or "names": titles.js lists the hash of each
   * group of chunkGroup chunks (sitegen.search.chunk_name).
   */
  function chunkName(manifest, kind, chunk) {
    var number = String(chunk);
    while (number.length < 3) number = "0" + number;
    return kind + "-" + number + "-" + manifest[kind][Math.floor(chunk / manifest.chunkGroup)];
  }

  /** Snippet text of a chunk of papers, loaded on demand. */
  function loadText(chunk) {
    var manifest = state.manifest;
    var name = chunkName(manifest, "text", chunk);
    return loadScript(new URL(name + ".js", DATA)).then(function () {
      if (state.manifest === manifest) state.texts.set(chunk, store[name]);
    }, function (err) {
      return refresh().then(function () { throw err; });
    });
  }

  /** The title records of the chunks holding hits, on a site whose titles.js has none. */
  function loadNames(hits) {
    var manifest = state.manifest, size = manifest.textChunkDocs;
    if (manifest.docs) return Promise.resolve();
    var chunks = [];
    hits.forEach(function (hit) {
      var chunk = Math.floor(hit.ref / size);
      if (!state.names.has(chunk) && chunks.indexOf(chunk) < 0) chunks.push(chunk);
    });
    return Promise.all(chunks.map(function (chunk) {
      var name = chunkName(manifest, "names", chunk);
      return loadScript(new URL(name + ".js", DATA)).then(function () {
        if (state.manifest === manifest) state.names.set(chunk, store[name]);
      }, function (err) {
        return refresh().then(function () { throw err; });
      });
    }));
  }

  function textRecord(ref) {
    var size = state.manifest.textChunkDocs;
    var records = state.texts.get(Math.floor(ref / size));
    return records ? records[ref % size] : null;
  }

  /** A theme's number in titles.js; -2 (matches nothing) for an unknown slug. */
  function themeNumber(slug) {
    if (!slug) return -1;
    var found = state.manifest.themes.findIndex(function (t) { return t[0] === slug; });
    return found < 0 ? -2 : found;
  }

  /**
   * One page of hits for a query from the best index loaded so far.
   * options: prefixLast, offset, limit, theme (a slug). See Searcher#query.
   */
  function runQuery(query, options) {
    return loadTitles().then(function () {
      options = Object.assign({}, options || {});
      options.theme = themeNumber(options.theme);
      var partial = !state.full && !!state.titleSearcher;
      var pending = state.full ? state.full.query(query, options)
        : state.titleSearcher ? Promise.resolve(state.titleSearcher.query(query, options))
        : fullLoaded().then(function () { return state.full.query(query, options); });
      return pending.then(function (result) {
        result.partial = partial;
        return loadNames(result.hits).then(function () { return result; });
      });
    });
  }

  /* ---- papers ----------------------------------------------------------- */

  /** text.slugify for ASCII titles (the build stores the slug otherwise): the browser's one
      copy is static/site.js's, loaded before this script on every page. */
  function slugify(title) {
    return window.sitegenSlugify(title);
  }

  /** A hit's paper: title, URL slug and theme (runQuery has loaded its title record). */
  function paper(ref) {
    var manifest = state.manifest, size = manifest.textChunkDocs;
    var doc = manifest.docs ? manifest.docs[ref] : state.names.get(Math.floor(ref / size))[ref % size];
    var theme = state.manifest.themes[doc[1]];
    return { ref: ref, title: doc[0], slug: doc[2] || slugify(doc[0]), theme: theme[0], themeTitle: theme[1] };
  }

  function pageUrl(path) {
    return String(new URL(path + (FILE ? "index.html" : ""), ROOT));
  }

  function paperUrl(p) { return pageUrl("papers/" + p.slug + "/"); }

  function resultsUrl(query, theme) {
    var params = new URLSearchParams();
    params.set("q", query);
    if (theme) params.set("theme", theme);
    return pageUrl("search/") + "?" + params.toString();
  }

  /* ---- rendering -------------------------------------------------------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function appendRuns(parent, runs) {
    runs.forEach(function (run) {
      parent.appendChild(run.hit ? el("mark", null, run.text) : document.createTextNode(run.text));
    });
    return parent;
  }

  function badge(p) {
    var b = el("span", "badge badge-theme sg-badge", p.themeTitle);
    b.setAttribute("data-theme", p.theme);
    return b;
  }

  /** Fill a snippet element for a hit, loading its text chunk if needed. */
  function fillSnippet(node, hit, size) {
    var record = textRecord(+hit.ref);
    if (!record) {
      node.classList.add("sg-loading");
      return loadText(Math.floor(hit.ref / state.manifest.textChunkDocs)).then(function () {
        if (textRecord(+hit.ref)) fillSnippet(node, hit, size);
      }, function () {});
    }
    node.classList.remove("sg-loading");
    node.textContent = "";
    var abstract = Engine.snippet(record[0], hit.terms, size);
    var notes = record[1] ? Engine.snippet(record[1], hit.terms, size) : null;
    var pick = !abstract.found && notes && notes.found ? notes : abstract;
    if (pick.before) node.appendChild(document.createTextNode("\u2026 "));
    appendRuns(node, Engine.highlight(pick.text, hit.terms));
    if (pick.after) node.appendChild(document.createTextNode(" \u2026"));
    return Promise.resolve();
  }

  /**
   * How many characters of text a results-page snippet shows: about what fills its lines
   * (style.css's --snippet-lines) at its width, an average character being 0.55 of its font
   * size wide; the window around the first match then fits, and what is left is clamped.
   */
  function snippetChars(node) {
    var style = getComputedStyle(node);
    var lines = parseInt(style.getPropertyValue("--snippet-lines"), 10) || 3;
    var perLine = node.clientWidth / (0.55 * parseFloat(style.fontSize));
    return Math.max(60, Math.min(320, Math.floor(lines * perLine))) || 320;
  }

  function hitTitle(p, hit, tag) {
    return appendRuns(el(tag || "span", "sg-title"), Engine.highlight(p.title, hit.terms));
  }

  /** A query in curly quotes (a quoted phrase in one pair). */
  function inQuotes(query) {
    var said = String(query);
    if (/^"[^"]+"$/.test(said)) said = said.slice(1, -1);
    return "\u201c" + said + "\u201d";
  }

  /**
   * What a result count means, the same words on both surfaces: papers holding every
   * word, and papers holding only some of them (ranked after, by how many).
   */
  function countText(result, query) {
    var some = result.total - result.full;
    var match = function (n, more) {
      return (n === 1 ? "1 " + more + "paper matches" : n + " " + more + "papers match");
    };
    var quoted = inQuotes(result.corrected || query);
    if (!result.total) return "No papers match " + quoted;
    if (!some) return match(result.total, "") + " " + quoted;
    var rest = match(some, result.full ? "more " : "") + " some of its words";
    if (!result.full) return "No paper matches all of " + quoted + "; " + rest;
    return match(result.full, "") + " " + quoted + "; " + rest;
  }

  /** Lines that explain a result: the corrected spelling, acronyms, a still-loading index. */
  function explain(result, parent, tag) {
    if (result.notice) parent.appendChild(el(tag, "sg-notice", result.notice));
    (result.expansions || []).forEach(function (pair) {
      parent.appendChild(el(tag, "sg-expansion", pair[0] + " = " + pair[1] + ": both are searched."));
    });
  }

  /* ---- the header box --------------------------------------------------- */

  /**
   * Back closes the phone's search sheet, as it closes the menu (static/site.js): a sheet
   * shown adds a history entry (the same URL, marked); closing it goes back over that entry,
   * and so does leaving the page from the sheet (then the page asked for opens), so an opened
   * sheet never costs the reader an extra Back press, and Back returns to the page kept whole. `onBack` closes the sheet on Back (true if open).
   */
  function sheetHistory(onBack, isOpen) {
    var onEntry = function () { return !!(history.state && history.state.sitegenSheet); };
    var goingBack = false; // closed here: the popstate that follows is ours
    var leaving = false; // a page is on its way (go): a late answer adds no entry now
    var leavingTo = null; // a page opened from the sheet, once Back left the sheet's entry
    window.addEventListener("pageshow", function () { // come back to
      leaving = goingBack = false;
      leavingTo = null;
    });
    var push = function () {
      try {
        history.pushState({ sitegenSheet: true }, "", location.href);
      } catch (e) {
        // Some browsers refuse history entries on file://: the sheet then works without one.
      }
    };
    // Reloaded (or come back) onto the entry: no sheet is open now; the entry is the page's.
    if (onEntry()) history.replaceState(null, "", location.href);
    // Whether a Back or Forward was a step into or out of the sheet: then it changes nothing
    // for the page's own scripts (the results page, the map, the lists), which re-read the
    // URL, and static/site.js, which runs first, stops it before them.
    var ours = function () {
      if (goingBack && leavingTo) {
        location.href = leavingTo; // from the page's own entry: the browser keeps the page
        leavingTo = null;
        return true;
      }
      if (goingBack) {
        goingBack = false;
        if (isOpen()) push(); // shown again before Back landed
        return true;
      }
      return !onEntry() && onBack();
    };
    if (window.SitegenBeforePopstate) window.SitegenBeforePopstate.push(ours);
    else window.addEventListener("popstate", function (event) { if (ours()) event.stopImmediatePropagation(); });
    return {
      active: onEntry,
      shown: function () { if (!leaving && !onEntry()) push(); },
      closed: function () {
        if (onEntry()) {
          goingBack = true;
          history.back();
        }
      },
      // Left from the sheet's entry, replaced, the page would not be kept for Back (the
      // back/forward cache): the page's own entry first, then the page asked for.
      go: function (url) {
        leaving = true;
        if (!onEntry()) {
          location.href = url;
        } else if (leavingTo === null) {
          leavingTo = url;
          goingBack = true;
          history.back();
        }
      },
    };
  }

  /** Whether a click follows an HTML link in this tab (not a new one, nor with a modifier,
   * nor one its own handler cancelled). */
  function followed(event, link) {
    if (event.defaultPrevented || event.button !== 0 || link.target) return false;
    if (typeof link.href !== "string") return false; // an SVG link
    return !(event.metaKey || event.ctrlKey || event.shiftKey || event.altKey);
  }

  function initBox(input) {
    var form = input.form;
    var box = el("div", "sg-dropdown");
    box.id = "sg-search-dropdown";
    box.hidden = true;
    var list = el("ul", "sg-hits");
    list.id = "sg-search-hits";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Search results");
    var footer = el("div", "sg-footer");
    box.appendChild(list);
    box.appendChild(footer);
    (form || input.parentNode).appendChild(box);
    (form || input.parentNode).classList.add("sg-box");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    var active = -1;
    var shown = [];
    var seq = 0;

    // historyDone: Back closed it, or the history was seen to already (sheetHistory)
    function close(historyDone) {
      var was = !box.hidden;
      seq++; // a query still on its way shows nothing now (it re-opened a box closed by Escape)
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
      if (was && !historyDone) sheetEntry.closed();
    }
    var sheetEntry = sheetHistory(function () {
      if (box.hidden) return false;
      close(true);
      input.blur(); // and the phone's keyboard with it
      return true;
    }, function () { return !box.hidden && box.classList.contains("sg-sheet"); });

    function setActive(i) {
      var items = list.querySelectorAll(".sg-hit");
      if (!items.length) return;
      var slots = items.length + 1; // slot 0 is "nothing selected" (active -1)
      active = (((i + 1) % slots) + slots) % slots - 1;
      items.forEach(function (item, j) { item.setAttribute("aria-selected", j === active ? "true" : "false"); });
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function keepChosenInView() {
      var items = list.querySelectorAll(".sg-hit");
      if (active >= 0 && byKeyboard && items[active]) items[active].scrollIntoView({ block: "nearest" });
    }

    function render(query, result) {
      // The same query answered again (the full index arrived) while the reader has
      // a hit selected or the pointer on the list: keep the list; swap it later.
      var again = !box.hidden && box.getAttribute("data-query") === query;
      if (again && (pointerInside || (active >= 0 && byKeyboard))) {
        swapWaiting = true;
        return;
      }
      box.setAttribute("data-query", query); // what the list answers (tests wait on it)
      list.textContent = "";
      footer.textContent = "";
      active = -1;
      shown = result.hits.slice(0, DROPDOWN_HITS);
      shown.forEach(function (hit, i) {
        var p = paper(+hit.ref);
        if (!hit.full && (i === 0 || shown[i - 1].full)) {
          var divider = el("li", "sg-divider", "With some of the words");
          divider.setAttribute("role", "presentation");
          list.appendChild(divider);
        }
        var item = el("li", "sg-hit");
        item.id = "sg-hit-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        var link = el("a", "sg-link");
        link.href = paperUrl(p);
        link.tabIndex = -1;
        var head = el("span", "sg-head");
        head.appendChild(badge(p));
        head.appendChild(hitTitle(p, hit));
        link.appendChild(head);
        var snip = el("span", "sg-snippet");
        link.appendChild(snip);
        // a snippet that arrives late grows its hit: the one the arrows chose stays in view
        fillSnippet(snip, hit, 140).then(keepChosenInView);
        item.appendChild(link);
        item.addEventListener("mousemove", function () {
          byKeyboard = false;
          if (active !== i) setActive(i);
        });
        list.appendChild(item);
      });
      explain(result, footer, "p");
      if (!shown.length) footer.appendChild(el("p", "sg-empty", "No papers match " + inQuotes(query) + "."));
      if (result.partial) footer.appendChild(el("p", "sg-partial", "Titles only for now; full text is loading\u2026"));
      box.classList.toggle("sg-provisional", !!result.partial);
      var all = el("a", "sg-all", result.total
        ? countText(result, query) + " \u2192"
        : "Open the search page \u2192");
      all.href = resultsUrl(query);
      footer.appendChild(all);
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      placeSheet();
      // the footer sticks to the bottom: a hit the arrows select scrolls clear of it
      box.style.scrollPaddingBottom = footer.offsetHeight + "px";
    }

    // On a phone the dropdown is a sheet fixed under the search box, the width of
    // the screen (static/style.css, its search part). It moves to <body>: the header's backdrop
    // filter would make "fixed" mean fixed to the header.
    var phone = self.matchMedia ? self.matchMedia("(max-width: 600px)") : null;
    var home = box.parentNode;
    function placeSheet() {
      var sheet = !!(phone && phone.matches);
      var parent = sheet ? document.body : home;
      if (box.parentNode !== parent) parent.appendChild(box);
      box.classList.toggle("sg-sheet", sheet);
      box.style.top = sheet ? Math.round(input.getBoundingClientRect().bottom + 6) + "px" : "";
      if (sheet && !box.hidden) sheetEntry.shown(); // shown, or turned into a sheet (a rotation)
    }
    self.addEventListener("resize", function () { if (!box.hidden) placeSheet(); });

    function update() {
      swapWaiting = false;
      var query = input.value.trim();
      var mine = ++seq;
      if (!query) { close(); return; }
      // A space after the last word says it is finished: then it is not a prefix.
      var typing = !/\s$/.test(input.value);
      runQuery(query, { prefixLast: typing, limit: DROPDOWN_HITS }).then(function (result) {
        if (mine === seq) render(query, result);
      }, function () {
        if (mine === seq) render(query, { hits: [], notice: "The search index could not be loaded.", partial: false });
      });
    }

    // The full index arrived: swap the provisional list once, in place, but never
    // under the reader's pointer or keyboard selection: then when they leave it.
    var pointerInside = false, swapWaiting = false, byKeyboard = false;
    function swapWhenFree() {
      if (box.hidden) { swapWaiting = false; return; }
      if (pointerInside || (active >= 0 && byKeyboard)) { swapWaiting = true; return; }
      swapWaiting = false;
      update();
    }
    listeners.push(swapWhenFree);
    box.addEventListener("pointerenter", function () { pointerInside = true; });
    box.addEventListener("pointerleave", function () {
      pointerInside = false;
      if (!byKeyboard) setActive(-1); // a hover is no choice
      if (swapWaiting) swapWhenFree();
    });
    input.addEventListener("input", update);
    input.addEventListener("focus", function () { loadTitles().catch(function () {}); if (input.value.trim()) update(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (box.hidden) { update(); return; }
        event.preventDefault();
        byKeyboard = true;
        setActive(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        event.preventDefault();
        var to = !box.hidden && active >= 0 && shown[active] ? paperUrl(paper(+shown[active].ref))
          : input.value.trim() ? resultsUrl(input.value.trim()) : null;
        if (to) leave(to);
      } else if (event.key === "Escape") {
        if (!box.hidden) { event.preventDefault(); close(); } else { input.blur(); }
      }
    });
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (input.value.trim()) leave(resultsUrl(input.value.trim()));
      });
    }
    // Closed before the page goes: Back then finds it as a reader left it, without the box
    // (the browser may keep the page whole: its back/forward cache); on a phone without the
    // keyboard too, as Back closing the sheet leaves it.
    function leave(url) {
      if (box.classList.contains("sg-sheet")) input.blur();
      close(true);
      sheetEntry.go(url);
    }
    // A link followed from the open sheet (a hit, "all results", or one beside it, as the
    // site's title) is followed once Back left the sheet's entry (sheetHistory's go). The
    // menu's button takes that entry (static/site.js); any other tap beside the sheet closes
    // it, going back over its entry.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]:not([role=button])");
      if (link && sheetEntry.active() && !box.hidden && followed(event, link)) {
        event.preventDefault();
        leave(link.href);
      } else if (!box.contains(event.target) && event.target !== input) {
        close();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      var t = event.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  /* ---- the results page ------------------------------------------------- */

  function initPage(page) {
    var form = page.querySelector("form");
    var input = form.querySelector("input[name=q]");
    var status = page.querySelector(".sg-status");
    var notice = page.querySelector(".sg-page-notice");
    var filters = page.querySelector(".sg-filters");
    var list = page.querySelector(".sg-results");
    var more = page.querySelector(".sg-more");
    var header = document.getElementById("site-search");
    var seq = 0;
    var shown = 0; // results on the page so far
    var observer = "IntersectionObserver" in self ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        entry.target.sgFill();
      });
    }, { rootMargin: "400px" }) : null;

    function params() {
      var p = new URLSearchParams(location.search);
      return { query: (p.get("q") || "").trim(), theme: p.get("theme") || "" };
    }

    function renderFilters(result, theme) {
      filters.textContent = "";
      if (!result.all) return;
      var label = el("span", "sg-filters-label", "Theme:");
      filters.appendChild(label);
      var options = [["", "All", result.all]];
      state.manifest.themes.forEach(function (t, i) {
        if (result.themeCounts[i]) options.push([t[0], t[1], result.themeCounts[i]]);
      });
      options.forEach(function (option) {
        var button = el("button", "sg-filter");
        button.type = "button";
        button.setAttribute("data-theme", option[0]);
        button.setAttribute("aria-pressed", option[0] === theme ? "true" : "false");
        button.appendChild(document.createTextNode(option[1] + " "));
        button.appendChild(el("span", "count", String(option[2])));
        button.addEventListener("click", function () {
          var current = params();
          history.pushState(null, "", resultsUrl(current.query, option[0]));
          show();
        });
        filters.appendChild(button);
      });
      // On a phone the filters are one row that scrolls sideways: show the chosen one.
      var chosen = filters.querySelector('[aria-pressed="true"]');
      if (chosen && theme) {
        filters.scrollLeft += chosen.getBoundingClientRect().left - filters.getBoundingClientRect().left - 8;
      }
    }

    /** Append one page of hits to the list. */
    function appendHits(hits) {
      hits.forEach(function (hit) {
        var p = paper(+hit.ref);
        var last = list.lastElementChild;
        if (!hit.full && (!last || last.sgFull)) {
          list.appendChild(el("li", "sg-divider", "Papers with some of the words"));
        }
        var item = el("li", "sg-result");
        item.sgFull = hit.full;
        var h = el("h2", "sg-result-title");
        var link = el("a");
        link.href = paperUrl(p);
        link.appendChild(hitTitle(p, hit));
        h.appendChild(link);
        item.appendChild(h);
        var meta = el("p", "sg-result-meta");
        meta.appendChild(badge(p));
        item.appendChild(meta);
        var snip = el("p", "sg-snippet");
        item.appendChild(snip);
        item.sgFill = function () { fillSnippet(snip, hit, snippetChars(snip)); };
        if (observer) observer.observe(item); else item.sgFill();
        list.appendChild(item);
      });
      shown += hits.length;
    }

    function renderMore(total) {
      more.hidden = shown >= total;
      var left = total - shown;
      more.textContent = "Show " + Math.min(PAGE_HITS, left) + " more (" + left + " not shown)";
    }

    function renderResults(query, result, theme) {
      if (observer) observer.disconnect(); // the old items go; stop watching them
      list.textContent = "";
      shown = 0;
      notice.textContent = "";
      explain(result, notice, "span");
      notice.hidden = !notice.textContent;
      renderFilters(result, theme);
      var where = theme ? " in this theme" : "";
      status.textContent = !query ? "Type a query above."
        : countText(result, query) + where + ".";
      if (result.partial) status.textContent += " Searching titles only; the full-text index is loading\u2026";
      list.classList.toggle("sg-provisional", !!result.partial);
      appendHits(result.hits);
      renderMore(result.total);
    }

    function show() {
      swapWaiting = false;
      var current = params();
      input.value = current.query;
      if (header) header.value = current.query;
      var title = current.query ? "Search: " + current.query : "Search";
      document.title = title + document.title.replace(/^[^·]*/, " ");
      var mine = ++seq;
      if (!current.query) {
        renderResults("", { hits: [], total: 0, all: 0, themeCounts: [], notice: "" }, "");
        return;
      }
      // Say "Searching" only if it takes a while: a page update per query is enough.
      var slow = setTimeout(function () { status.textContent = "Searching\u2026"; }, 150);
      runQuery(current.query, { limit: PAGE_HITS, theme: current.theme }).then(function (result) {
        clearTimeout(slow);
        if (mine === seq) renderResults(current.query, result, current.theme);
      }, function () {
        clearTimeout(slow);
        status.textContent = "The search index could not be loaded.";
      });
    }

    more.addEventListener("click", function () {
      var current = params();
      var mine = seq;
      var options = { offset: shown, limit: PAGE_HITS, theme: current.theme };
      runQuery(current.query, options).then(function (result) {
        if (mine !== seq) return;
        var first = list.querySelectorAll(".sg-result").length;
        appendHits(result.hits);
        renderMore(result.total);
        // Keyboard readers continue at the first new result.
        var item = list.querySelectorAll(".sg-result")[first];
        var link = item && item.querySelector("a");
        if (link) link.focus();
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = input.value.trim();
      if (query === params().query) return;
      history.pushState(null, "", resultsUrl(query));
      show();
    });
    window.addEventListener("popstate", show);
    loadTitles().catch(function () {}); // the reader came here to search: start loading now
    // The full index arrived: show its results once, but not under the pointer.
    var pointerInside = false, swapWaiting = false;
    list.addEventListener("pointerenter", function () { pointerInside = true; });
    list.addEventListener("pointerleave", function () {
      pointerInside = false;
      if (swapWaiting) { swapWaiting = false; show(); }
    });
    listeners.push(function () {
      if (!params().query) return;
      if (pointerInside && list.classList.contains("sg-provisional")) swapWaiting = true;
      else show();
    });
    show();
  }

  /* ---- start ------------------------------------------------------------ */

  // A small public handle, for other scripts (the map) and for benchmarks/bench_search.py;
  // paper(ref) gives a hit's title, slug and theme once query() has returned the hit.
  self.SitegenSearch = { query: runQuery, load: loadTitles, paper: paper };

  function start() {
    var input = document.getElementById("site-search") ||
      document.querySelector("form[role=search] input[name=q]");
    if (input) initBox(input);
    var page = document.querySelector("[data-search-page]");
    if (page) initPage(page);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
