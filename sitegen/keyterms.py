"""Key terms a researcher would write: technical phrases, named methods and defined acronyms.

Pure and deterministic. Each paper's title and abstract are cut into runs of content
words (function words, generic scientific prose and punctuation end a run); every
1..4-word n-gram inside a run is a candidate. Candidates are scored by

    weight = tf × idf × kind

- tf: 1 + ln(abstract count + TITLE_BOOST × title count);
- idf: ln((1 + papers) / (1 + document frequency)) + 1, learnt from the corpus, so a
  word every paper uses ("image", "class") counts for little;
- kind: named tokens (YOLOv4, ViT, CmBN, ResNet-50: inner capitals, acronyms, letters
  with digits) and acronyms the abstract defines ("Cross mini-Batch Normalization
  (CmBN)") count most; a phrase counts more than a word when it is a term (it recurs,
  in the paper, the title or other papers), less when it is a one-off word sequence;
  a plain lowercase word counts least, since researchers name topics by phrases.

Nested candidates are folded: "diffusion" adds nothing after "diffusion models".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sitegen.textmap import GENERIC, PHRASE_NOUNS, STOPWORDS, URL, stem, word_set

MAX_WORDS = 4
ADVERB_ENDINGS = ("ally", "ably", "ibly", "ively", "ously", "ently", "antly", "edly", "ingly")
ADVERB_ENDINGS += ("citly", "ictly", "ately")
TITLE_BOOST = 2.5
# Kind weights: how much a candidate's shape says it is a term (see kind_weight).
DEFINED = 2.6  # an acronym the abstract defines
NAMED = 2.2  # a named token: YOLOv4, CmBN, ResNet-50
PHRASE = 1.6  # a recurring phrase
GENERIC_HEAD = 0.7  # × PHRASE when its last word is a generic noun ("neural networks")
PROPER = 1.2  # a capitalised word inside a sentence (Mixup, Sintel)
PLAIN_WORD = 0.45  # a lowercase word: researchers name topics by phrases
SINGLE_KIND = {DEFINED: DEFINED, NAMED: NAMED, PROPER: PROPER}
KEEP = 16  # candidates kept per paper (key terms show 6; shared terms search all 16)

# Raw tokens: words with inner hyphens, '+' or '^' (U-Net, E^2FGVI, V+L), or punctuation.
TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-+^][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
SENTENCE_END = frozenset(".!?:;")

# A short hand list of words every kind of scientific prose uses, on top of textmap's
# function words and ML boilerplate. Everything else is down-weighted by document
# frequency, learnt from the corpus.
PROSE = word_set(
    """
    affect affects behind beat beats believe bring brings built call called capture captures
    certain combine combined combining corresponding crucial decent delve delves
    demonstrating derive derived describe designing diverse end enhance enhanced ensure
    essential etc exploring extend extends finding following great hand huge identifying
    instance instances inherent interpreting involve involves kind mainly manner match
    matches matter matters meet meets million millions mitigate mitigating modern notion
    operate operates original overall paves plethora primarily prime prevailing produce
    produces receive receives rely relies remarkable rethinking revisiting role serves
    standard step steps strategy thorough thereby thousands toward tremendous truly uncover
    uncovering unique utilize utilizes variety versatile whole wide
    """
)


# Acronyms of the field itself, which name no method: "SOTA", "DNNs".
PROSE_ACRONYMS = word_set("ai ml dl sota nn nns dnn dnns ann anns")


@dataclass(frozen=True, slots=True)  # a build holds KEEP of these per paper
class Candidate:
    """One candidate key term of one paper."""

    key: str  # normalised: lower case, hyphens as spaces, plurals folded
    label: str  # how the paper writes it
    weight: float
    size: int  # words in the key
    idf: float  # how rare it is in the corpus: ranks the terms two papers share


@lru_cache(maxsize=1 << 18)
def is_named(token: str) -> bool:
    """A named method or thing: YOLOv4, CmBN, ViT, MAE, U-Net, ResNet-50, 3D, node2vec.

    Title Case hyphenation ("Self-Supervised") is not a name: each hyphen-joined part
    is judged alone.
    """
    if re.fullmatch(r"[A-Z]-[A-Z][a-z]+", token):
        return True  # U-Net, X-Ray: a one-letter name joined to a word
    return any(named_part(part) for part in re.split(r"[-+^]", token) if part)


def named_part(part: str) -> bool:
    """One hyphen-free part of a token: inner capitals, an acronym, or letters around digits."""
    if not any(c.isalpha() for c in part):
        return False
    if part.isupper():
        return len(part) > 1 or not part.isalpha()  # MAE, 3D; not the "A" of a sentence
    if any(c.isupper() for c in part[1:]):
        return True  # YOLOv4, CmBN, ViT, BigBiGAN
    return bool(re.search(r"[A-Za-z]\d+[A-Za-z]", part)) or (
        part[0].isupper() and any(c.isdigit() for c in part)
    )  # node2vec, GPT2, V100


@lru_cache(maxsize=1 << 18)
def is_break(token: str) -> bool:
    """Punctuation, numbers, function words and generic prose end a run of content words."""
    if not token[0].isalnum():
        return True
    lower = token.lower()
    if lower in PROSE_ACRONYMS:
        return True
    if is_named(token):
        return False
    if not any(c.isalpha() for c in lower) or len(lower) < 2 or lower[0].isdigit():
        return True  # numbers and number-led tokens ("256times256", "31-refinements")
    if lower in PHRASE_NOUNS or stem(lower) in PHRASE_NOUNS:
        return False  # "representation learning", "diffusion model": kept inside phrases
    if lower.endswith(ADVERB_ENDINGS):
        return True  # "provably", "explicitly": adverbs are no part of a term
    return lower in STOPWORDS or lower in GENERIC or stem(lower) in GENERIC or lower in PROSE


def is_phrase_noun(token: str) -> bool:
    """A generic noun that may sit in a phrase but is never a term alone."""
    lower = token.lower()
    return not is_named(token) and (lower in PHRASE_NOUNS or stem(lower) in PHRASE_NOUNS)


def normalise(token: str) -> str:
    """A token's matching form: lower case, hyphen-joined parts stemmed."""
    return " ".join(stem(part) for part in re.split(r"[-+^]", token.lower()) if part)


