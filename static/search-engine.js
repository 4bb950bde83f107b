/* sitegen search engine: the query logic shared by the page, the worker and the
 * node parity test. No DOM here. Loads after lunr (2.3.9) and exposes
 * self.SitegenSearchEngine (or module.exports under node, given lunr).
 *
 * Two indexes answer the same search() call:
 * - TitleIndex: built in the browser from search/titles.js (titles only), so the
 *   first results come before the full index has downloaded;
 * - FullIndex: the full index, decoded from the compact chunks sitegen.search
 *   writes (assemble); lunr's own Index over it is built only if needed.
 * Both return a Ranking: every matching paper number in rank order, their scores,
 * and terms(ref), the index terms that matched one paper (for highlighting).
 * A Searcher wraps an index, keeps the last few rankings and hands out one page of
 * hits at a time ({ref, score, terms}), with the total and per-theme counts, so
 * nothing ever builds, sends or renders one object per matching paper.
 *
 * FullIndex.rank is lunr.Index#query re-done over flat typed-array postings built
 * once at load: the same term expansion (lunr's own TokenSet), the same presence
 * rules, the same float operations in the same order, so the same refs, scores
 * and order as lunr (tests/search_parity.js checks this against lunr.js), without
 * lunr's per-match objects (MatchData, FieldRef strings, Sets of refs), which made
 * broad queries over 10,000 papers take 100-500 ms.
 */
