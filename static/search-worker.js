/* sitegen search worker: loads the index head off the main thread, then answers
 * queries a page of hits at a time, loading the shards (term postings) each query
 * needs, synchronously, as it needs them. Used over http(s) only; on file:// the
 * page does the same work itself (Chromium refuses Workers there).
 *
 * in:  {type: "load", titles: titles.js URL, data: the search/ folder's URL}
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
    importScripts(message.titles);
    var store = self.SITEGEN_SEARCH;
    var manifest = store.titles;
    searcher = engine.openFull(manifest, function (name) {
      importScripts(message.data + name + ".js");
      var data = store[name];
      delete store[name]; // the index keeps what it needs
      return data;
    });
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
    var result;
    try {
      result = searcher.query(message.query, message.options);
    } catch (err) {
      // A shard failed to load (the site changed under us): the page starts over.
      self.postMessage({ type: "failed", message: String(err && err.message) });
      return;
    }
    self.postMessage({ type: "result", id: message.id, result: result });
  }
};
