/* sitegen search worker: downloads, parses and loads the full lunr index off the
 * main thread, then answers queries. Used over http(s) only; on file:// the page
 * does the same work itself (Chromium refuses Workers there).
 *
 * in:  {type: "load", urls: [index chunk script URLs]}
 *      {type: "search", id, query, options}
 * out: {type: "ready", ms} | {type: "failed", message} | {type: "result", id, result}
 */
"use strict";
importScripts("vendor/lunr.min.js", "search-engine.js");

var engine = self.SitegenSearchEngine;
var index = null;

function load(urls) {
  var started = Date.now();
  try {
    importScripts.apply(self, urls);
    var chunks = urls.map(function (_, i) {
      return self.SITEGEN_SEARCH["index-" + String(i).padStart(3, "0")];
    });
    index = new engine.FullIndex(engine.assemble(chunks));
    self.SITEGEN_SEARCH = null; // the loaded index is all we keep
    self.postMessage({ type: "ready", ms: Date.now() - started });
  } catch (err) {
    self.postMessage({ type: "failed", message: String(err && err.message) });
  }
}

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "load") {
    load(message.urls);
  } else if (message.type === "search" && index) {
    var started = performance.now();
    var result = engine.search(index, message.query, message.options);
    result.ms = performance.now() - started;
    self.postMessage({ type: "result", id: message.id, result: result });
  }
};
