"""Search relevance: does the search find the right paper?

    python benchmarks/bench_relevance.py [--site SITE_DIR] [--seed 12] [--size 60]
        [--browser 12] [--pagefind] [--json OUT]

Without --site, builds the shipped corpus. Query sets are drawn from the site's
papers.json with a fixed seed (``query_sets``):

- known: a paper's exact title; hit if it ranks #1;
- partial: 3-4 of the title's rarest words; hit if the paper is in the top 3;
- phrase: frequent 2-3 word phrases found in 3-15 papers (title or abstract); the
  relevant papers are those that contain the phrase: P@5, R@10, nDCG@10;
- typo: the title's rarest word (5+ letters) with one edit; hit if the paper is in
  the top 5;
- acronym: acronyms the corpus defines ("masked image modeling (MIM)"); the
  relevant papers contain the acronym or its long form: nDCG@10;
- joined: a title's hyphenated word typed as one ("gradcam" for "Grad-CAM"); the
  relevant papers hold its two words in a row, or the word as typed: R@10, nDCG@10.

Each set runs through sitegen's engine in node (benchmarks/search_node.js, the
results page's query) and through plain lunr.py (title boost 10, every word
optional, lunr's own ranking) in the same run; with --pagefind, through Pagefind's
index of the same pages in node. With --browser N, N queries of each set also run
on the real results page in Chromium, which must show node's top 10.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from sitegen import search  # noqa: E402

NODE = shutil.which("node") or "node"
WORD = re.compile(r"[a-z0-9]+")


def stop_words() -> set[str]:
    """lunr's English stop words."""
    from lunr.stop_word_filter import WORDS

    return set(WORDS)


@dataclass
class QuerySet:
    """One kind of query: each query with the papers (slugs) that are relevant to it."""

    name: str
    queries: list[str] = field(default_factory=list)
    relevant: list[list[str]] = field(default_factory=list)


def words_of(text: str) -> list[str]:
    """Lower-case words of text (letters and digits)."""
    return WORD.findall(text.lower())


def normalised(text: str) -> str:
    """words joined by single spaces, padded, for phrase containment."""
    return " " + " ".join(words_of(text)) + " "


def typo(word: str, rng: random.Random) -> str:
    """word with one edit (delete, insert or substitute one letter) inside it."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["delete", "insert", "substitute"])
    if kind == "delete":
        return word[:at] + word[at + 1 :]
    if kind == "insert":
        return word[:at] + rng.choice(letters) + word[at:]
    other = rng.choice([c for c in letters if c != word[at]])
    return word[:at] + other + word[at + 1 :]


ACRONYM = re.compile(r"((?:[A-Za-z][\w-]*\s+){1,6})\(([A-Z][A-Za-z]{1,7}?)s?\)")


def defined_acronyms(papers: list[dict]) -> dict[str, str]:
    """Acronyms whose preceding words' initials spell them exactly: acronym -> long form."""
    found: Counter[tuple[str, str]] = Counter()
    for p in papers:
        for before, short in ACRONYM.findall(p["abstract"]):
            letters = short.lower()
            if sum(c.isupper() for c in short) < 2:
                continue
            words = before.replace("-", " ").split()[-len(letters) :]
            if len(words) == len(letters) and all(
                w[0].lower() == c for w, c in zip(words, letters, strict=True)
            ):
                found[short, " ".join(words).lower()] += 1
    best: dict[str, tuple[int, str]] = {}
    for (short, long), n in found.items():
        if n > best.get(short, (0, ""))[0]:
            best[short] = (n, long)
    return {short: long for short, (_, long) in sorted(best.items())}


