#!/usr/bin/env node
/* Run queries through lunr.js on the search index a sitegen build wrote.
 *
 * usage: node tests/search_parity.js SITE_DIR < queries.json > results.json
 * queries.json: ["query", ...]. For each query prints {query, refs, scores, error}
 * from lunr.Index#search (lunr.js 2.3.9 from node_modules/lunr at the repo root)
 * on the index reassembled from SITE_DIR/search/index-*.js by the same
 * static/search-engine.js the browser uses, plus
 * - engine, mode: the refs and mode SitegenSearchEngine.search (fallbacks, typo
 *   retry, title phrases first) gives;
 * - fast: null when FullIndex#rank (the engine's own query evaluation) returns
 *   exactly lunr's Index#query refs, scores and matched terms for every clause
 *   list the engine builds from the query (as typed, as-you-type, typo retry);
 *   otherwise a description of the first difference;
 * - checked: how many clause lists were compared.
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

/** The clause lists the engine may run for a query. */
function clauseLists(full, query) {
  const lists = [];
  try {
    lists.push(engine.parseClauses(query, full.fields));
  } catch (err) {
    // not lunr syntax: the engine falls back to the plain words below
  }
  const words = engine.plainWords(query);
  if (words.length) {
    lists.push(engine.plainClauses(words, full.fields, true));
    lists.push(engine.plainClauses(words, full.fields, false));
  }
  return lists.concat(lists.map(engine.fuzzyClauses).filter(Boolean));
}

/** null if rank() and lunr agree exactly on clauses, else what differs. */
function difference(full, clauses) {
  let expected;
  try {
    expected = full.run(clauses);
  } catch (err) {
    return null; // lunr itself refuses these clauses; the engine never sends them
  }
  const got = full.rank(clauses);
  if (got.count !== expected.length) return `count ${got.count} != ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    if (String(got.refs[i]) !== want.ref) return `rank ${i}: ref ${got.refs[i]} != ${want.ref}`;
    if (got.scores[i] !== want.score) return `rank ${i}: score ${got.scores[i]} != ${want.score}`;
    const terms = got.terms(got.refs[i]).slice().sort().join(" ");
    if (terms !== want.terms.slice().sort().join(" ")) return `ref ${want.ref}: terms ${terms}`;
  }
  return null;
}

function main() {
  const site = process.argv[2];
  const sandbox = vm.createContext({ JSON });
  sandbox.self = sandbox;
  loadScript(path.join(site, "search", "titles.js"), sandbox);
  const manifest = sandbox.SITEGEN_SEARCH.titles;
  const chunks = manifest.index.map((name) => {
    loadScript(path.join(site, "search", name + ".js"), sandbox);
    return sandbox.SITEGEN_SEARCH[name];
  });
  const titles = manifest.docs.map((d) => d[0]);
  const full = new engine.FullIndex(engine.assemble(chunks), titles);
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
    row.engine = Array.from(result.ranking.refs, String);
    row.mode = result.mode;
    const lists = clauseLists(full, query);
    row.checked = lists.length;
    row.fast = lists.map((clauses) => difference(full, clauses)).find(Boolean) || null;
    row.fastPath = full.fast;
    return row;
  });
  process.stdout.write(JSON.stringify(out));
}

main();
