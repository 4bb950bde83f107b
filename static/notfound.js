/* 404.html: for a mistyped paper address, suggest the papers whose addresses are closest, and
   offer a search for its words. Reads papers/cards.js (the A-Z list's cards), no network. */
(function () {
  "use strict";
  var box = document.querySelector("[data-suggestions]");
  if (!box) return;
  var match = /\/papers\/([^/?#]+)/.exec(location.pathname);
  var slug = match ? decodeURIComponent(match[1]).toLowerCase() : "";
  var words = (slug || location.pathname).toLowerCase().split(/[^a-z0-9]+/).filter(function (w) {
    return w.length > 1 && w !== "html" && w !== "index" && w !== "papers";
  });
  if (!words.length) return;

  var search = box.querySelector("[data-search-link]");
  search.setAttribute("href", "search/?q=" + encodeURIComponent(words.join(" ")));
  search.querySelector("q").textContent = words.join(" ");
  box.hidden = false;
  if (!slug || !window.SitegenSearchEngine) return;

  // The search engine's own edit distance and typo allowance (it needs lunr only to search).
  var engine = window.SitegenSearchEngine;

  /** How well a word of the address matches the best word of a paper's address (0-1). */
  function wordScore(word, candidates) {
    var best = 0;
    candidates.forEach(function (other) {
      if (other === word) best = 1;
      else if (best < 0.8 && other.length > 3 && (other.indexOf(word) === 0 || word.indexOf(other) === 0)) best = 0.8;
      else if (best < 0.7) {
        var limit = engine.typoLimit(word);
        if (limit && engine.editDistance(word, other, limit) <= limit) best = 0.7;
      }
    });
    return best;
  }

  var STOP = ["a", "an", "the", "of", "for", "and", "in", "on", "to", "with", "via", "from", "by", "is", "at"];
  var keys = words.filter(function (w) { return STOP.indexOf(w) < 0; });
  if (!keys.length) keys = words;

  window.sitegenCards = function (data) {
    var scored = data.cards.map(function (row) {
      var slug = row[0] || window.sitegenSlugify(row[1]);  // "" where the title gives it
      var theirs = slug.split("-").filter(function (w) { return STOP.indexOf(w) < 0; });
      var total = 0;
      keys.forEach(function (w) { total += wordScore(w, theirs); });
      // Words of theirs the address lacks count against it a little.
      var extra = Math.min(0.2, 0.02 * Math.max(0, theirs.length - keys.length));
      return { row: row, slug: slug, score: total / keys.length - extra };
    }).filter(function (s) { return s.score >= 0.45; });
    scored.sort(function (a, b) { return b.score - a.score || (a.row[1] < b.row[1] ? -1 : 1); });
    var list = box.querySelector("[data-suggestion-list]");
    scored.slice(0, 5).forEach(function (s) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "papers/" + s.slug + "/";  // model/urls.py paper_url (links resolve against <base>)
      link.textContent = s.row[1];
      item.appendChild(link);
      list.appendChild(item);
    });
    box.querySelector("[data-suggestion-heading]").hidden = !list.children.length;
  };
  var script = document.createElement("script");
  script.src = "papers/cards.js";  // resolves against <base>, the site root
  document.head.appendChild(script);
})();