def query_sets(papers: list[dict], seed: int, size: int) -> list[QuerySet]:
    """The benchmark's query sets, drawn from papers with a fixed seed."""
    rng = random.Random(seed)
    stop = stop_words()
    texts = {p["slug"]: normalised(p["title"] + " . " + p["abstract"]) for p in papers}
    df: Counter[str] = Counter()
    for text in texts.values():
        df.update(set(text.split()))

    def rare_title_words(p: dict) -> list[str]:
        unique = dict.fromkeys(w for w in words_of(p["title"]) if w not in stop and len(w) > 2)
        return sorted(unique, key=lambda w: (df[w], w))

    sample = rng.sample(papers, min(size, len(papers)))
    known = QuerySet("known")
    partial = QuerySet("partial")
    typos = QuerySet("typo")
    for p in sample:
        known.queries.append(p["title"])
        known.relevant.append([p["slug"]])
        rare = rare_title_words(p)
        if len(rare) >= 3:
            partial.queries.append(" ".join(rare[: rng.choice([3, 4])]))
            partial.relevant.append([p["slug"]])
        long_rare = [w for w in rare if len(w) >= 5 and w.isalpha()]
        if long_rare:
            typos.queries.append(typo(long_rare[0], rng))
            typos.relevant.append([p["slug"]])
    return [
        known,
        partial,
        phrase_set(papers, texts, stop, rng, size),
        typos,
        acronym_set(papers, texts),
        joined_set(papers, texts, rng, size),
    ]


def phrase_set(
    papers: list[dict], texts: dict[str, str], stop: set[str], rng: random.Random, size: int
) -> QuerySet:
    """Frequent 2-3 word technical phrases found in 3-15 papers."""
    grams: Counter[str] = Counter()
    for text in texts.values():
        words = text.split()
        seen = set()
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if any(w in stop or len(w) < 3 or not w.isalpha() for w in gram):
                    continue
                seen.add(" ".join(gram))
        grams.update(seen)
    candidates = sorted(g for g, n in grams.items() if 3 <= n <= 15)
    chosen = rng.sample(candidates, min(size, len(candidates)))
    phrases = QuerySet("phrase")
    for gram in chosen:
        phrases.queries.append(gram)
        phrases.relevant.append([slug for slug, text in texts.items() if f" {gram} " in text])
    return phrases


def acronym_set(papers: list[dict], texts: dict[str, str]) -> QuerySet:
    """Acronyms the corpus defines; relevant: papers with the acronym or its long form."""
    acronyms = QuerySet("acronym")
    for short, long in defined_acronyms(papers).items():
        token = f" {short.lower()} "
        plural = f" {short.lower()}s "
        relevant = [
            slug
            for slug, text in texts.items()
            if token in text or plural in text or f" {long} " in text
        ]
        if len(relevant) >= 2:
            acronyms.queries.append(short)
            acronyms.relevant.append(relevant)
    return acronyms


# Two words, neither joined to a third ("off-the-shelf" is no one's "offthe").
HYPHENATED = re.compile(r"(?<![\w-])([A-Za-z]{3,})-([A-Za-z]{3,})(?![\w-])")


def joined_set(
    papers: list[dict], texts: dict[str, str], rng: random.Random, size: int
) -> QuerySet:
    """Titles' hyphenated words typed as one word ("gradcam"); relevant: the papers holding
    the two words in a row, or the joined word itself."""
    pairs = sorted({f"{a} {b}".lower() for p in papers for a, b in HYPHENATED.findall(p["title"])})
    joined = QuerySet("joined")
    for pair in rng.sample(pairs, min(size, len(pairs))):
        word = pair.replace(" ", "")
        joined.queries.append(word)
        joined.relevant.append(
            [slug for slug, text in texts.items() if f" {pair} " in text or f" {word} " in text]
        )
    return joined


# --- metrics ---------------------------------------------------------------------