class BreakTable(dict[str, bool]):
    """Token -> whether it ends a run, judged once per distinct token (used via map)."""

    def __missing__(self, token: str) -> bool:
        self[token] = is_break(token)
        return self[token]


BREAKS = BreakTable()


def runs(text: str, prose: bool = True) -> list[list[str]]:
    """Maximal runs of content tokens in a text, in order.

    In prose (an abstract, not a Title Case title) a sentence's first word loses its
    capital, so a capitalised word that is left names something (Mixup, Sintel, Gaussian).
    """
    tokens = TOKEN.findall(URL.sub(" ", text) if "://" in text or "www." in text else text)
    found: list[list[str]] = []
    start = -1
    for index, stop in enumerate(map(BREAKS.__getitem__, tokens)):
        if stop:
            if start >= 0:
                found.append(tokens[start:index])
                start = -1
        elif start < 0:
            start = index
            first = tokens[index]
            sentence_start = index == 0 or tokens[index - 1] in SENTENCE_END
            if prose and sentence_start and first[:1].isupper() and not is_named(first):
                tokens[index] = first.lower()
    if start >= 0:
        found.append(tokens[start:])
    return found


def defined_acronyms(text: str) -> dict[str, tuple[str, ...]]:
    """Acronyms an abstract defines, 'long form (ACR)', mapped to their long form's tokens.

    The short form's letters must appear in order in the long form, the first at the
    start of its first word (after Schwartz & Hearst, 2003).
    """
    tokens = TOKEN.findall(text)
    found: dict[str, tuple[str, ...]] = {}
    for i in range(1, len(tokens) - 2):
        if tokens[i] != "(" or tokens[i + 2] != ")" or not is_named(tokens[i + 1]):
            continue
        short = tokens[i + 1]
        if is_break(short):
            continue  # "(SOTA)" defines nothing worth showing
        letters = [c.lower() for c in short.rstrip("s") if c.isalpha()]
        window = tokens[max(0, i - len(letters) - 3) : i]
        long_form = match_long_form(letters, window)
        if long_form:
            found[short] = long_form
    return found


def match_long_form(letters: list[str], window: list[str]) -> tuple[str, ...] | None:
    """The shortest tail of `window` whose words' letters spell `letters` in order."""
    for start in range(len(window) - 1, -1, -1):
        words = window[start:]
        if any(not w[0].isalnum() for w in words):
            return None
        if words[0][0].lower() != (letters[0] if letters else ""):
            continue
        text = " ".join(words).lower()
        position = 0
        for letter in letters:
            position = text.find(letter, position) + 1
            if position == 0:
                break
        else:
            return tuple(words)
    return None


