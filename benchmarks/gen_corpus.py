"""A synthetic corpus of any size, with the vocabulary of the shipped dumps.

Titles and abstracts are random walks over the word bigrams of the real titles and
abstracts, so word frequencies, lengths and compressibility look like the real
thing. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from sitegen.catalog import Paper, unique_slug
from sitegen.ingest import read_dumps
from sitegen.themes import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parent.parent

Chain = dict[str, list[str]]


def bigram_chain(texts: list[str]) -> Chain:
    """word -> the words that follow it; "" starts a text."""
    chain: Chain = defaultdict(list)
    for text in texts:
        words = text.split()
        for before, after in zip(["", *words], words, strict=False):
            chain[before].append(after)
    return dict(chain)


def walk(chain: Chain, rng: random.Random, low: int, high: int) -> str:
    """A random text of low..high words following the chain."""
    words: list[str] = []
    word = ""
    for _ in range(rng.randint(low, high)):
        word = rng.choice(chain.get(word) or chain[""])
        words.append(word)
    return " ".join(words)


def shipped_corpus(root: Path = REPO) -> tuple[list[str], list[str], Taxonomy]:
    """The titles, abstracts and taxonomy shipped in the repository."""
    dumps, _ = read_dumps(root / "content" / "dumps")
    entries = [entry for dump in dumps for entry in dump.entries]
    taxonomy = load_taxonomy(root / "content" / "themes.yaml")
    return [e.title for e in entries], [e.abstract for e in entries], taxonomy


def generate_papers(count: int, seed: int = 0, root: Path = REPO) -> tuple[list[Paper], Taxonomy]:
    """count synthetic papers with unique slugs, plus the taxonomy they use."""
    titles, abstracts, taxonomy = shipped_corpus(root)
    title_chain, abstract_chain = bigram_chain(titles), bigram_chain(abstracts)
    themes = [t.slug for t in taxonomy.themes]
    rng = random.Random(seed)
    taken: set[str] = set()
    papers = []
    for _ in range(count):
        title = walk(title_chain, rng, 5, 14)
        slug = unique_slug(title, taken)
        taken.add(slug)
        theme = rng.choice(themes)
        papers.append(
            Paper(
                slug=slug,
                title=title,
                abstract=walk(abstract_chain, rng, 120, 260),
                notes="",
                theme=theme,
                themes=(theme,),
                dumps=(),
                links=(),
                tags=(),
                status="",
                meta={},
                source=f"papers/{theme}/{slug}.md",
            )
        )
    return papers, taxonomy
