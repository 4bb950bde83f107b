/* The map page (templates/map.html): zoom and pan (wheel, drag, pinch, keys, buttons) on
   the SVG's viewBox; a visible label for the focused, hovered or tapped dot; the dots as
   one Tab stop (a roving tabindex: arrow keys move to the nearest dot in that direction,
   Page Up/Down jump between regions); theme toggles; region labels that make room for
   each other; and a highlight of the papers matching a search, asked of the site's own
   search (static/search.js, self.SitegenSearch). No network, no library. Without
   JavaScript the map is still a picture of links, and the region lists list its papers. */
(function () {
  "use strict";
  var figure = document.querySelector("[data-map]");
  if (!figure) return;
  var svg = figure.querySelector("svg.map");
  var frame = figure.querySelector(".map-frame");
  var tip = figure.querySelector(".map-tip");
  var SIZE = svg.viewBox.baseVal.width || 1000;
  var MIN_WIDTH = SIZE / 24;
  var dense = figure.classList.contains("is-dense");
  var view = { x: 0, y: 0, w: SIZE };

  // ------------------------------------------------------------ items: dots and labels

  var dots = Array.prototype.slice.call(svg.querySelectorAll(".map-group a"));
  var labels = Array.prototype.slice.call(svg.querySelectorAll(".map-labels a"));
  var hitDots = [];  // a dense map's marked search hits (drawn by markHits)
  /** What the one Tab stop moves among: the dots, or on a dense map the labels and hits. */
  function items() { return dense ? labels.concat(hitDots) : dots; }

  function slugOf(link) {
    var match = /papers\/([^/]+)\/$/.exec(link.getAttribute("href") || "");
    return match ? decodeURIComponent(match[1]) : "";
  }

  function place(item) {
    var shape = item.querySelector("circle, text");
    if (!shape) return { x: SIZE / 2, y: SIZE / 2 };
    return { x: +shape.getAttribute(shape.tagName === "circle" ? "cx" : "x"),
             y: +shape.getAttribute(shape.tagName === "circle" ? "cy" : "y") };
  }

  var bySlug = new Map();
  dots.forEach(function (dot) { bySlug.set(slugOf(dot), dot); });

  // Which region each paper belongs to, from the region lists (nearest its middle first).
  var regions = Array.prototype.slice.call(document.querySelectorAll(".region-list > li"));
  var regionOf = new Map();
  regions.forEach(function (region, number) {
    Array.prototype.forEach.call(region.querySelectorAll("ul a"), function (link) {
      regionOf.set(slugOf(link), number);
    });
  });

  // ------------------------------------------------------------ the view

  function unit() { return view.w / (svg.getBoundingClientRect().width || SIZE); }

  function clampView() {
    view.w = Math.min(SIZE, Math.max(MIN_WIDTH, view.w));
    var slack = view.w * 0.4;
    view.x = Math.min(SIZE - view.w + slack, Math.max(-slack, view.x));
    view.y = Math.min(SIZE - view.w + slack, Math.max(-slack, view.y));
    if (view.w >= SIZE) { view.x = 0; view.y = 0; }
  }

  var labelTimer = 0;
  function apply() {
    clampView();
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.w].map(function (v) {
      return Math.round(v * 100) / 100;
    }).join(" "));
    svg.style.setProperty("--unit", unit().toFixed(4));
    cancelAnimationFrame(labelTimer);
    labelTimer = requestAnimationFrame(declutter);
    if (current && !tip.hidden) showTip(current);
  }

  /** Zoom by `factor` keeping the user-space point (cx, cy) where it is on screen. */
  function zoomAt(factor, cx, cy) {
    var width = Math.min(SIZE, Math.max(MIN_WIDTH, view.w / factor));
    view.x = cx - (cx - view.x) * (width / view.w);
    view.y = cy - (cy - view.y) * (width / view.w);
    view.w = width;
    apply();
  }

  function centreOn(point, width) {
    view.w = width || view.w;
    view.x = point.x - view.w / 2;
    view.y = point.y - view.w / 2;
    apply();
  }

  function panBy(dx, dy) { view.x += dx; view.y += dy; apply(); }

  /** Bring a point into view (panning only), with a margin. */
  function keepInView(point) {
    var margin = view.w * 0.12;
    if (point.x < view.x + margin || point.x > view.x + view.w - margin ||
        point.y < view.y + margin || point.y > view.y + view.w - margin) centreOn(point);
  }

  function reset() { view = { x: 0, y: 0, w: SIZE }; apply(); }

  /** The user-space point under a client (screen) position. */
  function toMap(clientX, clientY) {
    var box = svg.getBoundingClientRect();
    return { x: view.x + (clientX - box.left) * view.w / box.width,
             y: view.y + (clientY - box.top) * view.w / box.height };
  }

  // Region labels: the largest regions come first; a label that would overlap one already
  // shown waits for more zoom.
  function declutter() {
    var shown = [], pad = 4 * unit();
    labels.forEach(function (label) {
      label.classList.remove("is-crowded");
      label.querySelector("text").removeAttribute("transform");
    });
    labels.forEach(function (label) {
      var text = label.querySelector("text"), box = text.getBBox();
      // Slide a label that sticks out of the view back in (it may not fit at all).
      var shift = Math.max(view.x + pad - box.x, 0) + Math.min(view.x + view.w - pad - box.x - box.width, 0);
      var fits = box.width <= view.w - 2 * pad;
      if (shift && fits) text.setAttribute("transform", "translate(" + shift.toFixed(2) + " 0)");
      var left = box.x + shift;
      var hit = !fits || shown.some(function (b) {
        return left < b.x + b.width + pad && b.x < left + box.width + pad &&
          box.y < b.y + b.height + pad && b.y < box.y + box.height + pad;
      });
      if (hit && label !== current) label.classList.add("is-crowded");
      else shown.push({ x: left, y: box.y, width: box.width, height: box.height });
    });
  }

  // ------------------------------------------------------------ the label of a dot

  var current = null;  // the item whose label shows (and the group's Tab stop)

  function showTip(item) {
    tip.textContent = "";
    var group = item.closest(".map-group, .map-hits");
    var link = document.createElement("a");
    link.href = item.getAttribute("href");
    var meta = document.createElement("span");
    meta.className = "map-tip-meta";
    if (group) {
      link.textContent = item.querySelector("title").textContent;
      var swatch = document.createElement("span");
      var theme = item.getAttribute("data-theme-name") || group.getAttribute("aria-label");
      swatch.className = "swatch " + (item.getAttribute("data-colour") || group.className.baseVal.split(" ")[1]);
      meta.appendChild(swatch);
      meta.appendChild(document.createTextNode(theme));
    } else {
      link.textContent = item.querySelector("text").textContent;
      meta.textContent = item.querySelector("title").textContent;
      link.addEventListener("click", function (event) { event.preventDefault(); zoomToRegion(item); });
    }
    tip.appendChild(link);
    tip.appendChild(meta);
    tip.hidden = false;
    var spot = item.querySelector("circle, text").getBoundingClientRect();
    var box = frame.getBoundingClientRect();
    var left = spot.left + spot.width / 2 - box.left - tip.offsetWidth / 2;
    left = Math.max(4, Math.min(box.width - tip.offsetWidth - 4, left));
    var top = spot.top - box.top - tip.offsetHeight - 8;
    if (top < 4) top = spot.bottom - box.top + 8;
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function hideTip() { tip.hidden = true; }

  /** Make an item the current one: the group's Tab stop, marked, its label shown. */
  function select(item, focus) {
    items().concat(dots).forEach(function (other) {
      if (other !== item && other.getAttribute("tabindex") === "0") other.setAttribute("tabindex", "-1");
    });
    if (current) current.classList.remove("is-current");
    current = item;
    item.setAttribute("tabindex", "0");
    item.classList.add("is-current");
    keepInView(place(item));
    if (focus) item.focus({ preventScroll: true });
    showTip(item);
  }

  // ------------------------------------------------------------ keyboard

  function visible(item) {
    var group = item.closest(".map-group");
    return !(group && group.classList.contains("is-off"));
  }

  /** The nearest item from `from` in direction (dx, dy): distance, penalised off-axis. */
  function nearestToward(from, dx, dy) {
    var origin = place(from), best = null, bestScore = Infinity;
    items().forEach(function (item) {
      if (item === from || !visible(item)) return;
      var p = place(item), ax = p.x - origin.x, ay = p.y - origin.y;
      var along = ax * dx + ay * dy;
      if (along <= 0) return;
      var across = Math.abs(ax * dy - ay * dx);
      if (across > along * 2) return;
      var score = along + 2.5 * across;
      if (score < bestScore) { bestScore = score; best = item; }
    });
    return best;
  }

  /** The first paper of the region after (step 1) or before (-1) the current one's. */
  function regionStep(from, step) {
    if (!regions.length) return null;
    var now = regionOf.has(slugOf(from)) ? regionOf.get(slugOf(from)) : -1;
    for (var i = 1; i <= regions.length; i++) {
      var number = (now + step * i + regions.length * 2) % regions.length;
      var first = regions[number].querySelector("ul a");
      var dot = first && bySlug.get(slugOf(first));
      if (dot && visible(dot)) return dot;
    }
    return null;
  }

  var ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  function onKey(event) {
    var item = event.target.closest(".map-group a, .map-labels a, .map-hits a");
    if (!item || event.altKey || event.ctrlKey || event.metaKey) return;
    var step = view.w / 8, arrow = ARROWS[event.key], next = null;
    if (arrow && event.shiftKey) panBy(arrow[0] * step, arrow[1] * step);
    else if (arrow) next = nearestToward(item, arrow[0], arrow[1]);
    else if (event.key === "PageDown" || event.key === "]") next = dense ? null : regionStep(item, 1);
    else if (event.key === "PageUp" || event.key === "[") next = dense ? null : regionStep(item, -1);
    else if (event.key === "+" || event.key === "=") { var p = place(item); zoomAt(1.6, p.x, p.y); }
    else if (event.key === "-" || event.key === "_") { var q = place(item); zoomAt(1 / 1.6, q.x, q.y); }
    else if (event.key === "0") reset();
    else if (event.key === "Escape") hideTip();
    else if (event.key === "Enter" && item.closest(".map-labels")) {
      event.preventDefault(); zoomToRegion(item); return;
    }
    else return;
    event.preventDefault();
    if (next) select(next, true);
  }

  // ------------------------------------------------------------ pointer: drag, pinch, wheel

  var pointers = new Map(), moved = 0, pinch = null;

  var touched = false;  // the last pointer was a finger: a first tap shows a dot's label
  var currentAtDown = null, shownAtDown = false;

  function onDown(event) {
    touched = event.pointerType === "touch";
    currentAtDown = current;
    shownAtDown = !tip.hidden;
    if (event.button > 0) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    moved = pointers.size > 1 ? 99 : 0;
    pinch = null;
  }

  function onMove(event) {
    var last = pointers.get(event.pointerId);
    if (!last) return;
    var now = { x: event.clientX, y: event.clientY };
    if (pointers.size === 1) {
      moved += Math.abs(now.x - last.x) + Math.abs(now.y - last.y);
      if (moved > 5) {
        if (!svg.hasPointerCapture(event.pointerId)) svg.setPointerCapture(event.pointerId);
        svg.classList.add("is-dragging");
        var scale = unit();
        panBy((last.x - now.x) * scale, (last.y - now.y) * scale);
      }
    }
    pointers.set(event.pointerId, now);
    if (pointers.size === 2) {
      var pts = Array.from(pointers.values());
      var gap = Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y);
      var mid = toMap((pts[0].x + pts[1].x) / 2, (pts[0].y + pts[1].y) / 2);
      if (pinch && gap > 0) zoomAt(gap / pinch, mid.x, mid.y);
      pinch = gap;
    }
  }

  function onUp(event) {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (!pointers.size) svg.classList.remove("is-dragging");
  }

  // The wheel zooms only a map the reader is using (focus inside it) or with Ctrl/Cmd held:
  // otherwise it scrolls the page, so a reader scrolling past the map is never trapped in it.
  var wheelHint = null, wheelHintTimer = 0;
  function showWheelHint() {
    if (!wheelHint) {
      wheelHint = document.createElement("p");
      wheelHint.className = "map-wheel-hint";
      wheelHint.setAttribute("aria-hidden", "true");
      wheelHint.textContent = "Click the map, or hold " +
        (/Mac|iPhone|iPad/.test(navigator.platform) ? "\u2318" : "Ctrl") + " while scrolling, to zoom";
      frame.appendChild(wheelHint);
    }
    wheelHint.hidden = false;
    clearTimeout(wheelHintTimer);
    wheelHintTimer = setTimeout(function () { wheelHint.hidden = true; }, 1500);
  }

  function onWheel(event) {
    if (!(event.ctrlKey || event.metaKey || figure.contains(document.activeElement))) {
      showWheelHint();
      return;
    }
    event.preventDefault();
    var at = toMap(event.clientX, event.clientY);
    var amount = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    zoomAt(Math.pow(1.0015, -amount), at.x, at.y);
  }

  /** A click after a drag is no click; a first tap on a dot shows its label instead. */
  function onClick(event) {
    var item = event.target.closest(".map-group a, .map-labels a, .map-hits a");
    if (moved > 5) { event.preventDefault(); moved = 0; return; }
    if (!item) { hideTip(); return; }
    if (item.closest(".map-labels")) { event.preventDefault(); zoomToRegion(item); select(item, true); return; }
    // (Focus comes before the click: what showed at the touch decides.)
    if (touched && !(shownAtDown && item === currentAtDown)) { event.preventDefault(); select(item, true); }
  }

  // ------------------------------------------------------------ regions

  function zoomToRegion(label) {
    var number = +label.getAttribute("data-region") - 1;
    var links = regions[number] ? regions[number].querySelectorAll("ul a") : [];
    var points = Array.prototype.map.call(links, function (link) { return bySlug.get(slugOf(link)); })
      .filter(Boolean).map(place);
    var middle = place(label);
    if (points.length < 2) { centreOn(middle, Math.max(MIN_WIDTH, view.w / 2.5)); return; }
    var xs = points.map(function (p) { return p.x; }), ys = points.map(function (p) { return p.y; });
    var span = Math.max(Math.max.apply(null, xs) - Math.min.apply(null, xs),
      Math.max.apply(null, ys) - Math.min.apply(null, ys));
    centreOn({ x: (Math.max.apply(null, xs) + Math.min.apply(null, xs)) / 2,
      y: (Math.max.apply(null, ys) + Math.min.apply(null, ys)) / 2 }, span * 1.25 + 40);
  }

  function setUpRegionButtons() {
    Array.prototype.forEach.call(document.querySelectorAll(".map-show-region"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var label = svg.querySelector('.map-labels a[data-region="' + button.getAttribute("data-region") + '"]');
        if (!label) return;
        figure.scrollIntoView({ block: "start" });
        zoomToRegion(label);
        var first = regions[+button.getAttribute("data-region") - 1].querySelector("ul a");
        var dot = first && bySlug.get(slugOf(first));
        select(dense || !dot ? label : dot, true);
      });
    });
  }

  /** The map stays one Tab stop when the item holding it is hidden with its theme. */
  function keepTabStop() {
    var all = items(), stop = all.filter(function (i) { return i.getAttribute("tabindex") === "0"; })[0];
    if (stop && visible(stop)) return;
    var next = all.filter(visible)[0];
    if (stop) stop.setAttribute("tabindex", "-1");
    if (next) next.setAttribute("tabindex", "0");
  }

  // ------------------------------------------------------------ legend: theme toggles

  function setUpLegend() {
    var help = document.querySelector(".map-legend-help");
    if (help) help.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll(".map-legend li[data-theme]"), function (item) {
      var slug = item.getAttribute("data-theme");
      var group = svg.querySelector('.map-group[data-theme="' + slug + '"]');
      var button = item.querySelector(".map-toggle");
      button.disabled = false;
      function light(on) {
        svg.classList.toggle("is-dimmed", on && !group.classList.contains("is-off"));
        group.classList.toggle("is-lit", on);
      }
      button.addEventListener("click", function () {
        var on = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", on ? "true" : "false");
        group.classList.toggle("is-off", !on);
        light(false);
        if (!on && current && current.closest(".map-group") === group) hideTip();
        keepTabStop();
      });
      item.addEventListener("mouseenter", function () { light(true); });
      item.addEventListener("mouseleave", function () { light(false); });
      button.addEventListener("focus", function () { light(true); });
      button.addEventListener("blur", function () { light(false); });
    });
  }

  // ------------------------------------------------------------ a dense map's papers

  // Every paper's position in the search's numbering (the order papers arrived in), 4
  // characters each.
  var CODE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DENSE_HITS = 300;  // search hits marked on a dense map, the best first
  var packed = document.getElementById("map-coords");
  var SVG_NS = "http://www.w3.org/2000/svg";
  var hitLayer = null;

  function positionOf(ref) {
    var text = packed ? packed.textContent : "", at = 4 * ref;
    if (!text || at + 4 > text.length) return null;
    var digit = function (i) { return CODE.indexOf(text.charAt(at + i)); };
    var x = digit(0) * 64 + digit(1), y = digit(2) * 64 + digit(3);
    return x || y ? { x: x, y: y } : null;
  }

  /** A dot for a paper the search found (title and slug from the search's own records). */
  function hitDot(ref, root) {
    var spot = positionOf(ref), paper = self.SitegenSearch.paper && self.SitegenSearch.paper(ref);
    if (!spot || !paper) return null;
    var link = document.createElementNS(SVG_NS, "a");
    link.setAttribute("href", root + "papers/" + paper.slug + "/");
    link.setAttribute("tabindex", "-1");
    var toggle = document.querySelector('.map-toggle[data-theme="' + paper.theme + '"]');
    var colour = toggle ? toggle.parentNode.className.split(" ")[0] : "";
    link.setAttribute("data-colour", colour);
    link.setAttribute("class", colour);
    link.setAttribute("data-theme-name", paper.themeTitle);
    var title = document.createElementNS(SVG_NS, "title");
    title.textContent = paper.title;
    var dot = document.createElementNS(SVG_NS, "circle");
    dot.setAttribute("cx", spot.x);
    dot.setAttribute("cy", spot.y);
    dot.setAttribute("r", "7");
    link.appendChild(title);
    link.appendChild(dot);
    return link;
  }

  /** Draw a search result's hits on a dense map (null: remove them). */
  function markHits(result) {
    if (!dense) return;
    if (hitLayer) hitLayer.remove();
    hitLayer = null;
    hitDots = [];
    if (!result || !result.hits.length) return;
    var root = figure.querySelector(".map-search").getAttribute("action").replace(/search\/$/, "");
    hitLayer = document.createElementNS(SVG_NS, "g");
    hitLayer.setAttribute("class", "map-hits");
    result.hits.slice().reverse().forEach(function (hit) {  // the best drawn last, on top
      var dot = hitDot(+hit.ref, root);
      if (dot) { hitLayer.appendChild(dot); hitDots.unshift(dot); }
    });
    svg.insertBefore(hitLayer, svg.querySelector(".map-labels"));
  }

  /** A paper by slug on a dense map: asked of the search by the slug's words. */
  function findPaper(slug) {
    if (!self.SitegenSearch) {  // search.js may run after this script: wait for the page
      return new Promise(function (resolve) {
        window.addEventListener("load", function () {
          resolve(self.SitegenSearch ? findPaper(slug) : null);
        }, { once: true });
      });
    }
    if (!self.SitegenSearch.paper) return Promise.resolve(null);
    return self.SitegenSearch.query(slug.replace(/-/g, " "), { limit: 50 }).then(function (result) {
      var hit = result.hits.filter(function (h) { return self.SitegenSearch.paper(+h.ref).slug === slug; })[0];
      return hit ? { hits: [hit], total: 1 } : null;
    }, function () { return null; });
  }

  // ------------------------------------------------------------ search highlight

  /** Say how many papers match, how many are marked, and link to all of them in search. */
  function describe(status, total, marked, searchUrl) {
    status.textContent = "";
    if (!total) { status.textContent = "No paper matches."; return; }
    var said = total + (total === 1 ? " paper matches" : " papers match");
    status.textContent = said + (marked < total ? "; the best " + marked + " are marked (" : " (");
    var all = document.createElement("a");
    all.href = searchUrl;
    all.textContent = "see them in search";
    status.appendChild(all);
    status.appendChild(document.createTextNode("); Enter goes to the best."));
  }

  function setUpSearch() {
    var form = figure.querySelector(".map-search");
    var input = form.querySelector("input");
    var status = form.querySelector(".map-status");
    var timer = 0, asked = 0, hits = [];
    var total = +figure.getAttribute("data-total") || dots.length;
    var root = form.getAttribute("action").replace(/search\/$/, "");

    function clear() {
      svg.classList.remove("is-searching");
      markHits(null);
      dots.forEach(function (dot) { dot.classList.remove("is-hit"); });
      hits = [];
      status.textContent = "";
    }

    function show(query, result) {
      clear();
      if (dense) {
        markHits(result);
        hits = hitDots.slice();
      } else {
        result.hits.forEach(function (hit) {
          var paper = self.SitegenSearch.paper(+hit.ref);  // runQuery loaded its record
          var dot = paper && bySlug.get(paper.slug);
          if (dot) { dot.classList.add("is-hit"); hits.push(dot); }
        });
      }
      svg.classList.toggle("is-searching", hits.length > 0);
      describe(status, result.total, hits.length, root + "search/?q=" + encodeURIComponent(query));
    }

    /** Ask the site's search; resolves once the map shows the answer (or fails to). */
    function run() {
      var query = input.value.trim(), mine = ++asked;
      if (!query) { clear(); return Promise.resolve(); }
      if (!self.SitegenSearch) { status.textContent = "Search is not available."; return Promise.resolve(); }
      return self.SitegenSearch.query(query, { limit: dense ? DENSE_HITS : total }).then(function (result) {
        if (mine === asked) show(query, result);
      }, function () {
        if (mine === asked) status.textContent = "The search index could not be loaded.";
      });
    }

    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 120); });
    // The first answers may come from the titles alone; ask again once the full index is in.
    new MutationObserver(function () {
      if (document.documentElement.getAttribute("data-search-index") === "full") run();
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-search-index"] });
    input.addEventListener("focus", function () { if (self.SitegenSearch) self.SitegenSearch.load().catch(function () {}); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run().then(function () {
        if (hits.length) { centreOn(place(hits[0]), Math.min(view.w, SIZE / 3)); select(hits[0], true); }
      });
    });
  }

  // ------------------------------------------------------------ a paper from the URL

  /** map/?paper=<slug> (model/urls.py map_url): centre and zoom on that paper and focus it. */
  function followLink() {
    var slug = new URLSearchParams(location.search).get("paper") || "";
    if (slug && dense) {
      findPaper(slug).then(function (found) {
        if (!found) return;
        markHits(found);
        if (!hitDots.length) return;
        figure.scrollIntoView({ block: "start" });
        centreOn(place(hitDots[0]), SIZE / 4);
        select(hitDots[0], true);
      });
      return;
    }
    var dot = slug && bySlug.get(slug);
    if (!dot) return;
    var group = dot.closest(".map-group");
    if (group.classList.contains("is-off")) {
      group.classList.remove("is-off");
      var toggle = document.querySelector('.map-toggle[data-theme="' + group.getAttribute("data-theme") + '"]');
      if (toggle) toggle.setAttribute("aria-pressed", "true");
    }
    figure.scrollIntoView({ block: "start" });
    centreOn(place(dot), SIZE / 4);
    select(dot, true);
  }

  // ------------------------------------------------------------ start

  figure.querySelector(".map-tools").hidden = false;
  figure.querySelector(".map-zoom").addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var kind = button.getAttribute("data-zoom");
    var middle = { x: view.x + view.w / 2, y: view.y + view.w / 2 };
    if (kind === "reset") reset(); else zoomAt(kind === "in" ? 1.6 : 1 / 1.6, middle.x, middle.y);
  });
  svg.addEventListener("keydown", onKey);
  svg.addEventListener("pointerdown", onDown);
  svg.addEventListener("pointermove", onMove);
  svg.addEventListener("pointerup", onUp);
  svg.addEventListener("pointercancel", onUp);
  svg.addEventListener("wheel", onWheel, { passive: false });
  svg.addEventListener("click", onClick);
  svg.addEventListener("focusin", function (event) {
    var item = event.target.closest(".map-group a, .map-labels a, .map-hits a");
    if (item && item !== current) select(item, false);
    else if (item) showTip(item);
  });
  svg.addEventListener("mouseover", function (event) {
    var dot = event.target.closest(".map-group a, .map-hits a");
    if (dot && !pointers.size) showTip(dot);
  });
  svg.addEventListener("mouseout", function (event) {
    var dot = event.target.closest(".map-group a, .map-hits a");
    if (dot && !dot.contains(event.relatedTarget)) {
      if (current && (current === document.activeElement)) showTip(current); else hideTip();
    }
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") hideTip(); });
  window.addEventListener("resize", apply);
  window.addEventListener("popstate", followLink);
  if (items().length) items()[0].setAttribute("tabindex", "0");
  setUpLegend();
  setUpRegionButtons();
  setUpSearch();
  apply();
  followLink();
})();
