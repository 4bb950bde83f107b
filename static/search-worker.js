/* sitegen search worker: downloads, parses and loads the full lunr index off the
 * main thread, then answers queries a page of hits at a time. Used over http(s)
 * only; on file:// the page does the same work itself (Chromium refuses Workers
 * there).
 *
 * in:  {type: "load", titles: titles.js URL, urls: [index chunk script URLs], names}
 *      {type: "search", id, query, options: {prefixLast, offset, limit, theme}}
 * out: {type: "ready", ms} | {type: "failed", message} | {type: "result", id, result}
 * (result: see Searcher.prototype.query in search-engine.js; only one page of
 * hits crosses over, never one object per matching paper).
 */
"use strict";
importScripts("vendor/lunr.min.js", "search-engine.js");

var engine = self.SitegenSearchEngine;
var searcher = null;

function load(message) {
  var started = Date.now();
  try {
    // titles.js is in the HTTP cache already: the page loaded it first.
    importScripts.apply(self, [message.titles].concat(message.urls));
    var store = self.SITEGEN_SEARCH;
    searcher = engine.openFull(store.titles, function (name) { return store[name]; });
    self.SITEGEN_SEARCH = null; // the loaded index is all we keep
    self.postMessage({ type: "ready", ms: Date.now() - started });
  } catch (err) {
    self.postMessage({ type: "failed", message: String(err && err.message) });
  }
}

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "load") {
    load(message);
  } else if (message.type === "search" && searcher) {
    var result = searcher.query(message.query, message.options);
    self.postMessage({ type: "result", id: message.id, result: result });
  }
};