def dcg(gains: list[int]) -> float:
    """Discounted cumulative gain of a list of 0/1 gains."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def measures(ranked: list[str], relevant: list[str]) -> dict[str, float]:
    """Hit ranks and P@5, R@10, nDCG@10 of one ranked list."""
    wanted = set(relevant)
    gains = [int(slug in wanted) for slug in ranked[:10]]
    ideal = dcg([1] * min(10, len(wanted)))
    return {
        "@1": float(bool(ranked[:1]) and ranked[0] in wanted),
        "@3": float(any(s in wanted for s in ranked[:3])),
        "@5": float(any(s in wanted for s in ranked[:5])),
        "P@5": sum(gains[:5]) / 5,
        "R@10": sum(gains) / len(wanted),
        "nDCG@10": dcg(gains) / ideal if ideal else 0.0,
    }


HEADLINE = {
    "known": ["@1"],
    "partial": ["@3"],
    "phrase": ["P@5", "R@10", "nDCG@10"],
    "typo": ["@5"],
    "acronym": ["nDCG@10", "@1"],
    "joined": ["R@10", "nDCG@10"],
}


def score(sets: list[QuerySet], rankings: dict[str, list[list[str]]]) -> dict[str, dict]:
    """Mean of each headline measure per set."""
    out = {}
    for qs in sets:
        rows = [measures(r, rel) for r, rel in zip(rankings[qs.name], qs.relevant, strict=True)]
        out[qs.name] = {
            m: sum(row[m] for row in rows) / max(1, len(rows)) for m in HEADLINE[qs.name]
        }
    return out


# --- the engines -------------------------------------------------------------------


def run_node(site: Path, queries: list[str], prefix_last: bool = False) -> dict:
    """benchmarks/search_node.js over site: {load_ms, results}."""
    request = {"queries": queries, "limit": 10, "prefixLast": prefix_last}
    done = subprocess.run(
        [NODE, str(REPO / "benchmarks" / "search_node.js"), str(site)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout)


def slugs_of(site: Path) -> list[str]:
    """Paper slugs by ref number: the search's own numbering, from search/titles.js."""
    from sitegen.text import slugify

    script = (site / "search" / "titles.js").read_text(encoding="ascii")
    match = re.search(r"JSON\.parse\('(.*)'\);", script, re.S)
    assert match, "search/titles.js is not a search data file"
    manifest = json.loads(re.sub(r"\\(.)", r"\1", match.group(1)))
    return [slug or slugify(title) for title, _, slug in manifest["docs"]]


def sitegen_rankings(site: Path, sets: list[QuerySet]) -> tuple[dict, list[float]]:
    """The engine's top 10 (slugs) for every query, and the query times (ms)."""
    slugs = slugs_of(site)
    # One node process for every set: loading the index costs more than the queries.
    rows = iter(run_node(site, [q for qs in sets for q in qs.queries])["results"])
    rankings, times = {}, []
    for qs in sets:
        out = [next(rows) for _ in qs.queries]
        rankings[qs.name] = [[slugs[r] for r in row["refs"]] for row in out]
        times += [row["ms"] for row in out]
    return rankings, times


def plain_lunr_rankings(site: Path, sets: list[QuerySet]) -> dict:
    """Plain lunr.py: fields with title boost 10, every query word optional."""
    from lunr import lunr

    papers = sorted(json.loads((site / "papers.json").read_text()), key=lambda p: p["slug"])
    docs = [{"id": p["slug"], "title": p["title"], "abstract": p["abstract"]} for p in papers]
    fields = [{"field_name": "title", "boost": 10}, {"field_name": "abstract", "boost": 1}]
    index = lunr(ref="id", fields=fields, documents=docs)

    def top(query: str) -> list[str]:
        words = search.tokenize(query)
        words = [w for w in (re.sub(r"^\W+|\W+$", "", w) for w in words) if w]

        def build(q: object) -> None:
            for w in words:
                q.term(w)  # type: ignore[attr-defined]

        return (
            [hit["ref"] for hit in index.query(index.create_query(), build)[:10]] if words else []
        )

    return {qs.name: [top(q) for q in qs.queries] for qs in sets}


def build_shipped(folder: Path) -> Path:
    """Ingest and build the shipped corpus into folder; the site directory."""
    from sitegen.build import BuildOptions, build
    from sitegen.ingest import ingest

    content = folder / "content"
    shutil.copytree(REPO / "content" / "dumps", content / "dumps")
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(REPO / "content" / name, content / name)
    ingest(folder)
    build(folder, BuildOptions(folder / "site"))
    return folder / "site"


# --- the browser agreement run -----------------------------------------------------


