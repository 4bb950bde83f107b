#!/usr/bin/env node
/* Run queries through lunr.js on the search index a sitegen build wrote.
 *
 * usage: node tests/search_parity.js SITE_DIR < queries.json > results.json
 * queries.json: ["query", ...]. For each query prints {query, refs, scores, error}
 * from lunr.Index#search (lunr.js 2.3.9 from node_modules/lunr at the repo root)
 * on the index rebuilt from SITE_DIR/search/ (head and every shard) by the same
 * static/search-engine.js the browser uses, plus engine, mode: the refs (all of
 * them, in rank order) and mode of sitegen's own ranking (SitegenSearchEngine.search).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const repo = path.resolve(__dirname, "..");
const lunr = require(path.join(repo, "node_modules", "lunr"));
const makeEngine = require(path.join(repo, "static", "search-engine.js"));
const engine = makeEngine(lunr);

/** Evaluate one data script in a sandbox and return what it stored. */
function loadScript(file, sandbox) {
  vm.runInContext(fs.readFileSync(file, "utf8"), sandbox, { filename: file });
}

function main() {
  const site = process.argv[2];
  const sandbox = vm.createContext({ JSON });
  sandbox.self = sandbox;
  const load = (name) => {
    loadScript(path.join(site, "search", name + ".js"), sandbox);
    return sandbox.SITEGEN_SEARCH[name];
  };
  const full = engine.openFull(load("titles"), load).index;
  full.loadAll();
  const queries = JSON.parse(fs.readFileSync(0, "utf8"));
  const out = queries.map((query) => {
    const row = { query, refs: null, scores: null, error: null };
    try {
      const hits = full.lunr.search(query);
      row.refs = hits.map((h) => h.ref);
      row.scores = hits.map((h) => h.score);
    } catch (err) {
      row.error = String(err && err.name);
    }
    const result = engine.search(full, query, {});
    row.engine = result.ranking.ordered().map(String);
    row.mode = result.mode;
    return row;
  });
  process.stdout.write(JSON.stringify(out));
}

main();
