"""A link checker over a built site folder: every internal href/src/action must resolve."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

FAKE_ORIGIN = "http://site.invalid/"
LINK_ATTRS = {"href", "src", "action"}


@dataclass
class PageLinks:
    """What one HTML page refers to and which fragment ids it defines."""

    refs: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    base: str | None = None


class LinkParser(HTMLParser):
    """Collects href/src/action attributes, ids and the <base> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links = PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the link-bearing attributes of one tag."""
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.links.ids.add(value)
            elif tag == "base" and name == "href":
                self.links.base = value
            elif name in LINK_ATTRS:
                self.links.refs.append(value)


def parse_links(html: str) -> PageLinks:
    """The links of one page."""
    parser = LinkParser()
    parser.feed(html)
    return parser.links


def target_file(output: Path, site_path: str) -> Path:
    """The file a site-relative URL path is served from (directories serve index.html)."""
    path = output / unquote(site_path)
    return path / "index.html" if site_path == "" or site_path.endswith("/") else path


def broken_links(output: Path, base_url: str = "") -> list[str]:
    """Every internal reference in the site's HTML that does not resolve, as 'page: ref'."""
    pages = {p.relative_to(output).as_posix(): p for p in sorted(output.rglob("*.html"))}
    parsed = {name: parse_links(path.read_text(encoding="utf-8")) for name, path in pages.items()}
    broken: list[str] = []
    for name, links in parsed.items():
        page_url = urljoin(FAKE_ORIGIN, name)
        if links.base is not None:
            base = links.base
            if base_url and base.startswith(base_url):
                base = "/" + base[len(base_url) :]
            page_url = urljoin(FAKE_ORIGIN, base)
        for ref in links.refs:
            absolute = ref
            if base_url and ref.startswith(base_url):
                absolute = "/" + ref[len(base_url) :]
            resolved = urljoin(page_url, absolute)
            if not resolved.startswith(FAKE_ORIGIN):
                if urlsplit(resolved).scheme not in ("http", "https", "mailto"):
                    broken.append(f"{name}: {ref} (unexpected scheme)")
                continue
            url, fragment = urldefrag(resolved)
            site_path = urlsplit(url).path.lstrip("/")
            target = target_file(output, site_path)
            if not target.is_file():
                broken.append(f"{name}: {ref}")
                continue
            target_name = target.relative_to(output).as_posix()
            if fragment and target_name in parsed and fragment not in parsed[target_name].ids:
                broken.append(f"{name}: {ref} (no #{fragment})")
    return broken