def browser_rankings(site: Path, queries: list[str]) -> list[list[int]]:
    """The results page's top 10 (paper numbers) for each query, in headless Chromium: the
    first query opened by its URL, each next one typed into the page's own search form (a
    reader's next search; loading the page and its index again cost ~0.4 s a query)."""
    from bench_search import CHROMIUM_ARGS, serve
    from playwright.sync_api import sync_playwright

    slugs = slugs_of(site)
    number = {slug: n for n, slug in enumerate(slugs)}
    server, base = serve(site)
    out: list[list[int]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            for query in queries:
                if not out:
                    page.goto(base + "search/?" + urlencode(query))
                    page.wait_for_selector("html[data-search-index=full]")
                elif query.strip() != queries[len(out) - 1].strip():  # the form skips a same query
                    page.eval_on_selector(".sg-status", "s => { s.textContent = ''; }")
                    page.fill("#search-page-q", query)
                    page.press("#search-page-q", "Enter")
                page.wait_for_function(
                    "!document.querySelector('.sg-results').classList.contains('sg-provisional')"
                    " && /^(?!Search)./.test(document.querySelector('.sg-status').textContent)"
                )
                hrefs = page.eval_on_selector_all(
                    ".sg-result h2 a", "as => as.slice(0, 10).map(a => a.getAttribute('href'))"
                )
                out.append([number[h.rstrip("/").split("/")[-1]] for h in hrefs])
            browser.close()
    finally:
        server.shutdown()
    return out


def urlencode(query: str) -> str:
    """?q= for a query."""
    from urllib.parse import urlencode as encode

    return encode({"q": query})


def agreement(site: Path, sets: list[QuerySet], per_set: int) -> tuple[int, int, list[str]]:
    """Queries whose top 10 the results page in Chromium and node agree on."""
    queries = [q for qs in sets for q in qs.queries[:per_set]]
    node = [row["refs"] for row in run_node(site, queries)["results"]]
    chromium = browser_rankings(site, queries)
    differ = [q for q, a, b in zip(queries, node, chromium, strict=True) if a != b]
    return len(queries) - len(differ), len(queries), differ


# --- report --------------------------------------------------------------------------


def table(results: dict[str, dict[str, dict]], sets: list[QuerySet]) -> Iterator[str]:
    """A Markdown table: one row per measure, one column per engine."""
    engines = list(results)
    yield "| set (queries) | measure | " + " | ".join(engines) + " |"
    yield "|---|---|" + "---|" * len(engines)
    for qs in sets:
        for m in HEADLINE[qs.name]:
            cells = [f"{results[e][qs.name][m]:.2f}" for e in engines]
            yield f"| {qs.name} ({len(qs.queries)}) | {m} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the shipped one)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--size", type=int, default=60, help="queries per set (at most)")
    parser.add_argument("--browser", type=int, default=0, help="queries per set run in Chromium")
    parser.add_argument("--pagefind", action="store_true", help="also run Pagefind")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site or build_shipped(Path(tmp))
        papers = json.loads((site / "papers.json").read_text())
        sets = query_sets(papers, args.seed, args.size)
        rankings, times = sitegen_rankings(site, sets)
        results = {"sitegen": score(sets, rankings)}
        results["plain lunr.py"] = score(sets, plain_lunr_rankings(site, sets))
        engines: dict[str, Callable[[Path, list[QuerySet]], dict]] = {}
        if args.pagefind:
            from bench_pagefind import pagefind_rankings

            engines["Pagefind"] = pagefind_rankings
        for name, rank in engines.items():
            results[name] = score(sets, rank(site, sets))
        print(f"{len(papers)} papers, seed {args.seed}")
        print("\n".join(table(results, sets)))
        times.sort()
        print(
            f"sitegen query time in node: median {times[len(times) // 2]:.1f} ms, "
            f"worst {times[-1]:.1f} ms"
        )
        out = {"papers": len(papers), "results": results, "median_ms": times[len(times) // 2]}
        if args.browser:
            same, total, differ = agreement(site, sets, args.browser)
            print(f"Chromium results page agrees with node on {same} of {total} top-10 lists")
            for q in differ[:5]:
                print(f"  differs: {q!r}")
            out["agreement"] = [same, total]
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
