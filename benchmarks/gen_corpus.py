"""A synthetic corpus of any size, with the vocabulary of the shipped dumps.

    python benchmarks/gen_corpus.py N FOLDER   # write N papers as dump files

Titles and abstracts are random walks over the word bigrams of the real titles and
abstracts, so word frequencies, lengths and compressibility look like the real
thing. Dumps come in both layouts (spaced and compact, with the feed's chrome),
about 100 papers each, with a few papers repeated from earlier dumps as on the real
feed. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import datetime
import random
from collections import defaultdict
from pathlib import Path

from sitegen.catalog import Paper, title_key
from sitegen.ingest import read_dumps
from sitegen.text import unique_slug
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
    keys: set[str] = set()
    papers = []
    while len(papers) < count:
        title = walk(title_chain, rng, 5, 14)
        if title_key(title) in keys:  # the same title twice would be one paper
            continue
        keys.add(title_key(title))
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


INBOX = "Get trending papers in your email inbox"
SPACED_CHROME = f"new\n\n{INBOX}!\n\nSubscribe\n\nbyAK and the research community\n\n"
COMPACT_CHROME = f"{INBOX} once a day!\n{INBOX}!\nSubscribe"  # the first title follows glued on


def dump_text(papers: list[Paper], layout: str, listing_date: str) -> str:
    """One dump of papers in the spaced or compact layout, wrapped in feed chrome."""
    if layout == "spaced":
        body = "\n\n".join(f"{p.title}\n\n{p.abstract}" for p in papers)
        return f"{SPACED_CHROME}{listing_date}\n\n{body}\n"
    body = "\n".join(f"{p.title}\n{p.abstract}" for p in papers)
    return f"{COMPACT_CHROME}{body}\n"


def write_dumps(
    folder: Path,
    count: int,
    per_dump: int = 100,
    seed: int = 0,
    repeat: float = 0.05,
    last: int = 0,
) -> list[Path]:
    """Write count distinct papers as dated dumps of about per_dump entries each; with `last`,
    the newest dump holds the last `last` papers instead."""
    papers, _ = generate_papers(count, seed)
    rng = random.Random(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    day = datetime.date(2024, 1, 1)
    paths = []
    starts = [*range(0, count - last, per_dump), *([count - last] if last else [])]
    for index, (start, stop) in enumerate(zip(starts, [*starts[1:], count], strict=True)):
        batch = papers[start:stop]
        if start:  # the feed lists some papers again on later days
            batch = batch + rng.sample(papers[:start], min(start, int(len(batch) * repeat)))
        date = day + datetime.timedelta(days=index)
        layout = "spaced" if index % 2 == 0 else "compact"
        path = folder / f"{date.isoformat()}-trending.txt"
        path.write_text(dump_text(batch, layout, date.strftime("%b %-d")), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    """Command line: write N synthetic papers as dumps into FOLDER."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--per-dump", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = write_dumps(args.folder, args.count, args.per_dump, args.seed)
    print(f"wrote {args.count} papers in {len(paths)} dumps to {args.folder}")


if __name__ == "__main__":
    main()