@dataclass
class PaperTerms:
    """One paper's candidates before scoring."""

    counts: dict[str, float]  # weighted: title occurrences count TITLE_BOOST
    places: dict[str, int]  # occurrences, the title counting once
    labels: dict[str, tuple[list[str], int, int, bool]]  # where the key first occurs
    bonus: dict[str, float]  # NAMED or DEFINED
    hidden: set[str]  # long forms of defined acronyms: they nest, but show as the acronym


@lru_cache(maxsize=1 << 18)  # vocabularies repeat: each distinct token is judged once
def token_facts(token: str) -> tuple[str, bool, bool, bool, bool]:
    """(normal form, named, generic noun, capitalised, ends like a past participle)."""
    named = is_named(token)
    verb_end = token.lower().endswith("ed") and not named and "-" not in token
    return normalise(token), named, is_phrase_noun(token), token[:1].isupper(), verb_end


def run_grams(run: list[str]) -> list[tuple[int, int, str, bool, bool]]:
    """The candidate n-grams of a run: (start, length, key, has a name, has a capital).

    Built incrementally (each n-gram extends the one before it) because this loop is
    the extractor's hot path. An n-gram of generic nouns only ("model") is no candidate,
    nor one that opens with "learning" (a verb there) or ends in a participle.
    """
    if len(run) == 1:  # most runs are one word: the common case, without the loops
        normal, named, generic, capital, _ = token_facts(run[0])
        return [] if generic else [(0, 1, normal, named, capital)]
    facts = [token_facts(t) for t in run]
    grams = []
    for i, (normal, named, generic, capital, _) in enumerate(facts):
        key, all_generic = normal, generic
        for j in range(i, min(i + MAX_WORDS, len(run))):
            if j > i:
                fact = facts[j]
                key = f"{key} {fact[0]}"
                named, capital = named or fact[1], capital or fact[3]
                all_generic = all_generic and fact[2]
                if normal == "learning" or fact[4]:
                    continue
            if not all_generic:
                grams.append((i, j + 1 - i, key, named, capital))
    return grams


Parsed = tuple[list[tuple[list[str], bool, float]], dict[str, tuple[str, ...]]]


def parse(title: str, abstract: str) -> Parsed:
    """A paper's runs (abstract first, then title, each with prose flag and boost) and the
    acronyms its abstract defines."""
    found = [(run, True, 1.0) for run in runs(abstract, True)]
    found += [(run, False, TITLE_BOOST) for run in runs(title, False)]
    return found, defined_acronyms(abstract) if "(" in abstract else {}


def candidate_keys(parsed: Parsed) -> set[str]:
    """The keys paper_terms would count, without the counting (the document-frequency pass)."""
    found, acronyms = parsed
    keys = {gram[2] for run, _, _ in found for gram in run_grams(run)}
    keys.update(normalise(short) for short in acronyms)
    return keys


def paper_terms(parsed: Parsed) -> PaperTerms:
    """Count one paper's candidate terms, label them, and note names and defined acronyms."""
    found, acronyms = parsed
    terms = PaperTerms({}, {}, {}, {}, set())
    counts, places, labels, bonus = terms.counts, terms.places, terms.labels, terms.bonus
    # The abstract comes first, so labels take its spelling rather than the title's Title Case.
    for run, prose, boost in found:
        for i, n, key, named, capital in run_grams(run):
            counts[key] = counts.get(key, 0.0) + boost
            places[key] = places.get(key, 0) + 1
            if key not in labels:
                labels[key] = (run, i, n, prose)  # the label is made only if shown
            if named:
                bonus[key] = NAMED
            elif prose and capital and key not in bonus:
                bonus[key] = PROPER
    for short, long_form in acronyms.items():
        key, long_key = normalise(short), " ".join(normalise(t) for t in long_form)
        # The two spellings are one term: count them together, show the shorter name.
        terms.counts[key] = terms.counts.get(key, 0.0) + terms.counts.get(long_key, 0.0)
        terms.places[key] = terms.places.get(key, 0) + terms.places.get(long_key, 0)
        terms.labels[key] = (
            terms.labels[long_key]
            if len(long_form) <= 2 and long_key in terms.labels
            else ([short], 0, 1, True)
        )
        terms.bonus[key] = DEFINED
        if long_key != key and long_key in terms.counts:
            terms.hidden.add(long_key)
    return terms


