/* sitegen search engine: the query logic shared by the page, the worker and the
 * node parity test. No DOM here. Loads after lunr (2.3.9) and exposes
 * self.SitegenSearchEngine (or module.exports under node, given lunr).
 *
 * Two indexes answer the same search() call:
 * - TitleIndex: built in the browser from search/titles.js (titles only), so the
 *   first results come before the full index has downloaded;
 * - FullIndex: lunr.Index.load over the chunks of the index lunr.py built.
 * Hits have the same shape from both: {ref, score, terms}, terms being the index
 * terms that matched (used for highlighting).
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

  var normalised = new Map(); // titles are normalised once, not on every query

  /** Lower-case words joined by single spaces, for phrase comparison. */
  function normaliseTitle(text) {
    var known = normalised.get(text);
    if (known === undefined) normalised.set(text, (known = normalise(text)));
    return known;
  }

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
   * Run a user query against an index ({fields, run(clauses) -> hits}).
   * Never throws on user input: a malformed query becomes a plain word search, and
   * `notice` says so. options.prefixLast: also match the last word as a prefix
   * (search-as-you-type), used only for queries without lunr syntax.
   */
  function search(index, query, options) {
    options = options || {};
    query = String(query || "").trim();
    var result = { hits: [], notice: "", mode: "exact", phrases: [] };
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
        result.hits = index.run(clauses);
        var anyWord = optionalClauses(clauses);
        if (!result.hits.length && anyWord) result.hits = index.run((clauses = anyWord));
      } else {
        clauses = parseClauses(split.rest, fields);
        result.hits = index.run(clauses);
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
      result.hits = clauses.length ? index.run(clauses) : [];
    }
    if (!result.hits.length && clauses && clauses.length) {
      var fuzzy = fuzzyClauses(clauses);
      if (fuzzy) {
        result.hits = index.run(fuzzy);
        if (result.hits.length) {
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
    return result;
  }

  /**
   * Stable re-rank: hits whose title contains a phrase first, then hits whose text
   * (when textOf knows it) contains one, then the rest, each group in score order.
   */
  function rankPhrases(hits, phrases, titleOf, textOf) {
    if (!phrases || !phrases.length) return hits;
    var wanted = phrases.map(normalise);
    function contains(norm) {
      return norm != null && wanted.some(function (p) { return norm.indexOf(p) >= 0; });
    }
    function textContains(ref) {
      var text = textOf ? textOf(ref) : null;
      return text != null && contains(normalise(text));
    }
    return hits
      .map(function (hit, i) {
        var group = contains(normaliseTitle(titleOf(hit.ref))) ? 0 : textContains(hit.ref) ? 1 : 2;
        return { hit: hit, group: group, i: i };
      })
      .sort(function (a, b) { return a.group - b.group || a.i - b.i; })
      .map(function (x) { x.hit.phrase = x.group < 2; return x.hit; });
  }

  /* ---- the full index --------------------------------------------------- */

  /** Join the chunks of search/index-NNN.js back into lunr's serialized index. */
  function assemble(chunks) {
    var head = chunks[0];
    var serialized = {
      version: head.version, fields: head.fields, pipeline: head.pipeline,
      invertedIndex: [], fieldVectors: [],
    };
    chunks.forEach(function (chunk) {
      Array.prototype.push.apply(serialized.invertedIndex, chunk.i);
      Array.prototype.push.apply(serialized.fieldVectors, chunk.f);
    });
    return serialized;
  }

  function FullIndex(serialized) {
    this.lunr = lunr.Index.load(serialized);
    this.fields = serialized.fields.slice();
  }

  /** Run clauses through lunr and return [{ref, score, terms}]. */
  FullIndex.prototype.run = function (clauses) {
    return this.lunr
      .query(function (q) {
        clauses.forEach(function (c) { q.clause(Object.assign({}, c)); });
      })
      .map(function (r) {
        return { ref: r.ref, score: r.score, terms: Object.keys(r.matchData.metadata) };
      });
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
  }

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

  return {
    indexTerm: indexTerm,
    termsOf: termsOf,
    plainWords: plainWords,
    highlight: highlight,
    snippet: snippet,
    search: search,
    rankPhrases: rankPhrases,
    assemble: assemble,
    FullIndex: FullIndex,
    TitleIndex: TitleIndex,
  };
});
