/* Progressive enhancements: the colour-theme toggle and the mobile menu. No network. */
(function () {
  "use strict";
  var root = document.documentElement;

  // Handlers that see a Back or Forward before the page's own scripts (the map, the lists,
  // the results page), which re-read the URL, and before the menu's below: this file runs
  // first. The phone's search sheet (static/search.js) adds one; a step one of them says
  // is its own goes no further.
  var beforePopstate = window.SitegenBeforePopstate = [];
  window.addEventListener("popstate", function (event) {
    if (beforePopstate.some(function (handle) { return handle(event); })) {
      event.stopImmediatePropagation();
    }
  });

  // Opened from disk (file://) there is no server to map "papers/x/" to its
  // index.html, so point folder links and forms at the file itself.
  if (location.protocol === "file:") {
    var toFile = function (url) {
      return url.replace(/\/(?=$|[?#])/, "/index.html");
    };
    var isLocal = function (url) { return url && !/^[a-z][a-z0-9+.-]*:/i.test(url) && url.charAt(0) !== "#"; };
    Array.prototype.forEach.call(document.querySelectorAll("a[href]"), function (a) {
      var href = a.getAttribute("href");
      if (isLocal(href)) a.setAttribute("href", toFile(href));
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[action]"), function (form) {
      var action = form.getAttribute("action");
      if (isLocal(action)) form.setAttribute("action", toFile(action));
    });
  }
  var KEY = "sitegen-theme";

  /** sitegen.text.slugify for an ASCII title, the browser's one copy: the search index and a
      list's cards.js leave a paper's slug out when this gives it back (text.derivable_slug),
      for static/search.js, static/discover.js and static/notfound.js. */
  var SLUG_MAX = 80;
  window.sitegenSlugify = function (title) {
    var words = title.toLowerCase().match(/[a-z0-9]+/g) || [];
    var slug = "";
    for (var i = 0; i < words.length; i++) {
      var candidate = slug ? slug + "-" + words[i] : words[i];
      if (candidate.length > SLUG_MAX) break;
      slug = candidate;
    }
    if (!slug && words.length) slug = words[0].slice(0, SLUG_MAX);
    return slug || "paper";
  };

  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : systemDark();
  }

  // The colour-theme toggle works only with JavaScript, so it is made here, not sent in every
  // page (a template that still has one keeps it).
  var toggle = document.querySelector("[data-theme-toggle]");
  var headerInner = document.querySelector(".site-header .header-inner");
  if (!toggle && headerInner) {
    toggle = document.createElement("button");
    toggle.className = "theme-toggle";
    toggle.type = "button";
    toggle.setAttribute("data-theme-toggle", "");
    ["icon-moon", "icon-sun"].forEach(function (name) {
      var icon = document.createElement("span");
      icon.className = "icon " + name;
      icon.setAttribute("aria-hidden", "true");
      toggle.appendChild(icon);
    });
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = "Dark theme";
    toggle.appendChild(label);
    headerInner.appendChild(toggle);
  }
  if (toggle) {
    toggle.hidden = false;
    var sync = function () { toggle.setAttribute("aria-pressed", isDark() ? "true" : "false"); };
    sync();
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* not remembered, still applied */ }
      sync();
    });
  }

  // Compact lists: one line per paper (title and theme), remembered across pages.
  Array.prototype.forEach.call(document.querySelectorAll("[data-density-toggle]"), function (box) {
    var button = box.querySelector("button");
    var sync = function () {
      button.setAttribute("aria-pressed", root.getAttribute("data-density") === "compact" ? "true" : "false");
    };
    box.hidden = false;
    sync();
    button.addEventListener("click", function () {
      var compact = root.getAttribute("data-density") !== "compact";
      if (compact) root.setAttribute("data-density", "compact");
      else root.removeAttribute("data-density");
      try { localStorage.setItem("sitegen-density", compact ? "compact" : "cozy"); } catch (e) { /* not remembered */ }
      Array.prototype.forEach.call(document.querySelectorAll("[data-density-toggle] button"), function (b) {
        b.setAttribute("aria-pressed", compact ? "true" : "false");
      });
    });
  });

  // Papers per theme for the sidebar, from counts.js (one small file, so that a new dump
  // leaves every page that merely shows the counts unchanged).
  // A theme's key is its link's URL from the site root: the link less "../" and, opened
  // from disk, the "index.html" added above.
  window.sitegenCounts = function (counts, themes) {
    var list = document.querySelector(".nav-themes[data-fill]");
    if (list && themes) fillThemes(list, themes);
    Array.prototype.forEach.call(document.querySelectorAll(".nav-themes > li > a"), function (a) {
      var key = a.getAttribute("href").replace(/^(\.\.?\/)+/, "").replace(/index\.html$/, "");
      var count = counts[key];
      if (count === undefined || a.querySelector(".count")) return;
      var number = document.createElement("span");
      number.className = "count";
      number.textContent = count;
      a.appendChild(number);
    });
  };

  // counts.js sits at the site's root, a folder above this script (static/site.js): loaded
  // from here rather than by a <script> in every page.
  var self = document.currentScript;
  if (self && self.src) {
    var counts = document.createElement("script");
    counts.src = new URL("../counts.js", self.src).href;
    document.head.appendChild(counts);
  }

  /** A lean page's sidebar holds its own theme only: add the others, in order, around it. */
  function fillThemes(list, themes) {
    var overview = document.querySelector(".sidebar .nav-list a");
    var root = overview ? overview.getAttribute("href").replace(/index\.html$/, "") : "";
    var current = list.querySelector("li");
    var here = current ? current.querySelector("a").getAttribute("href") : "";
    var before = true;
    themes.forEach(function (theme) {
      var href = root + theme[0];
      if (location.protocol === "file:") href += "index.html";
      if (href === here) { before = false; return; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.setAttribute("href", href);
      link.textContent = theme[1];
      item.appendChild(link);
      list.insertBefore(item, before ? current : null);
    });
    list.removeAttribute("data-fill");
  }

  var menu = document.querySelector(".menu-toggle");
  var sidebar = document.getElementById("sidebar");
  if (menu && sidebar) {
    // Without JavaScript these are links to #sidebar and #main; here they act as buttons.
    menu.setAttribute("role", "button");
    menu.setAttribute("aria-controls", "sidebar");
    menu.setAttribute("aria-expanded", "false");
    // While the drawer is open, the page behind it is inert: Tab stays in the menu
    // (and the header), and a screen reader doesn't wander off behind it.
    var behind = document.querySelectorAll("main, .site-footer");
    var setOpen = function (open) {
      document.body.classList.toggle("nav-open", open);
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      Array.prototype.forEach.call(behind, function (el) { el.inert = open; });
      if (open) {
        sidebar.scrollTop = 0;
        var current = sidebar.querySelector("a[aria-current]");
        var first = current || sidebar.querySelector(".sidebar-close");
        if (first) first.focus(); // the drawer scrolls to it (the page behind stays put)
      }
    };
    // Focus goes back to the menu button without scrolling: Chrome scrolls the page to
    // "show" a button in the sticky header, and the reader lost their place.
    var backToMenu = function () { menu.focus({ preventScroll: true }); };
    // Back closes the menu, as a phone's own drawers do. Opening it adds a history entry
    // (the same URL, marked); closing it goes back over that entry, and so does leaving the
    // page from the open menu (then the link is followed), so an opened menu never costs
    // the reader an extra Back press later, and Back returns to the page kept whole.
    var isMenuEntry = function () { return !!(history.state && history.state.sitegenMenu); };
    var isOpen = function () { return document.body.classList.contains("nav-open"); };
    // A drawer only on a narrow screen: elsewhere the toggle is hidden and the sidebar shows.
    var isDrawer = function () { return getComputedStyle(menu).display !== "none"; };
    var shown = location.href; // the URL the page showed last (for its own scripts too)
    var goingBack = false; // closed by hand: the popstate that follows is ours
    var leavingTo = null; // a link followed from the open menu: opened once Back left its entry
    var pushEntry = function () {
      try {
        history.pushState({ sitegenMenu: true }, "", location.href);
      } catch (e) {
        // Some browsers refuse history entries on file://: the menu then works without one.
      }
    };
    var openMenu = function () {
      setOpen(true);
      shown = location.href;
      if (isMenuEntry()) return;
      // Opened over the phone's search sheet (static/search.js): it takes the sheet's entry.
      if (history.state && history.state.sitegenSheet) {
        history.replaceState({ sitegenMenu: true }, "", location.href);
      } else {
        pushEntry();
      }
    };
    var closeMenu = function (refocus) {
      setOpen(false);
      if (refocus !== false) backToMenu();
      if (isMenuEntry()) {
        goingBack = true;
        history.back();
      }
    };
    window.addEventListener("popstate", function (event) {
      var ours = location.href === shown; // the same page as it was: only the menu changed
      if (goingBack && leavingTo) {
        // Followed from the page's own entry, as any link is: the browser keeps this page
        // for Back (its back/forward cache); from the menu's entry, replaced, it would not.
        location.href = leavingTo;
        leavingTo = null;
      } else if (goingBack) {
        goingBack = false;
        if (isOpen()) pushEntry(); // opened again before Back landed (a quick double tap)
      } else if (isOpen() && !isMenuEntry()) {
        setOpen(false);
        backToMenu();
      } else if (!isOpen() && isMenuEntry() && isDrawer()) {
        setOpen(true); // Forward, back into the menu
      } else ours = false;
      shown = location.href;
      // The page's own scripts (search, discover, map) re-read the URL on popstate: a step
      // into or out of the menu changes nothing for them.
      if (ours) event.stopImmediatePropagation();
    });
    // A reload, or Back to a page left with the menu open, lands on the menu's entry: show
    // the menu it stands for (on a wide screen there is none: the entry is the page's).
    if (isMenuEntry()) {
      if (isDrawer()) setOpen(true);
      else history.replaceState(null, "", location.href);
    }
    window.addEventListener("resize", function () {
      if (isOpen() && !isDrawer()) closeMenu(false);
    });
    // A link followed from the open menu (the drawer's, or the header's) is followed from
    // the page's own entry, once Back left the menu's; one to this very page closes the menu.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || link === menu || link.classList.contains("sidebar-close")) return;
      if (!isOpen() || !isMenuEntry() || event.button !== 0 || link.target) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      if (link.href.split("#")[0] === location.href.split("#")[0]) {
        closeMenu();
      } else if (leavingTo === null) {
        leavingTo = link.href;
        goingBack = true;
        history.back(); // then the link (the popstate above)
      }
    }, true);
    // Back to this page kept whole (the back/forward cache): as it was, without the menu.
    window.addEventListener("pageshow", function (event) {
      goingBack = false;
      leavingTo = null;
      if (event.persisted && isOpen() && !isMenuEntry()) setOpen(false);
    });
    // Searching from the header closes the menu first, so the results replace the page.
    var search = document.getElementById("site-search");
    if (search) search.addEventListener("focus", function () { if (isOpen()) closeMenu(false); });
    menu.addEventListener("click", function (event) {
      event.preventDefault();
      if (isOpen()) closeMenu(); else openMenu();
    });
    var close = sidebar.querySelector(".sidebar-close");
    if (close) {
      close.setAttribute("role", "button");
      close.setAttribute("aria-controls", "sidebar");
      close.addEventListener("click", function (event) {
        event.preventDefault();
        closeMenu();
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) closeMenu();
    });
  }
})();
