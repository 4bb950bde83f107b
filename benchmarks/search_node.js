#!/usr/bin/env node
/* Run queries through the site's own search engine (static/search-engine.js) in node.
 *
 * usage: node benchmarks/search_node.js SITE_DIR < queries.json > results.json
 * queries.json: {"queries": ["query", ...], "limit": 10, "offset": 0, "theme": -1,
 * "prefixLast": false, "stage": "full" or "titles"}. Prints {load_ms, results: [{query, refs, total,
 * full, notice, mode, corrected, expansions, terms, ms}]}: refs are the top `limit`
 * paper numbers of the results page (the dropdown's with prefixLast), terms the
 * matched terms of the first.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const repo = path.resolve(__dirname, "..");
const lunr = require(path.join(repo, "node_modules", "lunr"));
const engine = require(path.join(repo, "static", "search-engine.js"))(lunr);

function main() {
  const site = process.argv[2];
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  const sandbox = vm.createContext({ self: {} });
  const load = (name) => {
    const file = path.join(site, "search", name + ".js");
    vm.runInContext(fs.readFileSync(file, "utf8"), sandbox, { filename: file });
    return sandbox.self.SITEGEN_SEARCH[name];
  };
  const started = Date.now();
  const manifest = load("titles");
  const searcher = request.stage === "titles" ? engine.openTitles(manifest) : engine.openFull(manifest, load);
  const shardsBefore = () => searcher.index.postings.filter(Boolean).length;
  const loadMs = Date.now() - started;
  const results = request.queries.map((query) => {
    const r = searcher.query(query, {
      limit: request.limit || 10, offset: request.offset || 0, theme: request.theme,
      prefixLast: !!request.prefixLast,
    });
    return {
      query, refs: r.hits.map((h) => +h.ref), total: r.total, full: r.full,
      notice: r.notice, mode: r.mode, corrected: r.corrected, expansions: r.expansions,
      terms: r.hits.length ? r.hits[0].terms : [], ms: r.ms,
    };
  });
  process.stdout.write(JSON.stringify({ load_ms: loadMs, results }));
}

main();
