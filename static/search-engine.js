/* sitegen search engine: the query logic shared by the page, the worker and the
 * node parity test. No DOM here. Loads after lunr (2.3.9) and exposes
 * self.SitegenSearchEngine (or module.exports under node, given lunr).
 *
 * One engine answers both surfaces (the header dropdown and the results page) and
 * both stages of loading, with the same ranking (rankQuery):
 * - openTitles: an index of the titles alone, built in the browser from
 *   search/titles.js, so the first results come before the full index has loaded;
 * - openFull: the full index sitegen.search writes: a head (terms, the words they
 *   were written as, for prefixes and typos; lengths) read at once, and shards of
 *   postings (lunr.py's BM25 weights, rebuilt exactly, and the word slots of titles
 *   and abstracts, for phrases) read as queries need them.
 * What stays lunr's: the index and its weights (lunr.py builds them; the tests
 * check that lunr.js loads the same index), the tokenizer, stop words, stemmer and
 * the query parser for +must -not field:word word* word~1 word^2. The ranking on
 * top (rankQuery) is sitegen's. A Searcher wraps an index, keeps the last few
 * rankings and hands out one page of hits at a time ({ref, score, terms, full}),
 * with the counts, so nothing builds or renders one object per matching paper.
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

  /* ---- text helpers ---------------------------------------------------- */

  var termMemo = new Map();

  /** lunr.py's trimmer (Python's \\W knows every script, lunr.js's only ASCII). */
  function trim(word) {
    return word.replace(/^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu, "");
  }

  // The marks NFKD splits off Latin, Greek and Cyrillic letters: sitegen.search.ACCENTS.
  var ACCENTS = /[\u0300-\u036f]/g;
  // Dropped before NFKD: spacing accents ("Fr´echet") and ™, ℠ (sitegen.search.DROPPED).
  var DROPPED = new RegExp("[\u00a8\u00af\u00b4\u00b8\u02d8-\u02dd\u037a\u0384\u0385" +
    "\u1fbd\u1fbf-\u1fc1\u1fcd-\u1fcf\u1fdd-\u1fdf\u1fed\u1fee\u1ffd\u1ffe\u2017\u203e" +
    "\u2120\u2122\ufe49-\ufe4c\uffe3]", "g");
  var ASCII_ONLY = /^[\x00-\x7f]*$/;

  /**
   * Text as search reads it, in lower case with accents dropped ("Fréchet": "frechet"):
   * the build indexes its texts so (sitegen.search.folded, step for step), and queries
   * and shown words are folded the same way before they meet the index.
   */
  function fold(text) {
    text = String(text);
    if (ASCII_ONLY.test(text)) return text.toLowerCase();
    var decomposed = text.replace(DROPPED, "").normalize("NFKD").replace(ACCENTS, "");
    return decomposed.normalize("NFC").toLowerCase();
  }

  /** The index term a raw word becomes (lunr's trimmer, stop words, stemmer); "" if none. */
  function indexTerm(raw) {
    var known = termMemo.get(raw);
    if (known !== undefined) return known;
    var token = new lunr.Token(trim(fold(raw)), {});
    var term = "";
    if (token.toString() && lunr.stopWordFilter(token)) {
      term = lunr.stemmer(token).toString();
    }
    termMemo.set(raw, term);
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

  // Endings that turn one word into another form of it ("model", "models", "modeling",
  // "optimize", "optimization"): two words with the same index term are marked as one only
  // when, past their common start, both end in endings of one family ("general" is not
  // "generative", "organ" not "organization", "transformer" not "transformation", though
  // the stemmer makes each pair one term). "-er" and "-ive" make other words: their
  // families hold their own plurals only ("transformers" is "transformer").
  var WORD_FAMILIES = [
    ["", "s", "es", "e", "ed", "d", "ing", "y", "ies", "ied", "al", "ally", "ly",
      "ion", "ions", "ation", "ations"],
    ["er", "ers"],
    ["ive", "ives"]
  ];
  var FAMILY_OF = new Map(), LONGEST_ENDING = 0;
  WORD_FAMILIES.forEach(function (family, n) {
    family.forEach(function (ending) {
      FAMILY_OF.set(ending, n);
      LONGEST_ENDING = Math.max(LONGEST_ENDING, ending.length);
    });
  });

  // sitegen.wordforms.BRITISH and AMERICAN: "-ise" and "-ize" spellings of one word, where
  // the letters before are ones that take either ("optimise", "generalisation", "tokenize";
  // not "arise", "promise", "supervise")
  var BRITISH = /^([a-z]{2,}(?:al|an|ar|en|er|es|et|gn|il|im|it|nt|on|or|rd|tr|ym))is(e|es|ed|er|ers|ing|ation|ations)$/;
  var AMERICAN = /^([a-z]{2,}(?:al|an|ar|en|er|es|et|gn|il|im|it|nt|on|or|rd|tr|ym))iz(e|es|ed|er|ers|ing|ation|ations)$/;

  /** A word in the "-ize" spelling, if it has two (sitegen.wordforms.one_spelling). */
  function oneSpelling(word) {
    return word.replace(BRITISH, "$1iz$2");
  }

  /** A word's other spelling ("optimise" for "optimize" and back), or null. */
  function otherSpelling(word) {
    if (BRITISH.test(word)) return oneSpelling(word);
    return AMERICAN.test(word) ? word.replace(AMERICAN, "$1is$2") : null;
  }

  // sitegen.wordforms.CLASS_ENDINGS: inflections only, longest first
  var CLASS_ENDINGS = ["ied", "ies", "ing", "ed", "es", "d", "e", "s", "y"];

  /** What a written word and its inflections share, hashed for marks
   *  (sitegen.wordforms.word_class): the word less its longest CLASS_ENDING (leaving 2+
   *  letters; a consonant doubled before it as one). */
  function wordClass(word) {
    for (var i = 0; i < CLASS_ENDINGS.length; i++) {
      var ending = CLASS_ENDINGS[i];
      if (word.length - ending.length < 2 || word.slice(-ending.length) !== ending) continue;
      var stem = word.slice(0, -ending.length), last = stem[stem.length - 1];
      if (stem.length > 2 && last === stem[stem.length - 2] && CONSONANTS.indexOf(last) >= 0) {
        stem = stem.slice(0, -1);
      }
      return stem;
    }
    return word;
  }

  var CONSONANTS = "bcdfghjklmnpqrstvwxz";

  /** Whether two written words are forms of one word: past a common start of 2+ letters,
   *  both end in endings of one family ("connecting", "connection"; see WORD_FAMILIES). */
  function sameWord(a, b) {
    if (a === b) return true;
    a = oneSpelling(a);
    b = oneSpelling(b);
    var common = 0;
    while (common < a.length && common < b.length && a[common] === b[common]) common++;
    for (var start = common; start >= 2 && start >= common - LONGEST_ENDING; start--) {
      // A consonant doubled before an ending ("modelling", "labelled", "running"): one.
      var family = FAMILY_OF.get(a.slice(start + (a[start] === a[start - 1] ? 1 : 0)));
      if (family !== undefined &&
          family === FAMILY_OF.get(b.slice(start + (b[start] === b[start - 1] ? 1 : 0)))) {
        return true;
      }
    }
    return false;
  }

  /**
   * What a hit's terms ask to mark (Searcher hits' `terms`, FullIndex#matchedTerms):
   * "word*" marks words that start with word as written (a prefix while typing);
   * "~word" marks the forms of word (the same index term, and sameWord); "=words of a
   * phrase" marks them where they stand together, in order (an acronym's long form);
   * anything else, words with that index term or written so (wildcard and fuzzy syntax).
   */
  function markers(terms) {
    var wanted = { prefixes: [], forms: new Map(), plain: new Set(), phrases: [] };
    (terms || []).forEach(function (key) {
      key = String(key);
      if (key[0] === "=" && key.length > 1) {
        wanted.phrases.push(key.slice(1).split(" "));
      } else if (key.length > 1 && key[key.length - 1] === "*") {
        wanted.prefixes.push(key.slice(0, -1));
      } else if (key[0] === "~" && key.length > 1) {
        // keyed by the "-ize" spelling's term: either spelling marks both
        var word = key.slice(1), term = indexTerm(oneSpelling(word)) || word;
        if (!wanted.forms.has(term)) wanted.forms.set(term, []);
        wanted.forms.get(term).push(word);
      } else if (key) {
        wanted.plain.add(key);
      }
    });
    return wanted;
  }

  /** Whether a written word (lower case, trimmed) is one that markers ask to mark. */
  function marked(wanted, word) {
    for (var i = 0; i < wanted.prefixes.length; i++) {
      if (word.lastIndexOf(wanted.prefixes[i], 0) === 0) return true;
    }
    var term = indexTerm(word);
    var forms = wanted.forms.get(term) || wanted.forms.get(indexTerm(oneSpelling(word)));
    for (i = 0; forms && i < forms.length; i++) if (sameWord(word, forms[i])) return true;
    return wanted.plain.has(term) || wanted.plain.has(word);
  }

  /** Split text into [{text, hit}] runs, marking the words terms ask for (see markers). */
  function highlight(text, terms) {
    var wanted = markers(terms);
    var any = wanted.prefixes.length || wanted.forms.size || wanted.plain.size;
    var words = []; // each word's {start, end, word (lower case)}
    // split where folded text splits (a full-width hyphen is "-"); trimmed as trim does
    var re = /[^\s\-\ufe63\uff0d]+/g;
    var m;
    text = String(text || "");
    while ((m = re.exec(text))) {
      var core = m[0].match(/^([^\p{L}\p{N}_]*)(.*?)([^\p{L}\p{N}_]*)$/u);
      if (!core || !core[2]) continue;
      var start = m.index + core[1].length;
      words.push({ start: start, end: start + core[2].length, word: fold(core[2]) });
    }
    var hits = words.map(function (w) { return !!any && marked(wanted, w.word); });
    wanted.phrases.forEach(function (phrase) {
      for (var i = 0; i + phrase.length <= words.length; i++) {
        var k = 0;
        while (k < phrase.length && sameWord(words[i + k].word, phrase[k])) k++;
        for (var j = 0; k === phrase.length && j < k; j++) hits[i + j] = true;
      }
    });
    var runs = [], last = 0;
    words.forEach(function (w, i) {
      if (!hits[i]) return;
      if (w.start > last) runs.push({ text: text.slice(last, w.start), hit: false });
      runs.push({ text: text.slice(w.start, w.end), hit: true });
      last = w.end;
    });
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

  var FIELD_ALIASES = {
    title: "title", abstract: "abstract", themes: "themes", theme: "themes",
    tags: "tags", tag: "tags", notes: "notes",
  };
  // One whitespace-separated token of lunr's syntax: +must, -not, field:word, word*,
  // word~1, word^2. Anything else (a pasted "Title: Sub-title", "C++", "[MASK]") is
  // plain words.
  var SYNTAX_TOKEN = /^([+-]?)(?:([a-z]+):)?([\p{L}\p{N}][\p{L}\p{N}_'.\/]*)(\*?)((?:~\d|\^\d+)*)$/u;
  var WORD_BREAK = /[\s\-:^+*~"()[\]{},;!?|<>=]+/u;
  var MAX_UNITS = 32; // words of a query that count (a pasted abstract stops here)
  var PREFIX_DISCOUNT = 2; // an exact word counts this many times a word it begins
  // A field (title, abstract, themes...) that holds a word's stem only through another word
  // ("Generative" for "generalization", "transformation" for "transformer": lunr's stemmer
  // makes each pair one term) weighs this share of what it would (see formShare). Small
  // enough that a title saying "Generative" (boosted 10x) weighs less than an abstract that
  // says "generalization": 0.1 ranked them level.
  var SIBLING_SHARE = 0.03;
  var FORM_HASHES = 1023; // sitegen.wordforms: a word's hash in a form mark, 1..FORM_HASHES
  var MANY_WORDS = 1 << 30; // sitegen.wordforms: the mark of a posting of many words...
  var MANY_BITS = 30; // ...has a bit per word: its hash mod MANY_BITS
  var PREFIX_TERMS = 64; // index terms a typed prefix expands to (fewer for 1-3 letters)
  // (field, paper) pairs a typed prefix's longer words may hold in all: the most
  // frequent words first, so "a" at 100k papers stays fast; small sites never reach it.
  var PREFIX_PAIRS = 200000;

  /**
   * A query as units: one per word, each {raw, presence, fields (numbers; null: all),
   * boost, clause (a lunr clause for wildcard and fuzzy syntax), prefix (match as a
   * prefix too), chain (words in a chain are a phrase), quoted, gapBefore (a stop word
   * came before it)}. Never throws.
   */
  function parseQuery(text, fields, prefixLast) {
    var units = [];
    var chain = 0;
    var parts = fold(text).split('"'); // lunr's syntax too: "fréch*" is "frech*"
    if (parts.length % 2 === 0) parts[parts.length - 2] += " " + parts.pop(); // unmatched quote
    parts.forEach(function (part, i) {
      var quoted = i % 2 === 1;
      chain++;
      var gap = false;
      part.split(/\s+/).forEach(function (token) {
        if (!token) return;
        var unit = quoted ? null : syntaxUnit(token, fields);
        if (unit) {
          units.push(unit);
          gap = false;
          return;
        }
        token.split(WORD_BREAK).forEach(function (word) {
          var raw = trim(fold(word));
          if (!raw) return;
          var stop = !indexTerm(raw);
          units.push({ raw: raw, presence: quoted ? "required" : "optional", fields: null,
            boost: 1, chain: chain, quoted: quoted && !stop, gapBefore: gap, stop: stop });
          gap = stop;
        });
      });
    });
    var last = units[units.length - 1];
    var typedLast = last && !last.quoted && !last.clause && last.presence !== "prohibited" &&
      !/[\s"]$/.test(text);
    if (prefixLast && typedLast) last.prefix = true;
    return units.filter(function (u) { return !u.stop || u.prefix; }).slice(0, MAX_UNITS);
  }

  /** A unit for a token of lunr syntax on a real field, or null (then: plain words). */
  function syntaxUnit(token, fields) {
    var m = SYNTAX_TOKEN.exec(token);
    if (!m || !(m[1] || m[2] || m[4] || m[5])) return null;
    var field = m[2] ? FIELD_ALIASES[m[2].toLowerCase()] : null;
    if (m[2] && (!field || fields.indexOf(field) < 0)) return null;
    var clause;
    try {
      clause = parseClauses(m[1] + (field ? field + ":" : "") + m[3] + m[4] + m[5], fields)[0];
    } catch (err) {
      return null;
    }
    if (!clause) return null;
    var P = lunr.Query.presence;
    return {
      raw: fold(m[3]),
      presence: clause.presence === P.REQUIRED ? "required"
        : clause.presence === P.PROHIBITED ? "prohibited" : "optional",
      fields: field ? [fields.indexOf(field)] : null,
      boost: clause.boost || 1,
      // lunr's parser leaves a trailing "*" in the term, wildcard unset ("gen*")
      clause: clause.wildcard || clause.editDistance || m[4] ? clause : null,
      chain: -1, quoted: false, gapBefore: false,
    };
  }

  /** Parse lunr query syntax into clauses; throws lunr.QueryParseError. */
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
   * The index terms (numbers) a unit matches: its own term; as a prefix also every
   * word as written or stemmed that starts with it; lunr's expansion for wildcard and
   * fuzzy syntax. A word with none is corrected: unit.corrected names the word used.
   */
  function expandUnit(index, unit) {
    var terms = [];
    unit.splits = [];
    if (unit.clause) {
      var clause = Object.assign({}, unit.clause, { term: unit.clause.usePipeline ?
        indexTerm(unit.clause.term) || unit.clause.term : unit.clause.term });
      index.tokenSet.intersect(lunr.TokenSet.fromClause(clause)).toArray().forEach(function (t) {
        terms.push(index.termNumber.get(t));
      });
      return terms;
    }
    var own = index.wordTerm(unit.raw);
    if (own !== undefined) terms.push(own);
    // the word's other spelling ("generalisation", "optimize"): lunr stems them apart
    var other = otherSpelling(trim(fold(unit.raw)));
    var twin = other ? index.wordTerm(other) : undefined;
    if (twin !== undefined && twin !== own) {
      terms.push(twin);
      unit.twin = twin;
      unit.own = own;
    }
    if (unit.prefix) {
      // "a" begins thousands of words: a short prefix takes only its most frequent few
      var limit = Math.min(PREFIX_TERMS, 8 << (unit.raw.length - 1));
      // and a budget of (field, paper) pairs: half as many for each letter short of 4
      var budget = PREFIX_PAIRS >> Math.max(0, 4 - unit.raw.length);
      terms = terms.concat(withinPairs(index, index.vocabulary.prefixed(unit.raw, limit), budget));
    }
    // a word the corpus also (or only) writes as two ("pretrained" for "pre-trained",
    // "gradcam" for "Grad-CAM") matches that phrase too, if a paper holds it (rankQuery
    // looks once the shards are in: heldSplits); a word with neither is corrected
    // (not with field syntax, nor inside quotes: those search the word as typed)
    if (!unit.fields && !unit.quoted) unit.splits = joinedSplits(index, unit.raw, unit.prefix);
    if (!terms.length && unit.presence !== "prohibited" && !unit.inRun) {
      var fix = index.vocabulary.correct(unit.raw);
      unit.fix = fix;
      if (unit.splits.length) return terms;
      if (fix) {
        unit.corrected = fix.word;
        terms.push(fix.term);
      }
    }
    return unique(terms);
  }

  /**
   * The ways a word splits into two words the corpus writes ("gradcam": grad cam, as
   * "Grad-CAM" or "Grad CAM" are indexed), each part of 3+ letters, the commonest (by its
   * rarer part) first: [{short, long, terms, typing}], matched as phrases the way an
   * acronym's long form is. While typing, the second part may begin a word: "pretrai" is
   * "pre" and the commonest few words that start "trai".
   */
  function joinedSplits(index, word, typing) {
    var vocabulary = index.vocabulary, found = [];
    for (var i = JOINED_PART; i + JOINED_PART <= word.length; i++) {
      var head = word.slice(0, i), tail = word.slice(i), left = vocabulary.written(head);
      if (left < 0) continue;
      var right = vocabulary.written(tail);
      var rights = right >= 0 ? [right] : typing ? vocabulary.prefixed(tail, JOINED_PREFIXES) : [];
      rights.forEach(function (r) {
        var long = head + " " + (right < 0 ? vocabulary.writtenFrom(tail, r) : tail);
        found.push({ short: word, long: long, terms: [left, r], typing: right < 0,
          rarer: Math.min(vocabulary.df[left], vocabulary.df[r]) });
      });
    }
    found.sort(function (a, b) { return b.rarer - a.rarer; });
    return found.slice(0, JOINED_SPLITS);
  }

  /**
   * Keep each unit's splits that some paper holds as a phrase; a word left with none and
   * no terms of its own is corrected after all ("backones": "back ones" is no phrase).
   */
  function heldSplits(index, units) {
    units.forEach(function (unit) {
      // Each split's papers and phrase weights, found once: matchSplits credits them.
      unit.splits = unit.splits.filter(function (split) {
        split.docs = [];
        split.weights = [];
        index.eachPhrase(split.terms, function (doc, weight) {
          split.docs.push(doc);
          split.weights.push(weight);
        });
        return split.docs.length > 0;
      });
      if (!unit.splits.length && !unit.terms.length && unit.fix) {
        unit.corrected = unit.fix.word;
        unit.terms = [unit.fix.term];
      }
    });
  }

  /**
   * Credit a unit's held splits (heldSplits found their papers): the phrase's weight
   * averaged over its two words, so a word the corpus holds weighs about as its split
   * ("learnability", "learning ability"). Their words don't count for word order
   * ("training data" is no run of "training datasets").
   */
  function matchSplits(unit, hit) {
    unit.splits.forEach(function (split) {
      split.docs.forEach(function (doc, i) { hit(doc, split.weights[i] / 2); });
    });
  }

  var JOINED_PART = 3; // letters of each word a joined word splits into ("ofthe" stays one)
  var JOINED_SPLITS = 4; // splits of a word tried at most (each loads its words' order)
  var JOINED_PREFIXES = 3; // words a typed second part may begin ("pre trai": trained...)

  /** The shards a query's terms still need (their postings; for phrases, word order too). */
  function termsToLoad(index, units, acronymOf, longForms) {
    var needed = [];
    units.forEach(function (unit, u) {
      needed.push.apply(needed, unit.terms);
      if (acronymOf[u]) needed.push.apply(needed, acronymOf[u].terms);
      if (unit.splits.length && unit.fix) needed.push(unit.fix.term); // in case no split holds
    });
    longForms.forEach(function (found) { needed.push(found.acronym.term); });
    // Exact word order: a quoted phrase's words, an acronym's long form, a word's splits.
    var exact = [];
    if (units.some(function (u) { return u.quoted; })) exact = needed.slice();
    acronymOf.forEach(function (acronym) { if (acronym) exact.push.apply(exact, acronym.terms); });
    units.forEach(function (unit) {
      unit.splits.forEach(function (split) {
        needed.push.apply(needed, split.terms);
        exact.push.apply(exact, split.terms);
      });
    });
    return index.missing(needed, exact);
  }

  /** The terms (in their order) of the most frequent that hold budget pairs in all (at least one). */
  function withinPairs(index, terms, budget) {
    var pairs = index.vocabulary.df, total = 0, kept = new Set();
    terms.slice().sort(function (a, b) { return pairs[b] - pairs[a] || a - b; }).forEach(function (t) {
      if (kept.size && total + pairs[t] > budget) return;
      kept.add(t);
      total += pairs[t];
    });
    return terms.filter(function (t) { return kept.has(t); });
  }

  function unique(list) {
    return list.filter(function (x, i) { return list.indexOf(x) === i; });
  }

  /* ---- ranking ------------------------------------------------------------ */

  /**
   * Rank an index's papers for a query (see the README's "How search ranks"):
   * 1. papers holding more of the query's words first: all of them, then all but one...
   *    (a word: its stem, or any word it is a prefix of while typing, or its acronym's
   *    long form, or the corrected spelling of a word the corpus lacks);
   * 2. then papers where more of the words stand together and in order, in the title
   *    or the abstract (a quoted phrase must);
   * 3. then the sum over words of lunr's BM25 field weights (title boosted).
   */
  function rankQuery(index, text, options) {
    var units = parseQuery(text, index.fields, !!options.prefixLast);
    // Two words the corpus writes as one first: a word in such a run is no typo
    // ("autore gressive" is "autoregressive", not "aggressive").
    var runs = joinedRuns(index, units);
    runs.forEach(function (run) { units[run.start].inRun = units[run.start + 1].inRun = true; });
    units.forEach(function (unit) { unit.terms = expandUnit(index, unit); });
    var acronymOf = units.map(function (unit) {
      var acronym = !unit.clause && index.acronyms.get(indexTerm(unit.raw));
      return acronym && acronym.terms.indexOf(-2) < 0 ? acronym : null;
    });
    var longForms = longFormsOf(index, units).concat(runs);
    var missing = termsToLoad(index, units, acronymOf, longForms);
    if (missing.length) return { missing: missing };
    heldSplits(index, units);
    var tally = new Tally(index.size, units.length);
    units.forEach(function (unit, u) { scoreUnit(index, tally, unit, u, acronymOf[u]); });
    longForms.forEach(function (found) { scoreLongForm(index, tally, found); });
    var active = 0;
    units.forEach(function (unit, u) {
      // a word counts if the index holds it, or its acronym's long form (the title stage
      // may hold "large language models" but not "llm"), a split of it or a word it makes
      var found = unit.terms.length || acronymOf[u] || unit.splits.length || unit.inRun;
      if (unit.presence !== "prohibited" && found) active++;
    });
    var rows = tally.rows(units);
    proximity(index, units, rows, tally.termUnits, tally.held);
    rows.keep(function (r) { return rows.run[r] >= 0; });
    var expansions = tally.expansions;
    var ranking = new Ranking(rows, active, function (ref) {
      return index.matchedTerms(ref, units, expansions);
    });
    return { ranking: ranking, units: units, expansions: expansions, active: active };
  }

  /** What a query's words found, paper by paper (N papers, U words), as rankQuery adds it up. */
  function Tally(N, U) {
    this.U = U;
    this.scores = new Float64Array(U * N); // a paper's scores side by side: rows reads them so
    this.seen = new Uint8Array(N);
    this.candidates = new Int32Array(N);
    this.reached = 0;
    this.excluded = new Uint8Array(N);
    this.runFloor = new Int32Array(N);
    this.held = new Int32Array(N); // bit u: the paper holds unit u's words (any weight)
    this.itself = new Int32Array(N); // bit u: ...as a form of the word, not only a sibling
    this.expansions = [];
    this.termUnits = new Map(); // term number -> bit mask of the units it stands for
  }

  Tally.prototype.meet = function (doc) {
    if (!this.seen[doc]) { this.seen[doc] = 1; this.candidates[this.reached++] = doc; }
  };

  /** One row per candidate paper, in typed arrays: a query may match most of 100k papers. */
  Tally.prototype.rows = function (units) {
    var U = this.U, rows = new Rows(this.reached), mustHave = 0;
    units.forEach(function (unit) { if (unit.presence === "required") mustHave++; });
    for (var c = 0; c < this.reached; c++) {
      var doc = this.candidates[c];
      if (this.excluded[doc]) continue;
      var matched = 0, required = 0, score = 0, forms = 0;
      for (var u = 0; u < U; u++) {
        var s = this.scores[doc * U + u];
        if (!s) continue;
        matched++;
        score += s;
        if (this.itself[doc] & (1 << u)) forms++;
        if (units[u].presence === "required") required++;
      }
      if (required < mustHave || !matched) continue;
      rows.push(doc, matched, this.runFloor[doc], score, forms);
    }
    return rows;
  };

  /** Score unit u: its terms, its acronym's long form (as written) and its splits. */
  function scoreUnit(index, tally, unit, u, acronym) {
    var U = tally.U, scale = 1;
    var termUnits = tally.termUnits;
    unit.terms.forEach(function (t) { termUnits.set(t, (termUnits.get(t) || 0) | (1 << u)); });
    var hit = function (doc, weight, form) {
      if (unit.presence === "prohibited") { tally.excluded[doc] = 1; return; }
      var at = doc * U + u;
      tally.held[doc] |= 1 << u;
      if (form !== false) tally.itself[doc] |= 1 << u; // see formShare
      var score = weight * scale * unit.boost;
      if (score > tally.scores[at]) tally.scores[at] = score;
      tally.meet(doc);
    };
    // While typing, the word as typed so far outranks the longer words it begins.
    var own = unit.prefix ? index.wordTerm(unit.raw) : undefined;
    // One term at a time, each with its own form check: a paper's score is the best
    // over terms (hit keeps the largest).
    unit.terms.forEach(function (t) {
      if (t === own) return;
      scale = termScale(index, unit, own, t);
      index.eachWeight(t, unit.fields, hit, formShare(index, unit, t));
    });
    scale = 1;
    if (own !== undefined) index.eachWeight(own, unit.fields, hit, formShare(index, unit, own));
    var named = unit.presence !== "prohibited"; // an excluded word's expansions go unsaid
    if (acronym) {
      unit.acronym = acronym;
      if (named) tally.expansions.push(acronym);
      index.eachPhrase(acronym.terms, hit);
    }
    matchSplits(unit, hit);
    unit.splits.forEach(function (split) {
      if (named && !split.typing) tally.expansions.push(split);
    });
  }

  /** Credit the words of a long form (or two words a written word joins) with its term. */
  function scoreLongForm(index, tally, found) {
    var U = tally.U, k = found.end - found.start;
    tally.expansions.push(found.acronym);
    index.eachWeight(found.acronym.term, null, function (doc, weight) {
      for (var u = found.start; u < found.end; u++) {
        if (!tally.scores[doc * U + u]) tally.scores[doc * U + u] = weight / k;
        tally.itself[doc] |= 1 << u;
      }
      // an acronym is its long form's whole run; a joined word is not the words as typed,
      // which come first ("data sets" before "datasets")
      if (!found.joined) tally.runFloor[doc] = Math.max(tally.runFloor[doc], k);
      tally.meet(doc);
    });
  }

  /**
   * What part of a unit's term t counts (own: the term of the word typed, while typing).
   * A longer word a typed word begins counts half, and with that word's idf at most:
   * "diffusion" typed should not put "DiffusionSat" (a rare word, so a high idf) above
   * "Diffusion". The word's other spelling, often far rarer, weighs as the word at most.
   */
  function termScale(index, unit, own, t) {
    var word = unit.prefix ? own : t === unit.twin ? unit.own : undefined;
    var cap = word !== undefined ? Math.min(1, index.idfOf(word) / index.idfOf(t)) : 1;
    return unit.prefix && t !== unit.twin ? cap / PREFIX_DISCOUNT : cap;
  }

  /**
   * For a word (also in a quoted phrase; not syntax or a typo's correction) and one of its terms,
   * share(p): what part of posting p's weight counts. SIBLING_SHARE where a field (title,
   * abstract, themes...) holds the term only through other words than forms of the word
   * (its form mark, sitegen.wordforms; while typing, also words that start as typed):
   * "Generative Models" for "generalization". null where every word written as the term
   * is a form of the word (most words: nothing to check).
   */
  function formShare(index, unit, term) {
    var post = index.postings[term];
    var word = trim(fold(unit.raw));
    if (!post || !word || unit.clause || unit.corrected) return null;
    var itself = index.head.terms[term];
    var written = index.head.forms[term] ? index.head.forms[term].split(" ") : [itself];
    var wanted = [], others = false;
    written.forEach(function (form) {
      if (isFormOf(form, word, unit.prefix)) wanted.push(classHash(form));
      else others = true;
    });
    if (!others) return null;
    var marks = post.marks;
    // A posting without a mark holds only inflections of the term ("embedding" for "embed"):
    // it holds the word if the term, or one of those the corpus writes, is a form of it.
    var plain = isFormOf(itself, word, unit.prefix) || written.some(function (form) {
      return inflects(form, itself) && isFormOf(form, word, unit.prefix);
    });
    return function (p) {
      var mark = marks ? marks[p] : 0;
      return (mark ? holdsOneOf(mark, wanted) : plain) ? 1 : SIBLING_SHARE;
    };
  }

  /** Whether a written word is a form of word (sameWord), or (typing) starts as typed. */
  function isFormOf(written, word, typing) {
    return (typing && written.lastIndexOf(word, 0) === 0) || sameWord(written, word);
  }

  /** A written word's hash in a form mark (sitegen.wordforms.form_hash): FNV-1a over its
   *  UTF-16 code units, 1..FORM_HASHES. */
  function formHash(word) {
    var h = 0x811c9dc5;
    for (var i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
    return (h % FORM_HASHES) + 1;
  }

  /** What a written word puts in a form mark: its class's hash (wordforms.class_hash). */
  function classHash(word) {
    return formHash(wordClass(word));
  }

  /** Distinct word hashes as one mark (sitegen.wordforms.pack_mark): ten bits each, the
   *  largest lowest; for more than three, MANY_WORDS and a bit per word. */
  function packMark(hashes) {
    var distinct = Array.from(new Set(hashes)).sort(function (a, b) { return a - b; });
    if (distinct.length > 3) {
      return distinct.reduce(function (mark, one) { return mark | (1 << one % MANY_BITS); }, MANY_WORDS);
    }
    return distinct.reduce(function (mark, one) { return (mark << 10) | one; }, 0);
  }

  /** Whether a mark holds one of the wanted hashes (for many words: one of their bits). */
  function holdsOneOf(mark, wanted) {
    if (mark & MANY_WORDS) {
      return wanted.some(function (one) { return mark & (1 << one % MANY_BITS); });
    }
    for (; mark; mark >>>= 10) if (wanted.indexOf(mark & 1023) >= 0) return true;
    return false;
  }

  var INFLECTIONS = new Set(["", "s", "es", "e", "ed", "d", "ing"]); // sitegen.wordforms

  /** Whether a written word is its term with an inflection at most (wordforms.inflects). */
  function inflects(word, term) {
    if (word.lastIndexOf(term, 0) !== 0) return false;
    var rest = word.slice(term.length);
    if (rest.length > 1 && term && rest[0] === term[term.length - 1]) rest = rest.slice(1);
    return INFLECTIONS.has(rest);
  }

  /** A field's mark for a term from the words that made it there (distinct, as written):
   *  sitegen.wordforms.form_mark. */
  function formMark(term, words) {
    if (words.every(function (w) { return inflects(w, term); })) return 0;
    return packMark(words.map(classHash));
  }

  var RUN_DOCS = 3000; // papers (best first) whose word order is read for phrases

  /**
   * Set each row's run: the most query words that stand together and in order in
   * its title or abstract (0 for fewer than 2); -1 when it lacks a quoted phrase.
   */
  function proximity(index, units, rows, termUnits, held) {
    var U = units.length;
    var quoted = units.some(function (u) { return u.quoted; });
    var quotedMask = 0; // a paper lacking a quoted word cannot hold the phrase
    units.forEach(function (unit, u) { if (unit.quoted) quotedMask |= 1 << u; });
    if (U < 2 || !rows.count) return;
    var order = null; // every row; else the RUN_DOCS best by (words held, score)
    if (!quoted && rows.count > RUN_DOCS) order = topRows(rows, RUN_DOCS, null, byWordsAndScore);
    var prev = new Int32Array(U), cur = new Int32Array(U);
    var queryTerms = Array.from(termUnits.keys());
    var need = quotedChains(units);
    var best = 0, inTitle = 0, field = 0;
    // One scan of a field's query words in order, made once: it runs for thousands of papers.
    var scan = function (codes, start, end) {
      if (field++ === 1) inTitle = best; // the first stream is the title's
      prev.fill(0);
      var gap = false;
      for (var i = start; i < end; i++) {
        var term = codes[i];
        if (term === -2) { prev.fill(0); gap = false; continue; } // words far apart
        if (term < 0) { gap = true; continue; }
        var mask = termUnits.get(term) || 0;
        cur.fill(0);
        for (var u = 0; mask && u < U; u++) {
          if (!(mask & (1 << u))) continue;
          var unit = units[u];
          var linked = u > 0 && units[u - 1].chain === unit.chain && unit.chain >= 0 &&
            prev[u - 1] > 0 && (!gap || unit.gapBefore || units[u - 1].stop);
          cur[u] = linked ? prev[u - 1] + 1 : 1;
          if (cur[u] > best) best = cur[u];
        }
        for (var c = 0; c < need.length; c++) {
          if (cur[need[c].last] >= need[c].length) need[c].found = true;
        }
        var swap = prev; prev = cur; cur = swap;
        gap = false;
      }
    };
    var visit = inPaperOrder(rows, order);
    var cursor = new Int32Array(queryTerms.length);
    for (var o = 0; o < visit.length; o++) {
      var r = visit[o];
      if (rows.matched[r] < 2 && !quoted) continue;
      if ((held[rows.docs[r]] & quotedMask) !== quotedMask) { rows.run[r] = -1; continue; }
      best = 0;
      inTitle = 0;
      field = 0;
      for (var c = 0; c < need.length; c++) need[c].found = false;
      index.eachStream(rows.docs[r], queryTerms, scan, quoted, cursor);
      var phraseOk = true;
      for (c = 0; c < need.length; c++) phraseOk = phraseOk && need[c].found;
      rows.run[r] = !phraseOk ? -1 : Math.max(rows.run[r], best > 1 ? best : 0);
      rows.titleRun[r] = inTitle > 1 && inTitle === best ? 1 : 0; // the longest run is in the title
    }
  }

  /** Row numbers (order's, or every row) by paper number: postings are read in order. */
  function inPaperOrder(rows, order) {
    var count = order ? order.length : rows.count, keys = new Float64Array(count);
    for (var o = 0; o < count; o++) {
      var r = order ? order[o] : o;
      keys[o] = rows.docs[r] * 4194304 + r; // rows < 2^22; exact below 2^53
    }
    keys.sort();
    var out = new Int32Array(count);
    for (o = 0; o < count; o++) out[o] = keys[o] % 4194304;
    return out;
  }

  /** The quoted chains of units: [{last (unit number), length, found}]. */
  function quotedChains(units) {
    var out = [];
    units.forEach(function (unit, u) {
      if (!unit.quoted) return;
      var tail = out[out.length - 1];
      if (tail && units[tail.last].chain === unit.chain && tail.last === u - 1) {
        tail.last = u;
        tail.length++;
      } else {
        out.push({ last: u, length: 1, found: false });
      }
    });
    return out;
  }

  /** Runs of query words that spell an acronym's long form: [{acronym, start, end}]. */
  function longFormsOf(index, units) {
    var found = [];
    index.acronymList.forEach(function (acronym) {
      var words = acronym.terms.filter(function (t) { return t >= 0; });
      if (words.length < 2 || acronym.term === undefined) return;
      for (var s = 0; s + words.length <= units.length; s++) {
        var ok = true;
        for (var k = 0; k < words.length && ok; k++) {
          var unit = units[s + k];
          ok = !unit.clause && unit.presence !== "prohibited" &&
            index.wordTerm(unit.raw) === words[k] ||
            (unit.prefix && k === words.length - 1 && unit.terms.indexOf(words[k]) >= 0);
        }
        if (ok) found.push({ acronym: acronym, start: s, end: s + words.length });
      }
    });
    // "graph neural networks" is GNN; not also NN for its last two words
    return found.filter(function (a) {
      return !found.some(function (b) {
        return b !== a && b.start <= a.start && a.end <= b.end && b.end - b.start > a.end - a.start;
      });
    });
  }

  /**
   * Two words typed in a row that the corpus also writes as one ("pre trained" for
   * "pretrained", "fine tuning" for "finetuning"): the written word stands for both, as
   * an acronym stands for its long form (joinedSplits is the other way round).
   */
  function joinedRuns(index, units) {
    var found = [];
    for (var u = 0; u + 1 < units.length; u++) {
      var a = units[u], b = units[u + 1];
      if (a.clause || b.clause || a.stop || b.stop || a.chain !== b.chain) continue;
      if (a.presence === "prohibited" || b.presence === "prohibited") continue;
      if (a.quoted || a.fields || b.fields || b.gapBefore) continue; // as typed; "data of sets"
      var word = a.raw + b.raw, term = index.vocabulary.written(word);
      if (term < 0) continue;
      var long = a.raw + " " + b.raw;
      found.push({ acronym: { short: word, long: long, term: term, terms: wordTerms(index, long) },
        start: u, end: u + 2, joined: true });
    }
    return found;
  }

  /**
   * Run a user query against an index. Never throws on user input. options.prefixLast:
   * also match the last word as a prefix (search-as-you-type).
   * Returns {ranking, notice, mode, corrected, expansions}.
   */
  function search(index, query, options) {
    options = options || {};
    query = String(query || "").trim();
    var result = { ranking: EMPTY, notice: "", mode: "exact", corrected: "", expansions: [] };
    if (!query) return result;
    var ranked = rankQuery(index, query, options);
    if (ranked.missing) return { missing: ranked.missing };
    result.ranking = ranked.ranking;
    var words = ranked.units.filter(function (u) { return !u.stop || u.prefix; });
    if (words.some(function (u) { return u.corrected; })) {
      result.mode = "typo";
      result.corrected = words.map(function (u) { // its syntax kept: "-gradcam", "title:word"
        var required = u.presence === "required" && !u.quoted;
        var sign = u.presence === "prohibited" ? "-" : required ? "+" : "";
        var field = u.fields && u.fields.length === 1 ? index.fields[u.fields[0]] + ":" : "";
        return sign + field + (u.corrected || u.raw);
      }).join(" ");
      result.notice = "Showing results for \u201c" + result.corrected + "\u201d.";
    }
    var missing = words.filter(function (u) {
      return !u.terms.length && !u.acronym && !u.splits.length && !u.inRun &&
        u.presence !== "prohibited" && !u.stop;
    });
    if (missing.length) {
      result.notice += (result.notice ? " " : "") + "No paper contains " +
        missing.map(function (u) { return "\u201c" + u.raw + "\u201d"; }).join(" or ") + ".";
    }
    // each once, though two units may have made the same ("multihead multihead")
    var pairs = ranked.expansions.map(function (a) { return [a.short, a.long]; });
    var keys = pairs.map(function (pair) { return pair.join("\n"); });
    result.expansions = pairs.filter(function (pair, i) { return keys.indexOf(keys[i]) === i; });
    return result;
  }

  /* ---- rankings --------------------------------------------------------- */

  /**
   * The candidate papers of a query, one row each: paper, words held, how many of those
   * its text holds as forms of the word (see byRank), run, title run, score.
   */
  function Rows(capacity) {
    this.docs = new Int32Array(capacity);
    this.matched = new Uint8Array(capacity);
    this.forms = new Uint8Array(capacity);
    this.run = new Int16Array(capacity);
    this.titleRun = new Uint8Array(capacity);
    this.scores = new Float64Array(capacity);
    this.count = 0;
  }

  Rows.prototype.push = function (doc, matched, run, score, forms) {
    var r = this.count++;
    this.docs[r] = doc;
    this.matched[r] = matched;
    this.forms[r] = forms;
    this.run[r] = run;
    this.scores[r] = score;
  };

  /** Drop the rows keep(row) refuses, keeping the others in order. */
  Rows.prototype.keep = function (keep) {
    var n = 0;
    for (var r = 0; r < this.count; r++) {
      if (!keep(r)) continue;
      this.docs[n] = this.docs[r];
      this.matched[n] = this.matched[r];
      this.forms[n] = this.forms[r];
      this.run[n] = this.run[r];
      this.titleRun[n] = this.titleRun[r];
      this.scores[n] = this.scores[r];
      n++;
    }
    this.count = n;
  };

  /**
   * Whether row i ranks above row j: words held, how many of them its text holds as
   * forms of the word (so a paper that says "generalization" ranks above one that says
   * only "generative", or that only sits in a theme named so), run, run in the title,
   * score, paper.
   */
  function byRank(rows, i, j) {
    if (rows.matched[i] !== rows.matched[j]) return rows.matched[i] > rows.matched[j];
    if (rows.forms[i] !== rows.forms[j]) return rows.forms[i] > rows.forms[j];
    if (rows.run[i] !== rows.run[j]) return rows.run[i] > rows.run[j];
    if (rows.titleRun[i] !== rows.titleRun[j]) return rows.titleRun[i] > rows.titleRun[j];
    if (rows.scores[i] !== rows.scores[j]) return rows.scores[i] > rows.scores[j];
    return rows.docs[i] < rows.docs[j];
  }

  /** Whether row i ranks above row j by words held and score alone (before proximity). */
  function byWordsAndScore(rows, i, j) {
    if (rows.matched[i] !== rows.matched[j]) return rows.matched[i] > rows.matched[j];
    if (rows.forms[i] !== rows.forms[j]) return rows.forms[i] > rows.forms[j];
    if (rows.scores[i] !== rows.scores[j]) return rows.scores[i] > rows.scores[j];
    return rows.docs[i] < rows.docs[j];
  }

  /**
   * The best k rows (those keep accepts; all when keep is null), best first, by a
   * bounded heap whose root is the worst kept so far: O(rows log k), not a full sort.
   */
  function topRows(rows, k, keep, above) {
    var heap = new Int32Array(Math.max(0, Math.min(k, rows.count))), size = 0;
    if (!heap.length) return heap;
    var worse = function (i, j) { return above(rows, heap[j], heap[i]); }; // heap[i] below heap[j]
    var swap = function (i, j) { var t = heap[i]; heap[i] = heap[j]; heap[j] = t; };
    for (var r = 0; r < rows.count; r++) {
      if (keep && !keep(r)) continue;
      if (size < heap.length) {
        heap[size] = r;
        for (var c = size++; c > 0 && worse(c, (c - 1) >> 1); c = (c - 1) >> 1) swap(c, (c - 1) >> 1);
      } else if (above(rows, r, heap[0])) {
        heap[0] = r;
        for (var i = 0; ;) {
          var l = 2 * i + 1, m = i;
          if (l < size && worse(l, m)) m = l;
          if (l + 1 < size && worse(l + 1, m)) m = l + 1;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
    }
    return heap.subarray(0, size).sort(function (i, j) { return above(rows, i, j) ? -1 : 1; });
  }

  /**
   * A query's matching papers (rows, unordered), how many words a full match holds
   * (active), and terms(ref): the matched index terms of one paper. Only the page
   * asked for is ever put in order (top).
   */
  function Ranking(rows, active, terms) {
    this.rows = rows;
    this.count = rows.count;
    this.active = active;
    this.terms = terms;
  }

  /** Row numbers of the best k papers that keep (a row -> bool, or null) accepts, best first. */
  Ranking.prototype.top = function (k, keep) {
    return topRows(this.rows, k, keep, byRank);
  };

  /** Every matching paper's number, in rank order (tests compare whole rankings). */
  Ranking.prototype.ordered = function () {
    var docs = this.rows.docs;
    return Array.from(this.top(this.count, null), function (r) { return docs[r]; });
  };

  /** Whether row r holds every query word. */
  Ranking.prototype.isFull = function (r) {
    return this.rows.matched[r] === this.active;
  };

  var EMPTY = new Ranking(new Rows(0), 0, function () { return []; });

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
    var index = this.index;
    var result = search(index, query, { prefixLast: prefixLast });
    // Load what a query names until nothing is missing (one round: shards and late files).
    for (var round = 0; result.missing && index.load && round < 3; round++) {
      result.missing.forEach(function (name) { index.addShard(index.load(name)); });
      result = search(index, query, { prefixLast: prefixLast });
    }
    if (result.missing) return result; // the caller loads these shards, then asks again
    this.cache.unshift({ key: key, result: result });
    if (this.cache.length > CACHED) this.cache.pop();
    return result;
  };

  /**
   * options: prefixLast, offset (default 0), limit (default 20), theme (a theme
   * number; -1 or absent for all). Returns {hits, total (after the theme filter),
   * all (before it), full (hits of total holding every word: they come first),
   * themeCounts, notice, mode, corrected, expansions, ms}; or {missing: [shard
   * names]} when the index has no loader and must get those shards first.
   */
  Searcher.prototype.query = function (query, options) {
    options = options || {};
    var started = now();
    var result = this.ranked(String(query || "").trim(), !!options.prefixLast);
    if (result.missing) return { missing: result.missing };
    var ranking = result.ranking;
    var offset = Math.max(0, options.offset | 0);
    var limit = options.limit == null ? 20 : Math.max(0, options.limit | 0);
    var theme = options.theme == null ? -1 : options.theme;
    var themes = this.themes, docs = ranking.rows.docs;
    var counts = [];
    for (var t = 0; t < this.themeCount; t++) counts.push(0);
    var total = 0, full = 0;
    for (var i = 0; i < ranking.count; i++) {
      if (themes) counts[themes[docs[i]]]++;
      if (theme >= 0 && (!themes || themes[docs[i]] !== theme)) continue;
      if (ranking.isFull(i)) full++;
      total++;
    }
    var keep = theme < 0 ? null : function (r) { return !!themes && themes[docs[r]] === theme; };
    var hits = Array.from(ranking.top(offset + limit, keep).subarray(offset), function (r) {
      return { ref: String(docs[r]), score: ranking.rows.scores[r], terms: ranking.terms(docs[r]),
        full: ranking.isFull(r) };
    });
    return {
      hits: hits, total: total, all: ranking.count, full: full, themeCounts: counts,
      notice: result.notice, mode: result.mode, corrected: result.corrected,
      expansions: result.expansions, ms: now() - started,
    };
  };

  function now() {
    return typeof performance !== "undefined" ? performance.now() : Date.now();
  }

  /* ---- the index: a head, then postings loaded by term -------------------- */

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

  var STREAM_FIELDS = ["title", "abstract"]; // sitegen.search.POSITION_FIELDS
  var VARINT_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT = new Int8Array(128);
  for (var d = 0; d < 64; d++) DIGIT[VARINT_DIGITS.charCodeAt(d)] = d;

  /** The ints of a varint string (sitegen.search.varint: 5 bits a digit, lowest first, 32 = more). */
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

  /**
   * The head file (sitegen.search.ShardedIndex.head) ready for an Index: lunr's
   * header, the terms and their written forms, how many (paper, field) pairs hold
   * each term, each (paper, field)'s length and the first term of each shard.
   */
  function readHead(head) {
    var F = head.fields.length, byField = readVarints(head.l), size = byField.length / F;
    var lengths = new Int32Array(byField.length), average = [];
    for (var f = 0; f < F; f++) {
      var total = 0;
      for (var i = 0; i < size; i++) {
        total += byField[f * size + i];
        lengths[i * F + f] = byField[f * size + i];
      }
      average.push(total / size); // lunr.py's average field length, summed in the same order
    }
    var idf = new Map();
    for (var j = 0; j < head.idf.length; j += 2) idf.set(head.idf[j], head.idf[j + 1]);
    return {
      version: head.version, fields: head.fields, pipeline: head.pipeline, boosts: head.boosts,
      k1: head.k1, b: head.b, idf: idf, terms: head.t, forms: head.w, pairs: readVarints(head.n),
      lengths: lengths, average: average, size: size, first: head.first, tier: head.tier || 0,
    };
  }

  /**
   * One term's n postings, read from a shard's ints at `at` (sitegen.search's
   * term_codes: per posting paper * fields + field minus the previous one, tf, and
   * 2 * tf + 1 and a form mark, or 2 * tf, then for the title and abstract the slot
   * deltas; a tiered term doubles their tf code, plus 1 when the slots follow): papers, fields,
   * lunr.py's weights (the same BM25 expression in the same order, rounded like Python),
   * form marks and the word slots.
   * Returns {post, end}. Two passes over typed arrays: a common word has 100k postings.
   */
  function readPosting(index, term, n, ints, at) {
    var head = index.head, positional = index.positional;
    var F = head.fields.length, k1 = head.k1, b = head.b, boosts = head.boosts;
    var lengths = head.lengths, average = head.average;
    var idf = head.idf.get(head.pairs[term]);
    var tiered = head.tier > 0 && n > head.tier; // sitegen.search.POSITION_POSTINGS
    var from = at, where = 0, slotCount = 0, lateCount = 0, p, tf, here, marked = 0;
    for (p = 0; p < n; p++) {
      where += ints[at];
      tf = ints[at + 1];
      at += 2;
      here = !tiered || !positional[where % F] || (tf & 1) === 1;
      if (tiered && positional[where % F]) tf >>= 1;
      if (tf & 1) { marked++; at++; } // 2 * tf, plus 1 when a form mark follows
      if (!positional[where % F]) continue;
      if (!here) { lateCount++; continue; }
      slotCount += tf >> 1;
      at += tf >> 1;
    }
    var post = {
      docs: new Int32Array(n), fields: new Uint8Array(n), weights: new Float64Array(n),
      slotStart: new Int32Array(n + 1), slots: new Int32Array(slotCount),
      // each posting's form mark (sitegen.wordforms), 0 for none: see formShare
      marks: marked ? new Int32Array(n) : null,
      // a very frequent term: the postings whose slots are in its late file, and their tf
      has: null, lateAt: null, lateTf: null, lateStart: null, lateSlots: null, lateRank: null,
    };
    if (lateCount) {
      post.has = new Uint8Array(n);
      post.lateAt = new Int32Array(lateCount);
      post.lateTf = new Int32Array(lateCount);
    }
    var end = at, slotAt = 0, late = 0;
    at = from;
    where = 0;
    for (p = 0; p < n; p++) {
      where += ints[at];
      tf = ints[at + 1];
      at += 2;
      var field = where % F;
      here = true;
      if (positional[field] && tiered) {
        here = (tf & 1) === 1;
        tf >>= 1;
      }
      if (tf & 1) post.marks[p] = ints[at++];
      tf >>= 1;
      post.docs[p] = (where / F) | 0;
      post.fields[p] = field;
      // lunr.py: idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (length / average)) + tf)
      var norm = k1 * (1 - b + b * (lengths[where] / average[field]));
      post.weights[p] = round3(idf * ((k1 + 1) * tf) / (norm + tf) * boosts[field]);
      post.slotStart[p] = slotAt;
      if (!positional[field]) continue;
      if (!here) {
        post.lateAt[late] = p;
        post.lateTf[late++] = tf;
        continue;
      }
      if (post.has) post.has[p] = 1;
      for (var k = 0, slot = 0; k < tf; k++) post.slots[slotAt++] = (slot += ints[at++]);
    }
    post.slotStart[n] = slotAt;
    return { post: post, end: end };
  }

  /** Read a shard (``s``: per term its number, count and postings) into index.postings. */
  function readShard(index, data) {
    if (data.p !== undefined) return readLate(index, data);
    var ints = readVarints(data.s), at = 0;
    while (at < ints.length) {
      var term = ints[at], read = readPosting(index, term, ints[at + 1], ints, at + 2);
      index.postings[term] = read.post;
      at = read.end;
    }
  }

  /**
   * Read a late file (``p``: per term its number, how many ints follow, then the
   * slots its shard lacks, posting by posting). Kept as codes: a posting decodes
   * them the first time an exact phrase asks (lateSlotsOf).
   */
  function readLate(index, data) {
    var ints = readVarints(data.p), at = 0;
    while (at < ints.length) {
      var term = ints[at], count = ints[at + 1];
      index.lateCodes[term] = ints.subarray(at + 2, at + 2 + count);
      at += 2 + count;
      index.lateRead[index.shardOf(term)] = 1;
    }
  }

  /** Decode a posting's late slots from its term's late codes (all loaded: see missing). */
  function lateSlotsOf(index, term, post) {
    var codes = index.lateCodes[term], k = post.lateAt.length;
    var start = new Int32Array(k + 1), slots = new Int32Array(codes.length), at = 0;
    for (var i = 0; i < k; i++) {
      start[i] = at;
      for (var j = 0, slot = 0; j < post.lateTf[i]; j++) slots[at] = (slot += codes[at++]);
    }
    start[k] = at;
    post.lateStart = start;
    post.lateSlots = slots;
    post.lateRank = new Int32Array(post.docs.length); // posting -> its place in lateAt
    for (i = 0; i < k; i++) post.lateRank[post.lateAt[i]] = i;
  }

  /** Term numbers in the order of their terms, as JavaScript compares strings. */
  function sortedTermNumbers(terms) {
    return terms.map(function (_, n) { return n; })
      .sort(function (a, b) { return terms[a] < terms[b] ? -1 : 1; });
  }

  /**
   * An index over a head (readHead, or titleHead for stage one); acronyms: titles.js's
   * list; shards: the names of the shard files, in order. Postings arrive by shard
   * (addShard), as queries need them: missing(terms) names the shards to load first.
   * load(name), when given, returns a shard's data at once (the worker, node).
   */
  function FullIndex(head, acronyms, shards, load) {
    var index = this;
    this.head = head;
    this.fields = head.fields.slice();
    this.size = head.size;
    this.pipeline = lunr.Pipeline.load(head.pipeline);
    this.termOf = head.terms;
    this.termCount = head.terms.length;
    this.termNumber = new Map(head.terms.map(function (term, n) { return [term, n]; }));
    var sorted = sortedTermNumbers(head.terms).map(function (n) { return head.terms[n]; });
    this.tokenSet = lunr.TokenSet.fromArray(sorted); // as lunr.Index.load builds it
    this.vocabulary = new Vocabulary(head.terms, head.forms, head.pairs);
    this.streamFields = STREAM_FIELDS.map(function (name) { return index.fields.indexOf(name); });
    this.positional = this.fields.map(function (_, f) { return index.streamFields.indexOf(f) >= 0; });
    // A field whose words say what the paper is about: not its theme's name ("Detection &
    // segmentation" for a detection paper), which ranks after the text (see formShare).
    this.topical = this.fields.map(function (name) { return name !== "themes"; });
    this.postings = new Array(this.termCount);
    this.shards = shards || [];
    this.lates = []; // late files, by shard ("" for none): openFull sets them
    this.lateRead = new Uint8Array(this.shards.length);
    this.lateCodes = new Array(this.termCount);
    this.load = load || null;
    acronymsOf(this, acronyms);
    this._lunr = null;
  }

  /** A term's idf (lunr.py's, from how many (field, paper) pairs hold it). */
  FullIndex.prototype.idfOf = function (term) {
    return this.head.idf.get(this.head.pairs[term]);
  };

  /**
   * The names of the files to load first: the shards that hold terms not loaded yet,
   * and the late files of the exact terms (a quoted phrase's words, an acronym's long
   * form) that keep only some of their slots in their shard.
   */
  FullIndex.prototype.missing = function (terms, exact) {
    var names = [], tier = this.head.tier, pairs = this.head.pairs;
    for (var i = 0; i < terms.length; i++) {
      if (this.postings[terms[i]] || terms[i] < 0) continue;
      var name = this.shards[this.shardOf(terms[i])];
      if (names.indexOf(name) < 0) names.push(name);
    }
    for (i = 0; exact && i < exact.length; i++) {
      if (exact[i] < 0 || !tier || pairs[exact[i]] <= tier) continue;
      var shard = this.shardOf(exact[i]), late = this.lates[shard];
      if (late && !this.lateRead[shard] && names.indexOf(late) < 0) names.push(late);
    }
    return names;
  };

  /** The number of the shard that holds a term. */
  FullIndex.prototype.shardOf = function (term) {
    var first = this.head.first, text = this.termOf[term], lo = 0, hi = first.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (first[mid] <= text) lo = mid; else hi = mid - 1;
    }
    return lo;
  };

  /** Take in a shard's data (search/shard-NNN.js). */
  FullIndex.prototype.addShard = function (data) { readShard(this, data); };

  /** Load every shard (with load): for lunr's own Index over the same data. */
  FullIndex.prototype.loadAll = function () {
    var all = this.termOf.map(function (_, n) { return n; });
    var self = this;
    this.missing(all).forEach(function (name) { self.addShard(self.load(name)); });
  };

  /** lunr.Index over the same index (built on first use; the tests' reference). */
  Object.defineProperty(FullIndex.prototype, "lunr", {
    get: function () {
      if (!this._lunr) this._lunr = lunr.Index.load(this.serialized());
      return this._lunr;
    },
  });

  /**
   * The serialized lunr index this stands for: what lunr.py's serialize() gave at
   * build time, with terms sorted as JavaScript compares strings (lunr.js's TokenSet
   * needs that order), rebuilt from the postings (all of them: see loadAll).
   */
  FullIndex.prototype.serialized = function () {
    if (this.load) this.loadAll();
    var F = this.fields.length, fields = this.fields;
    var fieldVectors = [], vectors = [];
    for (var i = 0; i < this.size * F; i++) {
      vectors.push([]);
      fieldVectors.push([fields[i % F] + "/" + ((i / F) | 0), vectors[i]]);
    }
    var postings = [];
    for (var term = 0; term < this.termCount; term++) {
      var posting = {}, post = this.postings[term];
      fields.forEach(function (name) { posting[name] = {}; });
      // Terms in ascending number keep each vector's terms ascending, as lunr has them.
      for (var p = 0; p < post.docs.length; p++) {
        posting[fields[post.fields[p]]][post.docs[p]] = {};
        vectors[post.docs[p] * F + post.fields[p]].push(term, post.weights[p]);
      }
      posting._index = term;
      postings.push(posting);
    }
    var termOf = this.termOf;
    return {
      version: this.head.version, fields: fields.slice(), fieldVectors: fieldVectors,
      invertedIndex: sortedTermNumbers(termOf).map(function (n) {
        return [termOf[n], postings[n]];
      }),
      pipeline: this.head.pipeline.slice(),
    };
  };

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

  /* ---- what the ranker asks of an index ----------------------------------- */

  /**
   * fn(doc, weight, form) once per paper holding a term in the fields asked for (null:
   * all): its weight summed over those fields, each posting's scaled by share(p)
   * (formShare) if given; form: a field other than the theme's name holds a form of the
   * word. A paper's postings stand together (ordered by paper * fields + field), so one
   * pass sums them, with no per-paper buffer.
   */
  FullIndex.prototype.eachWeight = function (term, fields, fn, share) {
    var post = this.postings[term];
    if (!post) return;
    var allowed = new Uint8Array(this.fields.length), topical = this.topical;
    for (var f = 0; f < allowed.length; f++) allowed[f] = !fields || fields.indexOf(f) >= 0 ? 1 : 0;
    var docs = post.docs, inField = post.fields, weights = post.weights, n = docs.length;
    for (var p = 0; p < n;) {
      var doc = docs[p], sum = 0, any = false, form = false;
      for (; p < n && docs[p] === doc; p++) {
        if (!allowed[inField[p]]) continue;
        var part = share ? share(p) : 1;
        sum += weights[p] * part;
        any = true;
        if (part === 1 && topical[inField[p]]) form = true;
      }
      if (any) fn(doc, sum, form);
    }
  };

  /** The number of a term's posting for one paper's field, or -1. */
  function postingOf(post, doc, field) {
    var lo = 0, hi = post.docs.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (post.docs[mid] < doc) lo = mid + 1; else hi = mid;
    }
    for (; lo < post.docs.length && post.docs[lo] === doc; lo++) {
      if (post.fields[lo] === field) return lo;
    }
    return -1;
  }

  /** Whether a paper's field holds a (loaded) term. */
  FullIndex.prototype.holds = function (term, doc, field) {
    var post = this.postings[term];
    return !!post && postingOf(post, doc, field) >= 0;
  };

  var NO_SLOTS = new Int32Array(0);

  /**
   * The slots of a term in one paper's field, or null. A very frequent term keeps
   * the slots of its best postings only (sitegen.search.POSITION_POSTINGS): the
   * others are empty, unless exact (then from its late file: see missing).
   */
  FullIndex.prototype.slotsOf = function (term, doc, field, exact) {
    var post = this.postings[term];
    if (!post) return null;
    var p = postingOf(post, doc, field);
    return p < 0 ? null : slotsAt(this, term, post, p, exact);
  };

  /** The slots of posting p of a term (see slotsOf). */
  function slotsAt(index, term, post, p, exact) {
    if (!post.has || post.has[p]) return post.slots.subarray(post.slotStart[p], post.slotStart[p + 1]);
    if (!exact || !index.lateCodes[term]) return NO_SLOTS;
    if (!post.lateStart) lateSlotsOf(index, term, post);
    var k = post.lateRank[p];
    return post.lateSlots.subarray(post.lateStart[k], post.lateStart[k + 1]);
  }

  /**
   * fn(codes, 0, length) for a paper's title, then its abstract: the given terms in
   * word order; between two, -1 when one word slot separates them (a stop word or
   * another word), -2 when more do.
   */
  FullIndex.prototype.eachStream = function (doc, terms, fn, exact, cursor) {
    // Reused buffers: this runs for thousands of papers per query.
    var keys = this.streamKeys || (this.streamKeys = new Float64Array(4096));
    var codes = this.streamCodes || (this.streamCodes = new Int32Array(8192));
    if (!this.streamAt || this.streamAt.length < terms.length) this.streamAt = new Int32Array(terms.length + 64);
    var at = this.streamAt;
    // Each term's first posting for doc (-1: none); with a cursor (papers visited in
    // order), a walk forward from the last paper's, not a search of the whole list.
    for (var i = 0; i < terms.length; i++) {
      var post = this.postings[terms[i]];
      at[i] = -1;
      if (!post) continue;
      var p = seek(post.docs, doc, cursor ? cursor[i] : 0);
      if (cursor) cursor[i] = p;
      if (p < post.docs.length && post.docs[p] === doc) at[i] = p;
    }
    for (var s = 0; s < this.streamFields.length; s++) {
      var n = 0, field = this.streamFields[s];
      for (i = 0; i < terms.length; i++) {
        if (at[i] < 0) continue;
        post = this.postings[terms[i]];
        for (p = at[i]; p < post.docs.length && post.docs[p] === doc && post.fields[p] !== field; p++);
        if (p >= post.docs.length || post.docs[p] !== doc) continue;
        // the posting's slots, read in place (no view per posting: thousands per query)
        var slots = post.slots, from = post.slotStart[p], to = post.slotStart[p + 1];
        if (post.has && !post.has[p]) {
          if (!exact || !this.lateCodes[terms[i]]) continue;
          if (!post.lateStart) lateSlotsOf(this, terms[i], post);
          var late = post.lateRank[p];
          slots = post.lateSlots;
          from = post.lateStart[late];
          to = post.lateStart[late + 1];
        }
        for (var k = from; k < to && n < keys.length; k++) {
          keys[n++] = slots[k] * 4096 + i; // slot, then which term: one number to sort
        }
      }
      var sorted = n > 64 ? keys.subarray(0, n).sort() : insertionSorted(keys, n);
      var length = 0, last = -10;
      for (i = 0; i < n && length + 2 < codes.length; i++) {
        var slot = Math.floor(sorted[i] / 4096), apart = slot - last;
        if (apart === 2) codes[length++] = -1;
        else if (apart > 2) codes[length++] = -2;
        codes[length++] = terms[sorted[i] - slot * 4096];
        last = slot;
      }
      fn(codes, 0, length);
    }
  };

  /** The first index of sorted docs at or after from holding a value >= doc (galloping). */
  function seek(docs, doc, from) {
    var length = docs.length;
    if (from >= length || docs[from] >= doc) return from;
    var lo = from, step = 1;
    while (lo + step < length && docs[lo + step] < doc) {
      lo += step;
      step *= 2;
    }
    var hi = Math.min(lo + step, length); // docs[lo] < doc <= docs[hi] (or the end)
    while (lo + 1 < hi) {
      var mid = (lo + hi) >> 1;
      if (docs[mid] < doc) lo = mid; else hi = mid;
    }
    return hi;
  }

  /** keys[0..n) sorted in place, for the few slots of one field: no call, no view. */
  function insertionSorted(keys, n) {
    for (var a = 1; a < n; a++) {
      var value = keys[a], b = a - 1;
      for (; b >= 0 && keys[b] > value; b--) keys[b + 1] = keys[b];
      keys[b + 1] = value;
    }
    return keys;
  }

  /** fn(doc, weight) for papers whose title or abstract holds terms in order (-1: a stop word). */
  FullIndex.prototype.eachPhrase = function (terms, fn) {
    var words = terms.filter(function (t) { return t >= 0; });
    if (!words.length) return;
    var self = this, N = this.size, distinct = unique(words);
    // Word order is read only where the title or abstract holds every word.
    var holds = new Uint8Array(N), inPhrase = new Uint8Array(N), weights = new Float64Array(N);
    distinct.forEach(function (t) {
      self.eachWeight(t, self.streamFields, function (doc) { holds[doc]++; });
    });
    var cursor = new Int32Array(words.length);
    for (var doc = 0; doc < N; doc++) {
      if (holds[doc] !== distinct.length) continue;
      inPhrase[doc] = words.length === 1 || this.holdsPhrase(doc, terms, cursor) ? 1 : 0;
    }
    words.forEach(function (t) {
      self.eachWeight(t, null, function (doc, w) { if (inPhrase[doc]) weights[doc] += w; });
    });
    for (doc = 0; doc < N; doc++) if (inPhrase[doc]) fn(doc, weights[doc]);
  };

  /**
   * Whether a paper's title or abstract holds terms in order, a one-word gap where
   * terms has -1 (a stop word: "network in network") and nowhere else ("domain
   * generalization" is not "domain image generalization").
   */
  FullIndex.prototype.holdsPhrase = function (doc, terms, cursor) {
    var words = [], gapBefore = [];
    terms.forEach(function (t) {
      if (t >= 0) words.push(t); else if (words.length) gapBefore[words.length] = true;
    });
    var hit = false;
    // each term once: a repeated one would stand next to itself in the stream
    this.eachStream(doc, unique(words), function (codes, start, end) {
      var k = 0, gap = false;
      for (var i = start; i < end && !hit; i++) {
        var code = codes[i];
        if (code === -2) { k = 0; gap = false; continue; } // words far apart
        if (code === -1) { gap = true; continue; } // one word between
        if (k > 0 && gap !== !!gapBefore[k]) k = 0;
        k = code === words[k] ? k + 1 : code === words[0] ? 1 : 0;
        gap = false;
        if (k === words.length) hit = true;
      }
    }, true, cursor);
    return hit;
  };

  /**
   * What to mark in a paper's hit (see markers): for each query word the paper holds,
   * "~word" (its forms) and, while it is typed, "word*" (words that start so), or its
   * correction, the written forms of what wildcard and fuzzy syntax
   * matched; and the short and long form of an acronym that was searched.
   */
  FullIndex.prototype.matchedTerms = function (ref, units, expansions) {
    var self = this, out = [];
    var holdsAny = function (terms) {
      for (var i = 0; i < terms.length; i++) {
        for (var f = 0; terms[i] >= 0 && f < self.fields.length; f++) {
          if (self.holds(terms[i], ref, f)) return true;
        }
      }
      return false;
    };
    var add = function (key) { if (out.indexOf(key) < 0) out.push(key); };
    units.forEach(function (unit) {
      if (unit.presence === "prohibited") return;
      // a word's splits this paper holds ("gradcam": "Grad-CAM"), also those begun while typing
      unit.splits.forEach(function (split) {
        var both = holdsAny(split.terms.slice(0, 1)) && holdsAny(split.terms.slice(1));
        if (both) add("=" + split.long);
      });
      if (!holdsAny(unit.terms)) return;
      if (unit.clause) {
        unit.terms.forEach(function (t) {
          if (!holdsAny([t])) return;
          add(self.termOf[t]);
          // and the words it was written as ("key" for lunr.py's "kei")
          var forms = self.head.forms[t];
          if (forms) forms.split(" ").forEach(add);
        });
      } else if (unit.corrected) {
        add("~" + unit.corrected);
      } else {
        if (unit.prefix) add(unit.raw + "*");
        add("~" + unit.raw); // typed so far or whole: its forms, as formShare counts them
      }
    });
    expansions.forEach(function (a) {
      if (a.term !== undefined && holdsAny([a.term])) add("~" + fold(a.short));
      if (!holdsAny(a.terms)) return;
      add("=" + wordsWithGaps(a.long).map(trim).filter(Boolean).join(" ")); // as a phrase
    });
    return out;
  };

  /** Acronyms the build found ([[short, long]]), as terms of this index. */
  function acronymsOf(index, pairs) {
    var list = (pairs || []).map(function (pair) {
      return {
        short: pair[0], long: pair[1], term: index.wordTerm(fold(pair[0])),
        terms: wordTerms(index, pair[1]),
      };
    });
    index.acronymList = list.filter(function (a) { return a.terms.indexOf(-2) < 0; });
    // keyed by the short form's term: one that is a stop word ("IN") has none to be typed as
    index.acronyms = new Map(list.filter(function (a) { return indexTerm(a.short); })
      .map(function (a) { return [indexTerm(a.short), a]; }));
  }

  /** The term numbers of a text's words: -1 for a stop word, -2 for a word the index lacks. */
  function wordTerms(index, text) {
    return wordsWithGaps(text).map(function (word) {
      if (!indexTerm(word)) return -1;
      var n = index.wordTerm(word);
      return n === undefined ? -2 : n;
    });
  }

  /** The lower-case words of a text, as lunr's tokenizer splits it. */
  function wordsWithGaps(text) {
    return fold(text).split(lunr.tokenizer.separator).filter(Boolean);
  }

  /**
   * The term number of a word: the term lunr.py made of it where the corpus has the
   * word as written (lunr.py's stemmer and lunr.js's differ on some words: "key"
   * is "kei" to one and "key" to the other), else what lunr.js's pipeline makes of it.
   */
  FullIndex.prototype.wordTerm = function (word) {
    var written = this.vocabulary.written(trim(fold(word)));
    return written >= 0 ? written : this.termNumber.get(indexTerm(word));
  };

  /* ---- the vocabulary: words as written, for prefixes and typos --------- */

  var STEM_ONLY = 1 << 20; // the rank of a term no one wrote as such (typos ignore it)

  /** Every written form and term of an index, sorted, with its term number. */
  function Vocabulary(terms, forms, df) {
    var pairs = [];
    terms.forEach(function (term, n) {
      var written = forms && forms[n] ? forms[n].split(" ") : [term];
      written.forEach(function (w, rank) { pairs.push([w, n, rank]); });
      if (written.indexOf(term) < 0) pairs.push([term, n, STEM_ONLY]);
    });
    pairs.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]; });
    this.words = pairs.map(function (p) { return p[0]; });
    this.terms = Int32Array.from(pairs, function (p) { return p[1]; });
    this.ranks = Int32Array.from(pairs, function (p) { return p[2]; }); // 0: its term's commonest form
    this.df = df;
  }

  /** The term of a word as the corpus writes it (its commonest use), or -1. */
  Vocabulary.prototype.written = function (word) {
    var best = -1, rank = STEM_ONLY;
    for (var i = lowerBound(this.words, word); i < this.words.length && this.words[i] === word; i++) {
      if (this.ranks[i] < rank) { best = this.terms[i]; rank = this.ranks[i]; }
    }
    return best;
  };

  /** The commonest written word of term that starts with prefix (prefix itself if none). */
  Vocabulary.prototype.writtenFrom = function (prefix, term) {
    var best = prefix, rank = STEM_ONLY + 1;
    for (var i = lowerBound(this.words, prefix); i < this.words.length; i++) {
      if (this.words[i].lastIndexOf(prefix, 0) !== 0) break;
      if (this.terms[i] === term && this.ranks[i] < rank) {
        best = this.words[i];
        rank = this.ranks[i];
      }
    }
    return best;
  };

  /** Terms of the words that start with prefix, at most limit, the most frequent first. */
  Vocabulary.prototype.prefixed = function (prefix, limit) {
    var out = [], seen = new Set(); // a Set: "s" begins ~100k words of a large index
    for (var i = lowerBound(this.words, prefix); i < this.words.length; i++) {
      if (this.words[i].lastIndexOf(prefix, 0) !== 0) break;
      if (!seen.has(this.terms[i])) {
        seen.add(this.terms[i]);
        out.push(this.terms[i]);
      }
    }
    var df = this.df;
    if (out.length > limit) out = out.sort(function (a, b) { return df[b] - df[a] || a - b; }).slice(0, limit);
    return out;
  };

  /**
   * The written word nearest to word (one edit for 4+ letters, two for 8+), the most
   * frequent on a tie: {word, term}, or null.
   */
  Vocabulary.prototype.correct = function (word) {
    var limit = typoLimit(word);
    if (!limit) return null;
    var best = null, bestKey = null;
    for (var i = 0; i < this.words.length; i++) {
      var candidate = this.words[i];
      if (Math.abs(candidate.length - word.length) > limit || this.ranks[i] === STEM_ONLY) continue;
      var distance = editDistance(word, candidate, limit);
      if (distance > limit) continue;
      // nearest; then the most frequent term, and its most frequent form
      var key = [distance, -this.df[this.terms[i]], this.ranks[i], candidate];
      if (!bestKey || lessThan(key, bestKey)) {
        best = { word: candidate, term: this.terms[i] };
        bestKey = key;
      }
    }
    return best;
  };

  function lessThan(a, b) {
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
  }

  /** The edits a misspelling of word may hold: one for 4+ letters, two for 8+. */
  function typoLimit(word) {
    return word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
  }

  /** Levenshtein distance of a and b, or limit + 1 once it exceeds limit. */
  function editDistance(a, b, limit) {
    var row = [];
    for (var j = 0; j <= b.length; j++) row.push(j);
    for (var i = 1; i <= a.length; i++) {
      var diagonal = row[0], smallest = (row[0] = i);
      for (j = 1; j <= b.length; j++) {
        var next = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
        diagonal = row[j];
        row[j] = next;
        if (next < smallest) smallest = next;
      }
      if (smallest > limit) return limit + 1;
    }
    return row[b.length];
  }

  function lowerBound(sorted, value) {
    var lo = 0, hi = sorted.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (sorted[mid] < value) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /* ---- the title index: stage one ----------------------------------------- */

  /**
   * An index of the titles alone, built in the browser from titles.js (the other
   * fields are empty), with the head and postings a full index has, weighted as
   * lunr.py weighs the title.
   */
  function titleIndex(manifest) {
    var fields = manifest.fields, F = fields.length, docs = manifest.docs, N = docs.length;
    var numberOf = new Map(), terms = [], forms = [], rows = [];
    var lengths = new Int32Array(N * F);
    docs.forEach(function (record, doc) {
      var slotsOf = new Map(), wordsOf = new Map(), at = 0, inGap = false;
      fold(record[0]).split(lunr.tokenizer.separator).forEach(function (raw) {
        if (!raw) return;
        var term = indexTerm(raw);
        if (!term) { at += inGap ? 0 : 1; inGap = true; return; }
        inGap = false;
        var n = numberOf.get(term);
        if (n === undefined) {
          numberOf.set(term, (n = terms.length));
          terms.push(term);
          forms.push([]);
          rows.push([]);
        }
        var form = trim(raw);
        if (forms[n].indexOf(form) < 0) forms[n].push(form);
        if (!slotsOf.has(n)) {
          slotsOf.set(n, []);
          wordsOf.set(n, []);
        }
        slotsOf.get(n).push(at++);
        if (wordsOf.get(n).indexOf(form) < 0) wordsOf.get(n).push(form);
        lengths[doc * F]++;
      });
      slotsOf.forEach(function (slots, n) {
        rows[n].push([doc * F, slots.length, slots, formMark(terms[n], wordsOf.get(n))]);
      });
    });
    var pairs = Int32Array.from(rows, function (row) { return row.length; });
    var idf = new Map();
    pairs.forEach(function (p) {
      if (!idf.has(p)) idf.set(p, Math.log(1 + Math.abs((N - p + 0.5) / (p + 0.5))));
    });
    var total = 0;
    for (var i = 0; i < N; i++) total += lengths[i * F];
    var head = {
      version: "2.3.9", fields: fields, pipeline: ["stemmer"], boosts: manifest.boosts,
      k1: 1.2, b: 0.75, idf: idf, terms: terms, pairs: pairs, lengths: lengths, size: N,
      average: fields.map(function (_, f) { return f ? 0 : total / N; }), first: [""],
      forms: forms.map(function (list, n) {
        return list.length === 1 && list[0] === terms[n] ? "" : list.join(" ");
      }),
    };
    var index = new FullIndex(head, manifest.acronyms, []);
    rows.forEach(function (row, n) {
      var ints = [], before = 0; // as a shard writes them (one field: where is doc * F)
      row.forEach(function (entry) {
        ints.push(entry[0] - before, 2 * entry[1] + (entry[3] ? 1 : 0));
        if (entry[3]) ints.push(entry[3]);
        before = entry[0];
        for (var k = 0, slot = 0; k < entry[2].length; k++) {
          ints.push(entry[2][k] - slot);
          slot = entry[2][k];
        }
      });
      index.postings[n] = readPosting(index, n, row.length, ints, 0).post;
    });
    return index;
  }

  /* ---- opening a site's index ----------------------------------------------- */

  /**
   * A Searcher over the full index of a site: manifest is search/titles.js's data,
   * load(name) returns the data of search/NAME.js at once (the worker, node), and
   * shards come through it as queries need them; with shardsLater (the page on
   * file://, where scripts load asynchronously) load gives only the head, and the
   * caller loads the shards a query names (Searcher#query's missing) itself.
   */
  function openFull(manifest, load, shardsLater) {
    var head = readHead(load(manifest.index[0]));
    var index = new FullIndex(head, manifest.acronyms, manifest.shards, shardsLater ? null : load);
    index.lates = manifest.late || [];
    return searcherOf(index, manifest);
  }

  /** A Searcher over the titles alone (stage one), with the same ranking. */
  function openTitles(manifest) {
    return searcherOf(titleIndex(manifest), manifest);
  }

  function searcherOf(index, manifest) {
    // titles.js has each paper's title record, or (a large site) only its theme.
    var themes = manifest.docs ? Uint16Array.from(manifest.docs, function (d) { return d[1]; })
      : Uint16Array.from(readVarints(manifest.docThemes));
    return new Searcher(index, themes, manifest.themes.length);
  }

  return {
    openFull: openFull,
    openTitles: openTitles,
    fold: fold,
    indexTerm: indexTerm,
    termsOf: termsOf,
    highlight: highlight,
    snippet: snippet,
    search: search,
    parseQuery: parseQuery,
    parseClauses: parseClauses,
    Searcher: Searcher,
    round3: round3,
    editDistance: editDistance,
    typoLimit: typoLimit,
    sameWord: sameWord,
    formHash: formHash,
    wordClass: wordClass,
    otherSpelling: otherSpelling,
    formMark: formMark,
    holdsOneOf: holdsOneOf,
    FullIndex: FullIndex,
  };
});