(function (global, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) {
    module.exports = factory;
  } else {
    global.SitegenSearchEngine = factory(global.lunr);
  }
})(typeof self !== "undefined" ? self : this, function (lunr) {
  "use strict";

  var TYPO_MIN_LENGTH = 5; // only terms this long get edit distance 1 on retry
  var SYNTAX = /[+\-:*~^"]/;

  /* ---- text helpers ---------------------------------------------------- */

  var termMemo = new Map();

  /** The index term a raw word becomes (lunr's trimmer, stop words, stemmer); "" if none. */
  function indexTerm(raw) {
    var lower = raw.toLowerCase();
    var known = termMemo.get(lower);
    if (known !== undefined) return known;
    var token = lunr.trimmer(new lunr.Token(lower, {}));
    var term = "";
    if (token && token.toString() && lunr.stopWordFilter(token)) {
      term = lunr.stemmer(token).toString();
    }
    termMemo.set(lower, term);
    return term;
  }

  /** Index terms of a text, as lunr's tokenizer and pipeline would make them. */
  function termsOf(text) {
    var out = [];
    var words = String(text || "").split(lunr.tokenizer.separator);
    for (var i = 0; i < words.length; i++) {
      if (!words[i]) continue;
      var term = indexTerm(words[i]);
      if (term) out.push(term);
    }
    return out;
  }

  /** Words of a query with lunr's syntax characters removed. */
  function plainWords(query) {
    return String(query)
      .replace(/[+:*~^"]|(^|\s)-/g, " ")
      .split(/[\s\-]+/)
      .map(function (w) { return w.replace(/^\W+|\W+$/g, ""); })
      .filter(Boolean);
  }

  /** Lower-case words joined by single spaces, for phrase comparison. */
  function normalise(text) {
    return " " + String(text || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(" ") + " ";
  }

  /** Split text into [{text, hit}] runs, marking words whose index term is in terms. */
  function highlight(text, terms) {
    var wanted = new Set(terms);
    var runs = [];
    var re = /[^\s\-]+/g;
    var last = 0;
    var m;
    text = String(text || "");
    while ((m = re.exec(text))) {
      var word = m[0];
      var core = word.match(/^(\W*)(.*?)(\W*)$/);
      if (wanted.size && core && core[2] && wanted.has(indexTerm(core[2]))) {
        var start = m.index + core[1].length;
        var end = start + core[2].length;
        if (start > last) runs.push({ text: text.slice(last, start), hit: false });
        runs.push({ text: text.slice(start, end), hit: true });
        last = end;
      }
    }
    if (last < text.length) runs.push({ text: text.slice(last), hit: false });
    return runs;
  }

  /** A window of about size characters of text around its first highlighted word. */
  function snippet(text, terms, size) {
    text = String(text || "");
    size = size || 220;
    var runs = highlight(text, terms);
    var offset = 0;
    var first = -1;
    for (var i = 0; i < runs.length; i++) {
      if (runs[i].hit) { first = offset; break; }
      offset += runs[i].text.length;
    }
    var start = first < 0 ? 0 : Math.max(0, first - Math.floor(size / 3));
    if (start > 0) {
      var space = text.indexOf(" ", start);
      if (space >= 0 && space < first) start = space + 1;
    }
    var end = Math.min(text.length, start + size);
    if (end < text.length) {
      var cut = text.lastIndexOf(" ", end);
      if (cut > start + size / 2) end = cut;
    }
    return {
      text: text.slice(start, end),
      before: start > 0,
      after: end < text.length,
      found: first >= 0,
    };
  }

  /* ---- queries ---------------------------------------------------------- */

  /** Quoted phrases of a query, and the query with each phrase's words made required. */
  function splitPhrases(query) {
    var phrases = [];
    var rest = query.replace(/"([^"]*)"/g, function (_, inner) {
      var words = plainWords(inner);
      if (words.length) phrases.push(words.join(" "));
      return " " + words.map(function (w) { return "+" + w; }).join(" ") + " ";
    });
    return { phrases: phrases, rest: rest };
  }

  /** Parse a lunr query string into clauses; throws lunr.QueryParseError. */
  function parseClauses(text, fields) {
    var query = new lunr.Query(fields);
    new lunr.QueryParser(text, query).parse();
    query.clauses.forEach(function (clause) {
      if (!/[\p{L}\p{N}]/u.test(clause.term)) {
        throw new lunr.QueryParseError('"' + clause.term + '" has no letters or digits', 0, 0);
      }
    });
    return query.clauses;
  }

  /**
   * Clauses for plain words. Search-as-you-type (prefixLast) requires every word and
   * matches the last one as a prefix of an index term; otherwise words are optional,
   * as in lunr's own query language. Stop words are dropped: the index has none.
   */
  function plainClauses(words, fields, prefixLast) {
    var presence = prefixLast ? lunr.Query.presence.REQUIRED : lunr.Query.presence.OPTIONAL;
    var kept = words.filter(function (w) { return indexTerm(w); });
    if (!kept.length) kept = words.slice(0, 1);
    var full = prefixLast ? kept.slice(0, -1) : kept;
    var clauses = full.map(function (w) {
      return { term: w.toLowerCase(), fields: fields, boost: 1, usePipeline: true,
        wildcard: lunr.Query.wildcard.NONE, presence: presence };
    });
    if (prefixLast && kept.length) {
      var last = kept[kept.length - 1].toLowerCase();
      clauses.push({ term: (indexTerm(last) || last) + "*", fields: fields, boost: 1,
        usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING, presence: presence });
    }
    return clauses;
  }

  /** The same clauses with every word optional (null when nothing changes). */
  function optionalClauses(clauses) {
    if (!clauses.some(function (c) { return c.presence === lunr.Query.presence.REQUIRED; })) return null;
    return clauses.map(function (c) {
      return Object.assign({}, c, { presence: lunr.Query.presence.OPTIONAL });
    });
  }

  /** The same clauses with edit distance 1 on terms of TYPO_MIN_LENGTH or more letters. */
  function fuzzyClauses(clauses) {
    var changed = false;
    var out = clauses.map(function (c) {
      var copy = Object.assign({}, c);
      if (!c.editDistance && c.wildcard === lunr.Query.wildcard.NONE &&
          c.term.length >= TYPO_MIN_LENGTH && c.presence !== lunr.Query.presence.PROHIBITED) {
        copy.editDistance = 1;
        changed = true;
      }
      return copy;
    });
    return changed ? out : null;
  }

  /**
   * Run a user query against an index ({fields, rank(clauses) -> Ranking}).
   * Never throws on user input: a malformed query becomes a plain word search, and
   * `notice` says so. options.prefixLast: also match the last word as a prefix
   * (search-as-you-type), used only for queries without lunr syntax.
   * Returns {ranking, notice, mode, phrases}; title phrase matches are ranked first.
   */
  function search(index, query, options) {
    options = options || {};
    query = String(query || "").trim();
    var result = { ranking: EMPTY, notice: "", mode: "exact", phrases: [] };
    if (!query) return result;
    var fields = index.fields;
    var split = splitPhrases(query);
    var clauses;
    try {
      if ((query.match(/"/g) || []).length % 2) {
        throw new lunr.QueryParseError("unmatched quote", 0, 0);
      }
      if (!SYNTAX.test(query) && options.prefixLast) {
        clauses = plainClauses(plainWords(query), fields, true);
        result.ranking = index.rank(clauses);
        var anyWord = optionalClauses(clauses);
        if (!result.ranking.count && anyWord) result.ranking = index.rank((clauses = anyWord));
      } else {
        clauses = parseClauses(split.rest, fields);
        result.ranking = index.rank(clauses);
      }
      result.phrases = split.phrases.slice();
    } catch (err) {
      var words = plainWords(query);
      result.mode = "plain";
      result.notice = "Could not read \u201c" + query + "\u201d as a query (" +
        (err && err.message ? err.message : "syntax error") + "); " +
        (words.length ? "showing results for the plain words \u201c" + words.join(" ") + "\u201d."
          : "there are no words to search for.");
      clauses = plainClauses(words, fields, false);
      result.ranking = clauses.length ? index.rank(clauses) : EMPTY;
    }
    if (!result.ranking.count && clauses && clauses.length) {
      var fuzzy = fuzzyClauses(clauses);
      if (fuzzy) {
        var typo = index.rank(fuzzy);
        if (typo.count) {
          result.ranking = typo;
          result.mode = "typo";
          result.notice = (result.notice ? result.notice + " " : "") +
            "No exact matches; showing results for similar spellings.";
        }
      }
    }
    if (!result.phrases.length) {
      var plain = plainWords(query).filter(function (w) { return !/^-/.test(w); });
      if (plain.length > 1 && !/(^|\s)-/.test(query)) result.phrases = [plain.join(" ")];
    }
    result.ranking = phrasesFirst(result.ranking, result.phrases, index);
    return result;
  }

  /* ---- rankings --------------------------------------------------------- */

  /**
   * Paper numbers in rank order (refs, an Int32Array), their scores, and
   * terms(ref): the matched index terms of one paper.
   */
  function Ranking(refs, scores, terms) {
    this.refs = refs;
    this.scores = scores;
    this.count = refs.length;
    this.terms = terms;
    this.phraseCount = 0; // the first phraseCount refs contain a phrase in their title
  }

  var EMPTY = new Ranking(new Int32Array(0), new Float64Array(0), function () { return []; });

  /**
   * Stable re-rank: papers whose title contains one of the phrases first, then the
   * rest, each group in score order. Titles are normalised once per index.
   */
  function phrasesFirst(ranking, phrases, index) {
    if (!phrases || !phrases.length || !ranking.count) return ranking;
    var wanted = phrases.map(normalise);
    var titles = index.normalisedTitles();
    var n = ranking.count;
    var refs = new Int32Array(n), scores = new Float64Array(n);
    var front = 0, back = 0;
    var rest = [];
    for (var i = 0; i < n; i++) {
      var title = titles[ranking.refs[i]];
      var hit = false;
      for (var w = 0; w < wanted.length && !hit; w++) hit = title.indexOf(wanted[w]) >= 0;
      if (hit) {
        refs[front] = ranking.refs[i];
        scores[front++] = ranking.scores[i];
      } else {
        rest.push(i);
      }
    }
    if (!front) return ranking;
    for (back = 0; back < rest.length; back++) {
      refs[front + back] = ranking.refs[rest[back]];
      scores[front + back] = ranking.scores[rest[back]];
    }
    var out = new Ranking(refs, scores, ranking.terms);
    out.phraseCount = front;
    return out;
  }

  /** Normalised titles of an index's papers, computed on first use. */
  function normalisedTitlesOf(index) {
    if (!index._normalised) index._normalised = index.titles.map(normalise);
    return index._normalised;
  }

  /* ---- one page of results ---------------------------------------------- */

  var CACHED = 8; // rankings a Searcher keeps (paging and theme filters reuse them)

  /**
   * Answers queries from one index, a page of hits at a time.
   * themes: the theme number of each paper (titles.js), for counts and filtering.
   */
  function Searcher(index, themes, themeCount) {
    this.index = index;
    this.themes = themes || null;
    this.themeCount = themeCount || 0;
    this.cache = [];
  }

  /** The search() result for a query, from the cache when it ran recently. */
  Searcher.prototype.ranked = function (query, prefixLast) {
    var key = (prefixLast ? "p:" : "x:") + query;
    for (var i = 0; i < this.cache.length; i++) {
      if (this.cache[i].key === key) return this.cache[i].result;
    }
    var result = search(this.index, query, { prefixLast: prefixLast });
    this.cache.unshift({ key: key, result: result });
    if (this.cache.length > CACHED) this.cache.pop();
    return result;
  };

  /**
   * options: prefixLast, offset (default 0), limit (default 20), theme (a theme
   * number; -1 or absent for all). Returns {hits, total (after the theme filter),
   * all (before it), themeCounts, phraseCount, notice, mode, phrases, ms}.
   */
  Searcher.prototype.query = function (query, options) {
    options = options || {};
    var started = now();
    var result = this.ranked(String(query || "").trim(), !!options.prefixLast);
    var ranking = result.ranking;
    var offset = Math.max(0, options.offset | 0);
    var limit = options.limit == null ? 20 : Math.max(0, options.limit | 0);
    var theme = options.theme == null ? -1 : options.theme;
    var themes = this.themes;
    var counts = [];
    for (var t = 0; t < this.themeCount; t++) counts.push(0);
    var hits = [];
    var total = 0;
    for (var i = 0; i < ranking.count; i++) {
      var ref = ranking.refs[i];
      if (themes) counts[themes[ref]]++;
      if (theme >= 0 && (!themes || themes[ref] !== theme)) continue;
      if (total >= offset && total < offset + limit) {
        hits.push({ ref: String(ref), score: ranking.scores[i], terms: ranking.terms(ref),
          phrase: i < ranking.phraseCount });
      }
      total++;
    }
    return {
      hits: hits, total: total, all: ranking.count, themeCounts: counts,
      phraseCount: ranking.phraseCount, notice: result.notice, mode: result.mode,
      phrases: result.phrases, ms: now() - started,
    };
  };

  function now() {
    return typeof performance !== "undefined" ? performance.now() : Date.now();
  }

  /* ---- the full index --------------------------------------------------- */

  /**
   * Python's round(x, 3) for x >= 0, which lunr.py applies to every weight: the
   * double nearest to x rounded to 3 decimals, half to even on x's exact value.
   * x * 1000 is off by at most an ulp, so Math.round is right unless that product
   * lies near a half; there toFixed, which rounds the exact value (half up), decides.
   */
  function round3(x) {
    var scaled = x * 1000;
    var n = Math.round(scaled);
    if (Math.abs(scaled - n) > 0.4999) {
      n = Math.round(Number(x.toFixed(3)) * 1000);
      // An exact half (x = odd / 16: the only such doubles) goes to the even neighbour.
      if ((x * 16) % 2 === 1 && n % 2) n -= 1;
    }
    return n / 1000;
  }

  /**
   * Decode the chunks of search/index-NNN.js, sitegen.search's compact index (see
   * the format there), into flat arrays: terms (by number); size (papers); start
   * (where each (paper, field) = paper * fields + field begins in term and weight);
   * term (term numbers, ascending within each); weight (lunr's field-vector weight
   * of each). The weights are lunr.py's bit for bit: the same BM25 expression in the
   * same order, rounded like Python.
   */
  function assemble(chunks) {
    var head = chunks[0];
    var F = head.fields.length;
    var terms = [], parts = [];
    chunks.forEach(function (chunk) {
      for (var i = 0; chunk.t && i < chunk.t.length; i++) terms.push(chunk.t[i]);
      if (chunk.v) parts.push(readVarints(chunk.v));
    });
    var sizes = vectorSizes(parts);
    var data = {
      version: head.version, fields: head.fields, pipeline: head.pipeline, terms: terms,
      size: sizes.vectors / F, start: new Int32Array(sizes.vectors + 1),
      term: new Int32Array(sizes.elements), weight: new Float64Array(sizes.elements),
    };
    var counts = readVectors(parts, data);
    weigh(head, data, counts);
    return data;
  }

  var VARINT_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT = new Int8Array(128);
  for (var d = 0; d < 64; d++) DIGIT[VARINT_DIGITS.charCodeAt(d)] = d;

  /** The ints of a ``v`` string (sitegen.search.varint: 5 bits a digit, lowest first, 32 = more). */
  function readVarints(text) {
    var count = 0, i;
    for (i = 0; i < text.length; i++) if (DIGIT[text.charCodeAt(i)] < 32) count++;
    var ints = new Int32Array(count), n = 0, value = 0, scale = 1;
    for (i = 0; i < text.length; i++) {
      var digit = DIGIT[text.charCodeAt(i)];
      value += (digit & 31) * scale;
      if (digit < 32) {
        ints[n++] = value;
        value = 0;
        scale = 1;
      } else {
        scale *= 32;
      }
    }
    return ints;
  }

  /** How many (paper, field) vectors and terms in them the ``v`` ints hold. */
  function vectorSizes(parts) {
    var vectors = 0, elements = 0;
    parts.forEach(function (v) {
      for (var p = 0; p < v.length; vectors++) {
        var n = v[p], extra = 0;
        for (var e = 1; e <= n; e++) extra += v[p + e] & 1;
        elements += n;
        p += 1 + n + extra;
      }
    });
    return { vectors: vectors, elements: elements };
  }

  /** Fill data.start and data.term from the ``v`` ints; returns each term's count. */
  function readVectors(parts, data) {
    var start = data.start, term = data.term;
    var counts = new Int32Array(term.length);
    var i = 0, at = 0;
    parts.forEach(function (v) {
      for (var p = 0; p < v.length; i++) {
        var n = v[p++], extra = p + n, number = 0;
        start[i] = at;
        for (var e = 0; e < n; e++, at++) {
          var code = v[p + e];
          number += code >>> 1;
          term[at] = number;
          counts[at] = code & 1 ? v[extra++] : 1;
        }
        p = extra;
      }
    });
    start[i] = at;
    return counts;
  }

  /** data.weight: lunr.py's BM25 weight for each term count, exactly as it computes it. */
  function weigh(head, data, counts) {
    var F = head.fields.length, k1 = head.k1, b = head.b;
    var start = data.start, term = data.term, weight = data.weight;
    var pairs = new Int32Array(data.terms.length); // (paper, field) pairs holding a term
    for (var e = 0; e < term.length; e++) pairs[term[e]]++;
    var idf = new Map();
    for (var j = 0; j < head.idf.length; j += 2) idf.set(head.idf[j], head.idf[j + 1]);
    var lengths = new Int32Array(data.size * F), average = [];
    for (var f = 0; f < F; f++) {
      var total = 0;
      for (var i = f; i < lengths.length; i += F) {
        for (e = start[i]; e < start[i + 1]; e++) lengths[i] += counts[e];
        total += lengths[i];
      }
      average.push(total / data.size);
    }
    for (i = 0; i < lengths.length; i++) {
      f = i % F;
      // lunr.py: idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (length / average)) + tf)
      var norm = k1 * (1 - b + b * (lengths[i] / average[f]));
      for (e = start[i]; e < start[i + 1]; e++) {
        var tf = counts[e];
        var score = idf.get(pairs[term[e]]) * ((k1 + 1) * tf) / (norm + tf);
        weight[e] = round3(score * head.boosts[f]); // lunr.py: score *= boost, then round
      }
    }
  }

  /** Term numbers in the order of their terms, as JavaScript compares strings. */
  function sortedTermNumbers(terms) {
    return terms.map(function (_, n) { return n; })
      .sort(function (a, b) { return terms[a] < terms[b] ? -1 : 1; });
  }

  /**
   * The full index over assemble()'s data; titles: the papers' titles, by paper
   * number. Queries run over flat postings (rank); lunr's own Index, the reference
   * and the fallback for clauses rank does not handle, is built on first use.
   */
  function FullIndex(data, titles) {
    // Each (paper, field)'s terms, for highlighting; the weights live on in the postings.
    this.data = {
      version: data.version, pipeline: data.pipeline, start: data.start, term: data.term,
    };
    this.fields = data.fields.slice();
    this.titles = titles || [];
    this.pipeline = lunr.Pipeline.load(data.pipeline);
    this.termOf = data.terms;
    this.termCount = data.terms.length;
    this.termNumber = new Map(data.terms.map(function (term, n) { return [term, n]; }));
    var sorted = sortedTermNumbers(data.terms).map(function (n) { return data.terms[n]; });
    this.tokenSet = lunr.TokenSet.fromArray(sorted); // as lunr.Index.load builds it
    buildPostings(this, data);
    this.fast = true; // rank() answers every query itself (tests/search_parity.js reports it)
    this._lunr = null;
  }

  /** lunr.Index over the same index (built on first use: most sessions never need it). */
  Object.defineProperty(FullIndex.prototype, "lunr", {
    get: function () {
      if (!this._lunr) this._lunr = lunr.Index.load(this.serialized());
      return this._lunr;
    },
  });

  /**
   * The serialized lunr index this stands for: what lunr.py's serialize() gave at
   * build time, with terms sorted as JavaScript compares strings (lunr.js's TokenSet
   * needs that order), rebuilt from the postings.
   */
  FullIndex.prototype.serialized = function () {
    var F = this.fields.length, fields = this.fields;
    var fieldVectors = [], vectors = [];
    for (var i = 0; i < this.size * F; i++) {
      vectors.push([]);
      fieldVectors.push([fields[i % F] + "/" + ((i / F) | 0), vectors[i]]);
    }
    var postings = [];
    for (var term = 0; term < this.termCount; term++) {
      var posting = {};
      for (var field = 0; field < F; field++) {
        var docs = (posting[fields[field]] = {}), slot = term * F + field;
        // Slots in ascending term order keep each vector's terms ascending, as lunr has them.
        for (var d = this.slotStart[slot]; d < this.slotStart[slot + 1]; d++) {
          docs[this.docs[d]] = {};
          vectors[this.docs[d] * F + field].push(term, this.weights[d]);
        }
      }
      posting._index = term;
      postings.push(posting);
    }
    var termOf = this.termOf;
    return {
      version: this.data.version, fields: fields.slice(), fieldVectors: fieldVectors,
      invertedIndex: sortedTermNumbers(termOf).map(function (n) {
        return [termOf[n], postings[n]];
      }),
      pipeline: this.data.pipeline.slice(),
    };
  };

  FullIndex.prototype.normalisedTitles = function () { return normalisedTitlesOf(this); };

  /**
   * Postings by (term number, field) slot = term * fields + field: the papers (in
   * ascending number, the order lunr's Object.keys gives integer refs) and their
   * field-vector weights, in two flat arrays. Papers are numbered 0..size-1 and each
   * has a vector per field, listed in paper order, as sitegen.search writes them.
   */
  function buildPostings(self, data) {
    var F = self.fields.length, slots = self.termCount * F;
    var start = data.start, term = data.term, weight = data.weight;
    var counts = new Int32Array(slots + 1);
    for (var i = 0; i < data.size * F; i++) {
      for (var e = start[i]; e < start[i + 1]; e++) counts[term[e] * F + (i % F) + 1]++;
    }
    for (var s = 1; s <= slots; s++) counts[s] += counts[s - 1];
    var docs = new Int32Array(term.length), weights = new Float64Array(term.length);
    var fill = counts.slice(0, slots);
    for (i = 0; i < data.size * F; i++) {
      for (e = start[i]; e < start[i + 1]; e++) {
        var at = fill[term[e] * F + (i % F)]++;
        docs[at] = (i / F) | 0;
        weights[at] = weight[e];
      }
    }
    self.size = data.size;
    self.slotStart = counts;
    self.docs = docs;
    self.weights = weights;
    // lunr lists an all-negative query's hits in fieldVectors order: by paper number
    self.listedOrder = Int32Array.from({ length: data.size }, function (_, n) { return n; });
  }

  /** Run clauses through lunr's own Index#query: [{ref, score, terms}] (the reference). */
  FullIndex.prototype.run = function (clauses) {
    return this.lunr
      .query(function (q) {
        clauses.forEach(function (c) { q.clause(Object.assign({}, c)); });
      })
      .map(function (r) {
        return { ref: r.ref, score: r.score, terms: Object.keys(r.matchData.metadata) };
      });
  };

  /** A Ranking of run()-style hits ({ref, score, terms}), already in rank order. */
  function rankingOfHits(hits) {
    var byRef = new Map(hits.map(function (h) { return [+h.ref, h.terms]; }));
    return new Ranking(
      Int32Array.from(hits, function (h) { return +h.ref; }),
      Float64Array.from(hits, function (h) { return h.score; }),
      function (ref) { return byRef.get(ref) || []; }
    );
  }

  /** lunr's results as a Ranking (used when the fast path does not apply). */
  FullIndex.prototype.rankWithLunr = function (clauses) {
    return rankingOfHits(this.run(clauses));
  };

  /** The same ranking as lunr.Index#query for these clauses (see the header). */
  FullIndex.prototype.rank = function (clauses) {
    var query = new lunr.Query(this.fields);
    clauses.forEach(function (c) { query.clause(Object.assign({}, c)); });
    if (!this.fast) return this.rankWithLunr(clauses);
    var P = lunr.Query.presence;
    var F = this.fields.length, N = this.size;
    var fieldNumber = this.fields;
    var queryVectors = this.fields.map(function () { return new lunr.Vector(); });
    var work = this.scratch();
    var pairSeen = work.pairSeen; // lunr's termFieldCache, by slot
    var seenSlots = [];
    var fieldSeen = work.fieldSeen;
    var fieldSeq = work.fieldSeq; // each paper's fields in the order they matched
    var fieldCount = work.fieldCount;
    var firstSeen = work.firstSeen; // papers in the order they first matched
    var seenCount = 0;
    var requiredClauses = 0, requiredHits = work.requiredHits, clauseMark = work.clauseMark;
    var prohibited = work.prohibited;
    var slotStart = this.slotStart, docs = this.docs;
    for (var c = 0; c < query.clauses.length; c++) {
      var clause = query.clauses[c];
      var numbers = clause.fields.map(function (f) { return fieldNumber.indexOf(f); });
      if (numbers.indexOf(-1) >= 0) return this.rankWithLunr(clauses);
      var terms = clause.usePipeline
        ? this.pipeline.runString(clause.term, { fields: clause.fields })
        : [clause.term];
      var required = clause.presence === P.REQUIRED;
      if (required && !terms.length) return this.rankWithLunr(clauses); // lunr throws here
      if (required && numbers.length) requiredClauses++;
      for (var m = 0; m < terms.length; m++) {
        clause.term = terms[m];
        var expanded = this.tokenSet.intersect(lunr.TokenSet.fromClause(clause)).toArray();
        if (!expanded.length && required) {
          if (numbers.length) return EMPTY; // lunr: requiredMatches = empty
          break;
        }
        for (var j = 0; j < expanded.length; j++) {
          var term = this.termNumber.get(expanded[j]);
          for (var k = 0; k < numbers.length; k++) {
            var field = numbers[k], slot = term * F + field;
            var start = slotStart[slot], end = slotStart[slot + 1], d, doc;
            if (required) {
              for (d = start; d < end; d++) {
                doc = docs[d];
                if (clauseMark[doc] !== c + 1) { clauseMark[doc] = c + 1; requiredHits[doc]++; }
              }
            }
            if (clause.presence === P.PROHIBITED) {
              for (d = start; d < end; d++) prohibited[docs[d]] = 1;
              continue;
            }
            queryVectors[field].upsert(term, clause.boost, add);
            if (pairSeen[slot]) continue;
            pairSeen[slot] = 1;
            seenSlots.push(slot);
            for (d = start; d < end; d++) {
              doc = docs[d];
              var at = doc * F + field;
              if (fieldSeen[at]) continue;
              fieldSeen[at] = 1;
              if (!fieldCount[doc]) firstSeen[seenCount++] = doc;
              fieldSeq[doc * F + fieldCount[doc]++] = field;
            }
          }
        }
      }
    }
    if (query.isNegated()) return this.negated(prohibited);
    var dots = this.dots(queryVectors, work.dots);
    var magnitudes = queryVectors.map(function (v) { return v.magnitude(); });
    var refs = new Int32Array(seenCount), scores = new Float64Array(seenCount);
    var n = 0;
    for (var i = 0; i < seenCount; i++) {
      doc = firstSeen[i];
      if (prohibited[doc] || (requiredClauses && requiredHits[doc] !== requiredClauses)) continue;
      // lunr: score = sum, in matching order, of each field's dot / |query| || 0
      var score = 0;
      for (k = 0; k < fieldCount[doc]; k++) {
        field = fieldSeq[doc * F + k];
        var similarity = dots[doc * F + field] / magnitudes[field] || 0;
        score = k ? score + similarity : similarity;
      }
      refs[n] = doc;
      scores[n++] = score;
    }
    return this.sorted(refs.subarray(0, n), scores.subarray(0, n), new Set(seenSlots));
  };

  /** Work arrays for rank(), allocated once and zeroed for each query. */
  FullIndex.prototype.scratch = function () {
    var F = this.fields.length, N = this.size;
    var work = this._scratch;
    if (!work) {
      work = this._scratch = {
        pairSeen: new Uint8Array(this.termCount * F), fieldSeen: new Uint8Array(N * F),
        fieldSeq: new Uint8Array(N * F), fieldCount: new Uint8Array(N),
        firstSeen: new Int32Array(N), requiredHits: new Int32Array(N),
        clauseMark: new Int32Array(N), prohibited: new Uint8Array(N),
        dots: new Float64Array(N * F),
      };
    } else {
      ["pairSeen", "fieldSeen", "fieldCount", "requiredHits", "clauseMark", "prohibited", "dots"]
        .forEach(function (name) { work[name].fill(0); });
    }
    return work;
  };

  function add(a, b) { return a + b; }

  /** Each (paper, field)'s dot product with its field's query vector, lunr's order of sums. */
  FullIndex.prototype.dots = function (queryVectors, dots) {
    var F = this.fields.length;
    var slotStart = this.slotStart, docs = this.docs, weights = this.weights;
    for (var field = 0; field < F; field++) {
      var elements = queryVectors[field].elements; // ascending term numbers, as lunr adds
      for (var e = 0; e < elements.length; e += 2) {
        var slot = elements[e] * F + field, boost = elements[e + 1];
        for (var d = slotStart[slot]; d < slotStart[slot + 1]; d++) {
          dots[docs[d] * F + field] += boost * weights[d];
        }
      }
    }
    return dots;
  };

  /** lunr's stable sort by descending score, then the matched terms of a paper. */
  FullIndex.prototype.sorted = function (refs, scores, pairs) {
    var n = refs.length;
    var positions = new Int32Array(n);
    for (var i = 0; i < n; i++) positions[i] = i;
    positions.sort(function (a, b) { return scores[b] - scores[a] || a - b; });
    var sortedRefs = new Int32Array(n), sortedScores = new Float64Array(n);
    for (i = 0; i < n; i++) {
      sortedRefs[i] = refs[positions[i]];
      sortedScores[i] = scores[positions[i]];
    }
    var F = this.fields.length, start = this.data.start, numbers = this.data.term;
    var termOf = this.termOf;
    return new Ranking(sortedRefs, sortedScores, function (ref) {
      var terms = [];
      for (var field = 0; field < F; field++) {
        var i = ref * F + field;
        for (var e = start[i]; e < start[i + 1]; e++) {
          var term = termOf[numbers[e]];
          if (pairs.has(numbers[e] * F + field) && terms.indexOf(term) < 0) terms.push(term);
        }
      }
      return terms;
    });
  };

  /** A query of only -terms: every paper without them, in index order, score 0. */
  FullIndex.prototype.negated = function (prohibited) {
    var refs = this.listedOrder.filter(function (doc) { return !prohibited[doc]; });
    return new Ranking(refs, new Float64Array(refs.length), function () { return []; });
  };

  /* ---- the title index -------------------------------------------------- */

  /** A small in-memory index over titles: term -> sorted doc numbers. */
  function TitleIndex(titles, fields) {
    this.fields = fields;
    this.postings = new Map();
    for (var doc = 0; doc < titles.length; doc++) {
      var terms = termsOf(titles[doc]);
      for (var i = 0; i < terms.length; i++) {
        var list = this.postings.get(terms[i]);
        if (!list) this.postings.set(terms[i], (list = []));
        if (list[list.length - 1] !== doc) list.push(doc);
      }
    }
    this.terms = Array.from(this.postings.keys()).sort();
    this.count = titles.length;
    this.titles = titles;
  }

  TitleIndex.prototype.normalisedTitles = function () { return normalisedTitlesOf(this); };

  /** run() as a Ranking. */
  TitleIndex.prototype.rank = function (clauses) {
    return rankingOfHits(this.run(clauses));
  };

  /** Index terms matching one clause (exact, wildcard or fuzzy). */
  TitleIndex.prototype.expand = function (clause) {
    var term = clause.term;
    if (clause.usePipeline && !clause.editDistance) {
      term = indexTerm(term) || term;
      return this.postings.has(term) ? [term] : [];
    }
    if (clause.editDistance) {
      var base = clause.usePipeline ? indexTerm(term) || term : term;
      return this.terms.filter(function (t) { return withinOneEdit(base, t); });
    }
    var pattern = new RegExp("^" + term.split("*").map(escapeRegExp).join(".*") + "$");
    var prefix = term.split("*")[0];
    var lo = lowerBound(this.terms, prefix);
    var out = [];
    for (var i = lo; i < this.terms.length && this.terms[i].slice(0, prefix.length) === prefix; i++) {
      if (pattern.test(this.terms[i])) out.push(this.terms[i]);
    }
    return out;
  };

  /** Evaluate clauses over titles with lunr's presence rules; score by idf. */
  TitleIndex.prototype.run = function (clauses) {
    var self = this;
    var scores = new Map();
    var matched = new Map();
    var required = null;
    var prohibited = new Set();
    var lunrPresence = lunr.Query.presence;
    clauses.forEach(function (clause) {
      var inTitle = !clause.fields || clause.fields.indexOf("title") >= 0;
      var terms = inTitle ? self.expand(clause) : [];
      var docs = new Set();
      terms.forEach(function (term) {
        var list = self.postings.get(term);
        var idf = Math.log(1 + (self.count - list.length + 0.5) / (list.length + 0.5));
        var weight = idf * (clause.boost || 1) * (clause.editDistance ? 0.5 : 1);
        list.forEach(function (doc) {
          docs.add(doc);
          if (clause.presence === lunrPresence.PROHIBITED) return;
          scores.set(doc, (scores.get(doc) || 0) + weight);
          if (!matched.has(doc)) matched.set(doc, new Set());
          matched.get(doc).add(term);
        });
      });
      if (clause.presence === lunrPresence.REQUIRED) {
        required = required ? new Set(Array.from(required).filter(function (d) { return docs.has(d); })) : docs;
      } else if (clause.presence === lunrPresence.PROHIBITED) {
        docs.forEach(function (d) { prohibited.add(d); });
      }
    });
    var hits = [];
    scores.forEach(function (score, doc) {
      if (prohibited.has(doc) || (required && !required.has(doc))) return;
      hits.push({ ref: String(doc), score: score, terms: Array.from(matched.get(doc)) });
    });
    hits.sort(function (a, b) { return b.score - a.score || a.ref - b.ref; });
    return hits;
  };

  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function lowerBound(sorted, value) {
    var lo = 0, hi = sorted.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (sorted[mid] < value) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Levenshtein distance of at most one (insert, delete or substitute). */
  function withinOneEdit(a, b) {
    if (a === b) return true;
    var la = a.length, lb = b.length;
    if (Math.abs(la - lb) > 1) return false;
    var i = 0;
    while (i < la && i < lb && a[i] === b[i]) i++;
    if (la === lb) return a.slice(i + 1) === b.slice(i + 1);
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  /**
   * A Searcher over the full index of a site: manifest is search/titles.js's data,
   * load(name) returns the data of search/NAME.js (the worker, the page on file://
   * and node all open the index through here).
   */
  function openFull(manifest, load) {
    var titles = manifest.docs.map(function (d) { return d[0]; });
    var themes = Uint16Array.from(manifest.docs, function (d) { return d[1]; });
    var index = new FullIndex(assemble(manifest.index.map(load)), titles);
    index.normalisedTitles(); // now, so that the first phrase query does not pay for it
    return new Searcher(index, themes, manifest.themes.length);
  }

  return {
    openFull: openFull,
    indexTerm: indexTerm,
    termsOf: termsOf,
    plainWords: plainWords,
    highlight: highlight,
    snippet: snippet,
    search: search,
    plainClauses: plainClauses,
    fuzzyClauses: fuzzyClauses,
    parseClauses: parseClauses,
    Searcher: Searcher,
    assemble: assemble,
    round3: round3,
    FullIndex: FullIndex,
    TitleIndex: TitleIndex,
  };
});