def label_of(run: Sequence[str], start: int, size: int, prose: bool) -> str:
    """How a term is shown: names keep their case (and, in prose, capitalised words too)."""
    gram = run[start : start + size]
    return " ".join(t if is_named(t) or prose and t[:1].isupper() else t.lower() for t in gram)


def kind_weight(size: int, places: int, df: int, bonus: float, generic_head: bool) -> float:
    """How much the shape of a candidate says it is a term."""
    if bonus == DEFINED:
        return DEFINED
    if size == 1:
        return SINGLE_KIND.get(bonus, PLAIN_WORD)
    if places < 2 and df < 2:
        return 0.5  # a one-off word sequence ("utilize 2D", "models beat") is no term
    if bonus == NAMED:
        return PHRASE * 1.3
    # "neural networks", "input data": a generic head noun says less than "mode connectivity".
    return PHRASE * (GENERIC_HEAD if generic_head else 1.0)


def absorbed(terms: PaperTerms, df: dict[str, int]) -> set[str]:
    """Keys that only ever occur inside one longer recurring candidate (C-value's nesting).

    "sparse rate" and "rate reduction" add nothing when every use is "sparse rate reduction".
    """
    inside: set[str] = set()
    for key, count in terms.counts.items():
        if " " not in key or terms.places[key] < 2 and df[key] < 2 and key not in terms.hidden:
            continue
        words = key.split(" ")
        for n in range(1, len(words)):
            for i in range(len(words) - n + 1):
                sub = " ".join(words[i : i + n])
                if terms.counts.get(sub, 0.0) <= count:
                    inside.add(sub)
    return inside


def ranked_candidates(
    texts: Sequence[tuple[str, str]], keep: int = KEEP
) -> list[tuple[Candidate, ...]]:
    """Each paper's best candidates, heaviest first, nested ones folded away.

    Two passes (each paper is read twice), so that only the corpus's document
    frequencies stay in memory, never every paper's tokens and candidates at once.
    """
    df: dict[str, int] = {}
    for title, abstract in texts:
        for key in candidate_keys(parse(title, abstract)):
            df[key] = df.get(key, 0) + 1
    n_docs = len(texts)
    return [paper_candidates(paper_terms(parse(t, a)), df, n_docs, keep) for t, a in texts]


def paper_candidates(
    terms: PaperTerms, df: dict[str, int], n_docs: int, keep: int
) -> tuple[Candidate, ...]:
    """One paper's best candidates, given the corpus's document frequencies."""
    defined = {key for key, bonus in terms.bonus.items() if bonus == DEFINED}
    skip = (absorbed(terms, df) | terms.hidden) - defined
    scored = []
    top = math.log(1 + n_docs) + 1
    log = math.log
    for key, count in terms.counts.items():
        if key in skip:
            continue
        frequency = df[key]
        idf = top - log(1 + frequency)
        if " " in key:
            size = key.count(" ") + 1
            head = key.rsplit(" ", 1)[-1] in PHRASE_NOUNS
            kind = kind_weight(size, terms.places[key], frequency, terms.bonus.get(key, 1.0), head)
        else:
            kind = SINGLE_KIND.get(terms.bonus.get(key, 1.0), PLAIN_WORD)
        # Same inputs give the same floats, so the order is reproducible unrounded.
        scored.append((-(1 + log(count)) * idf * kind, key, idf))
    scored.sort()
    chosen = folded([key for _, key, _ in scored], keep)
    found = {key: (-negative, idf) for negative, key, idf in scored if key in chosen}
    return tuple(
        Candidate(
            key,
            label_of(*terms.labels[key]),
            round(found[key][0], 6),
            key.count(" ") + 1,
            round(found[key][1], 6),
        )
        for key in chosen
    )


def folded(ranked: Sequence[str], limit: int) -> list[str]:
    """The first keys, skipping any that a chosen one contains or is contained in."""
    chosen: list[str] = []
    padded_chosen: list[str] = []
    for key in ranked:
        padded = f" {key} "
        if any(c in padded or padded in c for c in padded_chosen):
            continue
        chosen.append(key)
        padded_chosen.append(padded)
        if len(chosen) >= limit:
            break
    return chosen
