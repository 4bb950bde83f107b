"""Invalidation keys (sitegen.build.keys): what each covers."""

from __future__ import annotations

from pathlib import Path

from test_build_incremental import make_site, page_paths

from sitegen.build import BuildOptions, ingest_and_build
from sitegen.build.keys import PaperPageKeys
from sitegen.cache import BuildCache
from sitegen.model.library import SectionKey


def test_a_paper_in_a_second_themes_list_is_placed_in_its_own_themes(tmp_path: Path) -> None:
    # A theme's list also holds the papers it is a second theme of. A paper's page shows its
    # neighbours in its primary theme's list, so its key must read that list, whichever
    # theme's pages were keyed first (pages are walked theme by theme).
    make_site(tmp_path)
    _, result = ingest_and_build(tmp_path, BuildOptions(tmp_path / "site"), BuildCache())
    pages = page_paths(tmp_path)
    folders = sorted({page.parent.name for page in pages})
    first = next(t.slug for t in result.model.site.library.themes if t.slug in folders)
    listed = next(page for page in pages if page.parent.name != first)
    listed.write_text(listed.read_text().replace("---\n", f"---\nthemes: [{first}]\n", 1))
    _, result = ingest_and_build(tmp_path, BuildOptions(tmp_path / "site"), BuildCache())
    site = result.model.site
    library = site.library
    assert listed.stem in library.section(SectionKey.theme(first)).slugs
    keys = PaperPageKeys.of(site, "stamp")
    for slug in library.section(SectionKey.theme(first)).slugs:  # that theme's pages first
        if library.papers[slug].theme == first:
            keys.key(slug)
    own = library.section(SectionKey.theme(listed.parent.name)).slugs
    assert keys.place(listed.stem) == (own.index(listed.stem), tuple(own))
